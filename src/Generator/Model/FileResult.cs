namespace Mtl.Generator.Model;

/// <summary>What compiling one .mtl file gives the generator: the models to emit and the diagnostics to report.</summary>
internal sealed record FileResult(EquatableArray<ModelSpec> Models, EquatableArray<DiagnosticSpec> Diagnostics);
