using System.Globalization;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Diagnostics;

/// <summary>A problem found in a .mtl file, with where it is and, when one is clear, how to fix it.</summary>
public sealed record Diagnostic(
    DiagnosticCode Code,
    DiagnosticSeverity Severity,
    string Message,
    string Path,
    SourceSpan Span,
    string? Fix)
{
    /// <summary>The code as it is printed: MTL0001.</summary>
    public string Id => "MTL" + ((int)Code).ToString("D4", CultureInfo.InvariantCulture);

    public override string ToString()
    {
        var severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var text = $"{Path}({Span.StartLine},{Span.StartColumn}): {severity} {Id}: {Message}";
        return Fix is null ? text : text + " (" + Fix + ")";
    }
}
