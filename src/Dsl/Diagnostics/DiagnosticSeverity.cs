namespace Mtl.Dsl.Diagnostics;

public enum DiagnosticSeverity
{
    Warning,
    Error,
}
