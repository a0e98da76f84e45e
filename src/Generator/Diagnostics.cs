using Microsoft.CodeAnalysis;
using Diagnostic = Microsoft.CodeAnalysis.Diagnostic;
using Microsoft.CodeAnalysis.Text;
using Mtl.Dsl.Diagnostics;
using Mtl.Generator.Model;
using DslSeverity = Mtl.Dsl.Diagnostics.DiagnosticSeverity;
using RoslynDescriptor = Microsoft.CodeAnalysis.DiagnosticDescriptor;

namespace Mtl.Generator;

/// <summary>The language's diagnostics as Roslyn sees them: one descriptor per code, reported at the .mtl file's span.</summary>
internal static class Diagnostics
{
    private static readonly Dictionary<DiagnosticCode, RoslynDescriptor> Descriptors =
        DiagnosticCatalog.Codes.ToDictionary(code => code, Descriptor);

    public static IReadOnlyCollection<RoslynDescriptor> All => Descriptors.Values;

    private static RoslynDescriptor Descriptor(DiagnosticCode code) => new(
        DiagnosticCatalog.Id(code),
        DiagnosticCatalog.Title(code),
        "{0}",
        "Mtl." + DiagnosticCatalog.Category(code),
        DiagnosticCatalog.Severity(code) == DslSeverity.Error ? Microsoft.CodeAnalysis.DiagnosticSeverity.Error : Microsoft.CodeAnalysis.DiagnosticSeverity.Warning,
        isEnabledByDefault: true,
        description: DiagnosticCatalog.MessageFormat(code),
        helpLinkUri: HelpLink(code));

    /// <summary>The code's documentation, when it is a full address (a relative one is of no use in an error list or a build log).</summary>
    private static string? HelpLink(DiagnosticCode code) =>
        Uri.TryCreate(DiagnosticCatalog.HelpLink(code), UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? uri.ToString() : null;

    public static void Report(SourceProductionContext context, EquatableArray<DiagnosticSpec> diagnostics)
    {
        foreach (var spec in diagnostics)
        {
            context.ReportDiagnostic(Create(spec));
        }
    }

    public static Diagnostic Create(DiagnosticSpec spec)
    {
        var location = Location.Create(
            spec.Path,
            new TextSpan(spec.Start, spec.Length),
            new LinePositionSpan(new LinePosition(spec.StartLine, spec.StartColumn), new LinePosition(spec.EndLine, spec.EndColumn)));
        return Diagnostic.Create(Descriptors[spec.Code], location, spec.Message);
    }
}
