using System.Globalization;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Diagnostics;

/// <summary>Collects the diagnostics of one compilation.</summary>
internal sealed class DiagnosticBag
{
    private readonly List<Diagnostic> _items = [];
    private readonly string _path;

    public DiagnosticBag(string path)
    {
        _path = path;
    }

    public IReadOnlyList<Diagnostic> Items => _items;

    public int ErrorCount { get; private set; }

    public void Report(DiagnosticCode code, SourceSpan span, params object[] args) => ReportWithFix(code, span, null, args);

    public void ReportWithFix(DiagnosticCode code, SourceSpan span, string? fix, params object[] args)
    {
        var severity = DiagnosticDescriptor.Severity(code);
        var message = string.Format(CultureInfo.InvariantCulture, DiagnosticDescriptor.Format(code), args);
        if (severity == DiagnosticSeverity.Error)
        {
            ErrorCount++;
        }

        _items.Add(new Diagnostic(code, severity, message, _path, span, fix));
    }
}
