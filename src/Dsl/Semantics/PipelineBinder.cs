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

    /// <summary>The options of <c>mmoe</c>: how many experts, one expert's layers, the tasks with a gate each.</summary>
    private static readonly string[] MixtureOptions = [ExpertCount.Name, "expert", "tasks"];

    private static OptionSpec ExpertCount => OptionSpec.RequiredInt("experts", ValueRange.AtLeastOne);

    private readonly DiagnosticBag _diagnostics;
    private readonly ArgumentBinder _arguments;
    private readonly ShapeInference _shapes;
    private readonly ModelScope _scope;

    /// <param name="scope">Resolves sources (null when unknown, reported, or failed) and knows the declared names.</param>
    public PipelineBinder(DiagnosticBag diagnostics, ModelScope scope)
    {
        _diagnostics = diagnostics;
        _arguments = new ArgumentBinder(diagnostics);
        _shapes = new ShapeInference(diagnostics);
        _scope = scope;
    }

    /// <param name="shared">Whether the pipeline is a shared block's, the one place a mixture of experts may stand.</param>
    public Pipeline? Bind(string owner, ValueSyntax syntax, bool shared = false)
    {
        var steps = syntax is ChainSyntax chain ? chain.Steps : [syntax];
        var source = BindSource(owner, steps[0]);
        var mixtureAllowed = shared && steps.Count == 2 && steps[0] is NameSyntax or MemberAccessSyntax;
        var layers = BindLayers(owner, steps.Skip(1), source?.Output, mixtureAllowed);
        return source is null || layers is null ? null : new Pipeline(source, layers.Value.Layers, layers.Value.Output);
    }

    private PipelineSource? BindSource(string owner, ValueSyntax syntax)
    {
        switch (syntax)
        {
            case NameSyntax name:
                return _scope.Resolve(name);
            case MemberAccessSyntax access:
                return _scope.ResolveMember(access);
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
    private (EquatableArray<Layer> Layers, TensorType Output)? BindLayers(
        string owner, IEnumerable<ValueSyntax> steps, TensorType? input, bool mixtureAllowed = false)
    {
        var layers = new List<Layer>();
        var current = input;
        foreach (var step in steps)
        {
            var layer = BindLayer(owner, step, current, mixtureAllowed);
            if (layer is not null)
            {
                layers.Add(layer);
            }

            current = layer?.Output;
        }

        return current is null ? null : (layers.ToEquatableArray(), current);
    }

    private Layer? BindLayer(string owner, ValueSyntax step, TensorType? input, bool mixtureAllowed)
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

        if (name.Text == LayerCatalog.Mmoe)
        {
            if (!mixtureAllowed)
            {
                _diagnostics.Report(DiagnosticCode.MisplacedMixture, name.Span, name.Text);
                return null;
            }

            return BindMixture(owner, step, name, arguments, input);
        }

        if (!LayerCatalog.TryGet(name.Text, out var kind, out var signature))
        {
            var fix = Suggestions.DidYouMean(name.Text, LayerCatalog.AllWords)
                ?? (_scope.IsDeclared(name.Text) ? $"'{name.Text}' can only start a pipeline; combine sources with concat or add" : null);
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

    /// <summary>
    /// <c>mmoe(experts: n, expert: layers, tasks: [a, b])</c> (Ma et al., KDD 2018): n copies of the
    /// expert's layers over the block's source x, and for each task t a gate softmax(W_t·x + b_t)
    /// over the experts, x flattened; task t's output is Σᵢ g_t,i · expert_i(x). Parameters:
    /// n·(one expert's) + tasks·(in·n + n), in the flattened size of x.
    /// </summary>
    private Layer? BindMixture(string owner, ValueSyntax step, NameSyntax name, IReadOnlyList<ArgumentSyntax> arguments, TensorType? input)
    {
        var errors = _diagnostics.ErrorCount;
        var quoted = ArgumentBinder.Quoted(name.Text);
        var given = new Dictionary<string, ArgumentSyntax>(StringComparer.Ordinal);
        var positional = arguments.Where(a => a.Name is null).ToList();
        if (positional.Count > 0)
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.TooManyArguments, positional[0].Span, "name each option: experts: 4, expert: linear(64) -> relu, tasks: [a, b]",
                name.Text, 0, positional.Count);
        }

        foreach (var argument in arguments.Where(a => a.Name is not null))
        {
            var option = argument.Name!;
            if (!MixtureOptions.Contains(option.Text))
            {
                _diagnostics.ReportWithFix(
                    DiagnosticCode.UnknownOption, option.Span, Suggestions.DidYouMeanOrList(option.Text, MixtureOptions), name.Text, Lexer.Quote(option.Text));
            }
            else if (given.ContainsKey(option.Text))
            {
                _diagnostics.Report(DiagnosticCode.DuplicateArgument, argument.Span, option.Text, name.Text);
            }
            else
            {
                given.Add(option.Text, argument);
            }
        }

        foreach (var option in MixtureOptions.Where(o => !given.ContainsKey(o)))
        {
            _diagnostics.Report(DiagnosticCode.MissingArgument, step.Span, name.Text, option);
        }

        var experts = given.TryGetValue(ExpertCount.Name, out var count)
            ? _arguments.BindValue(quoted, ExpertCount, count.Value) as IntegerValue
            : null;
        var tasks = given.TryGetValue("tasks", out var list) ? BindGateTasks(name.Text, list.Value) : null;
        var expert = given.TryGetValue("expert", out var body)
            ? BindLayers(owner, body.Value is ChainSyntax chain ? chain.Steps : [body.Value], input)
            : null;
        // The gates read the source itself (flattened), so it must be a float vector, image, ...: ids need a block that embeds them first.
        if (input is not null && !_shapes.RequireFloatingPoint(name.Text, input, step.Span))
        {
            return null;
        }

        if (_diagnostics.ErrorCount != errors || input is null || experts is null || tasks is null || expert is not { } bound)
        {
            return null;
        }

        var gateInputs = Saturating.Product(input.Shape.Dimensions);
        var gate = Saturating.Add(Saturating.Multiply(gateInputs, experts.Value), experts.Value);
        var parameters = Saturating.Add(
            Saturating.Multiply(experts.Value, Saturating.Sum(bound.Layers.Select(l => l.ParameterCount))),
            Saturating.Multiply(tasks.Count, gate));
        var taskList = new ListValue(tasks.Select(t => (OptionValue)new NameValue(t)).ToEquatableArray());
        var setting = new Setting(name.Text, new[]
        {
            new Option(ExpertCount.Name, experts, IsDefault: false),
            new Option("tasks", taskList, IsDefault: false),
        }.ToEquatableArray());
        return new Layer(LayerKind.Mmoe, setting, input, bound.Output, parameters, bound.Layers);
    }

    /// <summary><c>tasks: [a, b]</c>: declared tasks, each once; null when any is wrong (reported).</summary>
    private List<string>? BindGateTasks(string layer, ValueSyntax value)
    {
        if (value is not ListSyntax { Items.Count: > 0 } list || list.Items.Any(i => i is not NameSyntax))
        {
            _diagnostics.Report(
                DiagnosticCode.WrongValueType, value.Span, ArgumentBinder.Quoted(layer), "tasks", "a list of task names: [income, marital]", SyntaxText.Of(value));
            return null;
        }

        var declared = _scope.DeclaredTasks;
        var tasks = new List<string>();
        var ok = true;
        foreach (var task in list.Items.Cast<NameSyntax>())
        {
            if (!declared.Contains(task.Text))
            {
                _diagnostics.ReportWithFix(
                    DiagnosticCode.GateForUnknownTask, task.Span, Suggestions.DidYouMean(task.Text, declared), layer, task.Text);
                ok = false;
            }
            else if (tasks.Contains(task.Text))
            {
                _diagnostics.Report(DiagnosticCode.GateListedTwice, task.Span, layer, task.Text);
                ok = false;
            }
            else
            {
                tasks.Add(task.Text);
            }
        }

        return ok ? tasks : null;
    }
}
