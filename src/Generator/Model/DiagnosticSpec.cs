using Mtl.Dsl.Diagnostics;

namespace Mtl.Generator.Model;

/// <summary>
/// A diagnostic as plain data (no Roslyn Location, which holds a syntax tree): the code, severity,
/// full message, file and where in it, as a character range and as 0-based lines and columns.
/// </summary>
internal sealed record DiagnosticSpec(
    DiagnosticCode Code,
    DiagnosticSeverity Severity,
    string Message,
    string Path,
    int Start,
    int Length,
    int StartLine,
    int StartColumn,
    int EndLine,
    int EndColumn);
