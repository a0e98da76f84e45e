using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Binds <c>source -&gt; layer -&gt; ...</c>: resolves the source (a name, <c>concat</c> or
/// <c>add</c>), binds each layer's options and infers its shape. Returns null once something
/// failed; the failure has been reported, and later steps are still checked for option errors.
/// </summary>
internal sealed class PipelineBinder
{
    private static readonly OptionSpec ConcatDim = OptionSpec.Int("dim", 1);

    private readonly DiagnosticBag _diagnostics;
    private readonly ArgumentBinder _arguments;
    private readonly ShapeInference _shapes;
    private readonly Func<NameSyntax, ReferenceSource?> _resolve;
    private readonly Func<string, bool> _isDeclared;

    /// <param name="resolve">Finds a named source; null when unknown (it reports) or itself failed.</param>
    /// <param name="isDeclared">Tells whether a word is a declared name, to explain a block used as a layer.</param>
    public PipelineBinder(DiagnosticBag diagnostics, Func<NameSyntax, ReferenceSource?> resolve, Func<string, bool> isDeclared)
    {
        _diagnostics = diagnostics;
        _arguments = new ArgumentBinder(diagnostics);
        _shapes = new ShapeInference(diagnostics);
        _resolve = resolve;
        _isDeclared = isDeclared;
    }

    public Pipeline? Bind(string owner, ValueSyntax syntax)
    {
        var steps = syntax is ChainSyntax chain ? chain.Steps : [syntax];
        var source = BindSource(owner, steps[0]);
        var layers = BindLayers(owner, steps.Skip(1), source?.Output);
        return source is null || layers is null ? null : new Pipeline(source, layers.Value.Layers, layers.Value.Output);
    }

    private PipelineSource? BindSource(string owner, ValueSyntax syntax)
    {
        switch (syntax)
        {
            case NameSyntax name:
                return _resolve(name);
            case CallSyntax { Name.Text: LayerCatalog.Concat or LayerCatalog.Add } call:
                return BindMerge(owner, call);
            case MissingSyntax:
                return null;
            default:
                var what = syntax is CallSyntax layer && LayerCatalog.TryGet(layer.Name.Text, out _, out _)
                    ? "layer '" + layer.Name.Text + "'"
                    : "'" + SyntaxText.Of(syntax) + "'";
                _diagnostics.Report(
                    DiagnosticCode.StatementForm,
                    syntax.Span,
                    owner,
                    "a source first (an input, shared block, task, concat or add); found " + what);
                return null;
        }
    }

    private MergeSource? BindMerge(string owner, CallSyntax call)
    {
        var kind = call.Name.Text == LayerCatalog.Concat ? MergeKind.Concat : MergeKind.Add;
        long dim = 1;
        var branches = new List<Pipeline?>();
        foreach (var argument in call.Arguments)
        {
            if (argument.Name is null)
            {
                branches.Add(Bind(owner, argument.Value));
            }
            else if (kind == MergeKind.Concat && argument.Name.Text == ConcatDim.Name)
            {
                dim = (_arguments.BindValue(ArgumentBinder.Quoted(call.Name.Text), ConcatDim, argument.Value) as IntegerValue)?.Value ?? dim;
            }
            else
            {
                var fix = kind == MergeKind.Concat ? Suggestions.DidYouMeanOrList(argument.Name.Text, [ConcatDim.Name]) : "'add' takes no options";
                _diagnostics.ReportWithFix(
                    DiagnosticCode.UnknownOption, argument.Name.Span, fix, call.Name.Text, Lexer.Quote(argument.Name.Text));
            }
        }

        if (branches.Count < 2)
        {
            _diagnostics.Report(DiagnosticCode.StatementForm, call.Span, call.Name.Text, "two or more sources");
            return null;
        }

        if (branches.Any(b => b is null))
        {
            return null;
        }

        var bound = branches.Select(b => b!).ToEquatableArray();
        var types = bound.Select(b => b.Output).ToList();
        var output = kind == MergeKind.Concat ? _shapes.Concat(types, dim, call.Span) : _shapes.Add(types, call.Span);
        if (output is null)
        {
            return null;
        }

        var positiveDim = kind == MergeKind.Concat ? (int)(dim < 0 ? dim + output.Shape.Rank + 1 : dim) : 0;
        return new MergeSource(kind, positiveDim, bound, output);
    }

    /// <summary>Binds layers in order; the input is null when an earlier step failed.</summary>
    private (EquatableArray<Layer> Layers, TensorType Output)? BindLayers(string owner, IEnumerable<ValueSyntax> steps, TensorType? input)
    {
        var layers = new List<Layer>();
        var current = input;
        foreach (var step in steps)
        {
            var layer = BindLayer(owner, step, current);
            if (layer is not null)
            {
                layers.Add(layer);
            }

            current = layer?.Output;
        }

        return current is null ? null : (layers.ToEquatableArray(), current);
    }

    private Layer? BindLayer(string owner, ValueSyntax step, TensorType? input)
    {
        var (name, arguments) = ArgumentBinder.SplitCall(step);
        if (name is null)
        {
            if (step is not MissingSyntax)
            {
                _diagnostics.Report(DiagnosticCode.StatementForm, step.Span, owner, $"a layer after '->'; found '{SyntaxText.Of(step)}'");
            }

            return null;
        }

        if (name.Text == LayerCatalog.Residual)
        {
            return BindResidual(owner, step, arguments, input);
        }

        if (!LayerCatalog.TryGet(name.Text, out var kind, out var signature))
        {
            var fix = Suggestions.DidYouMean(name.Text, LayerCatalog.AllWords)
                ?? (_isDeclared(name.Text) ? $"'{name.Text}' can only start a pipeline; combine sources with concat or add" : null);
            _diagnostics.ReportWithFix(DiagnosticCode.UnknownLayer, name.Span, fix, Lexer.Quote(name.Text));
            return null;
        }

        var setting = _arguments.Bind(signature, arguments, step.Span);
        return input is null || setting is null ? null : _shapes.Infer(kind, setting, input, step.Span);
    }

    private Layer? BindResidual(string owner, ValueSyntax step, IReadOnlyList<ArgumentSyntax> arguments, TensorType? input)
    {
        if (arguments.Count != 1 || arguments[0].Name is not null)
        {
            _diagnostics.Report(DiagnosticCode.StatementForm, step.Span, LayerCatalog.Residual, "one pipeline of layers: residual(linear(64) -> relu)");
            return null;
        }

        var body = arguments[0].Value;
        var bound = BindLayers(owner, body is ChainSyntax chain ? chain.Steps : [body], input);
        if (bound is not { } result || input is null)
        {
            return null;
        }

        if (!result.Output.Equals(input))
        {
            _diagnostics.Report(DiagnosticCode.ResidualMismatch, step.Span, input.Shape, result.Output.Shape);
            return null;
        }

        var parameters = Saturating.Sum(result.Layers.Select(l => l.ParameterCount));
        var setting = new Setting(LayerCatalog.Residual, EquatableArray<Option>.Empty);
        return new Layer(LayerKind.Residual, setting, input, input, parameters, result.Layers);
    }
}
