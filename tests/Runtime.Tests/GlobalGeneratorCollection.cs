using Xunit;

namespace Mtl.Runtime.Tests;

/// <summary>
/// Tests that need an exact sequence from libtorch's process-wide generator after manual_seed. They
/// run alone: test classes otherwise run in parallel and would draw from the same generator.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalGeneratorCollection
{
    public const string Name = "libtorch's global generator";
}
