using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>Binds a parsed file: each model on its own, model names checked across the file.</summary>
internal static class Binder
{
    public static IReadOnlyList<MtlModel> Bind(FileSyntax file, DiagnosticBag diagnostics)
    {
        var models = new List<MtlModel>();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        var pascalNames = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in file.Models)
        {
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

            if (new ModelBinder(diagnostics).Bind(model, file.Namespace?.Name, csharpName) is { } bound)
            {
                models.Add(bound);
            }
        }

        return models;
    }
}
