using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;

namespace Mtl.Dsl;

/// <summary>
/// The result of compiling one .mtl file: the models that bound without errors and every
/// diagnostic, in the order found. Value-equatable, so a caller can cache it.
/// </summary>
public sealed record MtlCompilation(EquatableArray<MtlModel> Models, EquatableArray<Diagnostic> Diagnostics)
{
    public bool HasErrors => Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
}
