using Microsoft.CodeAnalysis.Diagnostics;

namespace Mtl.Generator.Model;

/// <summary>
/// The project settings the generator reads (MSBuild properties made visible to the compiler),
/// selected into a small value so that nothing else in the options can invalidate the cache.
/// </summary>
internal sealed record GeneratorOptions(string? RootNamespace, string? ProjectDirectory)
{
    public static GeneratorOptions From(AnalyzerConfigOptions options)
    {
        options.TryGetValue("build_property.MtlRootNamespace", out var rootNamespace);
        options.TryGetValue("build_property.MtlProjectDirectory", out var projectDirectory);
        return new GeneratorOptions(Blank(rootNamespace), Blank(projectDirectory));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value!.Trim();
}
