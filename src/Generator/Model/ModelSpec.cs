using Mtl.Dsl.Model;

namespace Mtl.Generator.Model;

/// <summary>
/// Everything needed to emit one model's types: the semantic model, the namespace they go in
/// (null: the global namespace), the prefix of their hint names (the file's path relative to the
/// project) and the file's name for comments. Compared by value, so an edit that does not change
/// these leaves the emitted source cached.
/// </summary>
internal sealed record ModelSpec(MtlModel Model, string? Namespace, string HintPrefix, string FileName);
