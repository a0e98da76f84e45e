using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// <c>freeze a, b</c>, in <c>train { }</c> or in a stage: blocks or task heads that have
/// parameters, each named once (across the statements of one scope, and not frozen already).
/// </summary>
internal sealed class FreezeBinder
{
    private readonly DiagnosticBag _diagnostics;
    private readonly ModelScope _scope;
    private readonly StatementForms _forms;

    public FreezeBinder(DiagnosticBag diagnostics, ModelScope scope)
    {
        _diagnostics = diagnostics;
        _scope = scope;
        _forms = new StatementForms(diagnostics);
    }

    /// <summary>
    /// Adds the statement's blocks to <paramref name="frozen"/>; false (reported) when the form is
    /// wrong or a block is unknown, has no parameters, or is in <paramref name="frozen"/> or
    /// <paramref name="frozenAlready"/> already.
    /// </summary>
    public bool Bind(StatementSyntax statement, List<NameSyntax> frozen, IReadOnlyCollection<string>? frozenAlready = null)
    {
        if (!_forms.Check(statement, "blocks: freeze trunk, text",
                statement.Arguments is null && statement.Body is null && statement.Values.Count > 0 && statement.Values.All(v => v is NameSyntax)))
        {
            return false;
        }

        var ok = true;
        foreach (var name in statement.Values.Cast<NameSyntax>())
        {
            if (_scope.ResolveBlock(name, SettingCatalog.Freeze) is not { } pipeline)
            {
                ok = false;
            }
            else if (pipeline.ParameterCount == 0)
            {
                _diagnostics.ReportWithFix(DiagnosticCode.BlockWithoutParameters, name.Span, "remove it from freeze", name.Text, SettingCatalog.Freeze, "hold fixed");
                ok = false;
            }
            else if (frozen.Any(f => f.Text == name.Text) || (frozenAlready?.Contains(name.Text) ?? false))
            {
                _diagnostics.Report(DiagnosticCode.BlockGivenTwice, name.Span, name.Text, SettingCatalog.Freeze);
                ok = false;
            }
            else
            {
                frozen.Add(name);
            }
        }

        return ok;
    }
}
