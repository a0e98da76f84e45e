using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>Binds a parsed file: each model on its own, model names checked across the file.</summary>
internal static class Binder
{
    public static IReadOnlyList<MtlModel> Bind(FileSyntax file, DiagnosticBag diagnostics)
    {
        // The lexer and parser recover from many errors (a pasted arrow, a non-ASCII name) so that
        // the binder can report what else is wrong; a model whose text had one is still left out.
        var syntaxErrors = diagnostics.Items.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Span).ToList();
        var models = new List<MtlModel>();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var pascalNames = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < file.Models.Count; i++)
        {
            var model = file.Models[i];
            var name = model.Name;
            if (name.Text.Length == 0)
            {
                continue; // a parse error, already reported
            }

            if (!declared.Add(name.Text))
            {
                diagnostics.Report(DiagnosticCode.DuplicateModel, name.Span, name.Text);
                continue;
            }

            var csharpName = CSharpNames.Derive(name.Text);
            if (csharpName is null)
            {
                diagnostics.Report(DiagnosticCode.InvalidIdentifier, name.Span, name.Text);
            }
            else if (pascalNames.TryGetValue(csharpName.Pascal, out var owner))
            {
                diagnostics.Report(DiagnosticCode.IdentifierCollision, name.Span, owner, name.Text, csharpName.Pascal);
                csharpName = null;
            }
            else
            {
                pascalNames.Add(csharpName.Pascal, name.Text);
            }

            if (new ModelBinder(diagnostics).Bind(model, file.Namespace?.Name, csharpName) is { } bound &&
                !syntaxErrors.Any(span => InModelText(file.Models, i, span)))
            {
                models.Add(bound);
            }
        }

        return models;
    }

    /// <summary>
    /// Whether an error at <paramref name="span"/> lies in the text of model <paramref name="index"/>:
    /// from its <c>model</c> keyword to the next one. Text before the first model (the namespace
    /// all models share) counts for every model.
    /// </summary>
    private static bool InModelText(IReadOnlyList<ModelSyntax> models, int index, SourceSpan span)
    {
        static bool Before(SourceSpan a, SourceSpan b) =>
            a.StartLine < b.StartLine || (a.StartLine == b.StartLine && a.StartColumn < b.StartColumn);

        return Before(span, models[0].Span) ||
               (!Before(span, models[index].Span) && (index + 1 == models.Count || Before(span, models[index + 1].Span)));
    }
}
