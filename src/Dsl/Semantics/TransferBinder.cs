using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Transfer between models: binds <c>init block from "file" prefix "p."</c> (weights loaded when
/// the model is built) and checks the blocks of <c>freeze</c> against the rest of the model (a
/// frozen block cannot have a parameter group, something must still train, and gradient-based
/// weighting needs shared parameters that train).
/// </summary>
internal sealed class TransferBinder
{
    private const string From = "from";
    private const string Prefix = "prefix";
    private const string InitForm = "a block and a file: init trunk from \"trunk.safetensors\", optionally followed by prefix \"encoder.\"";

    private readonly DiagnosticBag _diagnostics;
    private readonly StatementForms _forms;
    private readonly ModelScope _scope;

    public TransferBinder(DiagnosticBag diagnostics, ModelScope scope)
    {
        _diagnostics = diagnostics;
        _forms = new StatementForms(diagnostics);
        _scope = scope;
    }

    /// <summary>Every <c>init</c> statement, at most one per block; null when one is wrong (reported).</summary>
    public EquatableArray<BlockInit>? BindInits(IEnumerable<StatementSyntax> statements)
    {
        var inits = new List<BlockInit>();
        var ok = true;
        foreach (var statement in statements)
        {
            var init = BindInit(statement, inits);
            ok &= init is not null;
            if (init is not null)
            {
                inits.Add(init);
            }
        }

        return ok ? inits.ToEquatableArray() : null;
    }

    /// <summary><c>init block from "file"</c> or <c>init block from "file" prefix "p."</c>: the values bind by position.</summary>
    private BlockInit? BindInit(StatementSyntax statement, List<BlockInit> earlier)
    {
        var values = statement.Values;
        var ok = statement.Arguments is null && statement.Body is null && values.Count is 3 or 5 &&
                 values[0] is NameSyntax && IsWord(values[1], From) && values[2] is StringSyntax { Value.Length: > 0 } &&
                 (values.Count == 3 || (IsWord(values[3], Prefix) && values[4] is StringSyntax));
        if (!_forms.Check(statement, InitForm, ok))
        {
            return null;
        }

        var name = (NameSyntax)values[0];
        if (_scope.ResolveBlock(name, Keywords.Init) is not { } pipeline)
        {
            return null;
        }

        if (pipeline.ParameterCount == 0)
        {
            _diagnostics.ReportWithFix(DiagnosticCode.BlockWithoutParameters, name.Span, "remove the statement", name.Text, Keywords.Init, "load");
            return null;
        }

        if (earlier.Any(i => i.Block == name.Text))
        {
            _diagnostics.Report(DiagnosticCode.BlockGivenTwice, name.Span, name.Text, Keywords.Init);
            return null;
        }

        var path = ((StringSyntax)values[2]).Value;
        var prefix = values.Count == 5 ? ((StringSyntax)values[4]).Value : string.Empty;
        return new BlockInit(name.Text, path, prefix);
    }

    private static bool IsWord(ValueSyntax value, string word) => value is NameSyntax name && name.Text == word;

    /// <summary>
    /// The frozen blocks against the optimizer's groups, the model's trainable parameters and the
    /// weighting method; reports each problem.
    /// </summary>
    public void CheckFrozen(
        string model,
        IReadOnlyList<NameSyntax> frozen,
        Optimizer optimizer,
        Setting weighting,
        StatementSyntax? weightingStatement,
        IReadOnlyList<SharedBlock> shared,
        IReadOnlyList<TaskHead> heads)
    {
        if (frozen.Count == 0)
        {
            return;
        }

        var names = new HashSet<string>(frozen.Select(f => f.Text), StringComparer.Ordinal);
        foreach (var name in frozen.Where(f => optimizer.Groups.Any(g => g.Block == f.Text)))
        {
            _diagnostics.ReportWithFix(DiagnosticCode.FrozenGroup, name.Span, "remove its group, or do not freeze it", name.Text);
        }

        var trainable = shared.Where(b => b.ParameterCount > 0).Select(b => b.Name)
            .Concat(heads.Where(t => t.ParameterCount > 0).Select(t => t.Name))
            .Where(n => !names.Contains(n));
        if (!trainable.Any())
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.NothingToTrain,
                SourceSpan.Between(frozen[0].Span, frozen[frozen.Count - 1].Span),
                "leave a block or task head unfrozen",
                model,
                string.Join(", ", frozen.Select(f => f.Text)));
            return;
        }

        var sharedWithParameters = shared.Where(b => b.ParameterCount > 0).ToList();
        var needs = weighting.Name == "gradnorm" ? "balances the tasks' gradient norms on"
            : WeightingCatalog.GradientMethods.Contains(weighting.Name) ? "combines the tasks' gradients of"
            : null;
        if (needs is not null && weightingStatement is not null && sharedWithParameters.Count > 0 && sharedWithParameters.All(b => names.Contains(b.Name)))
        {
            var span = weightingStatement.Values.Count > 0 ? weightingStatement.Values[0].Span : weightingStatement.Keyword.Span;
            _diagnostics.ReportWithFix(
                DiagnosticCode.WeightingNeedsTrainable,
                span,
                "leave a shared block unfrozen, or weight the losses alone (fixed, uncertainty, dwa, rlw or famo)",
                weighting.Name,
                needs,
                string.Join(", ", sharedWithParameters.Select(b => b.Name)));
        }
    }
}
