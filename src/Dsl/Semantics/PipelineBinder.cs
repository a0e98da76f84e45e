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

    /// <summary>
    /// The counting options of each mixture of experts (<c>mmoe</c>: experts; <c>cgc</c>: shared and
    /// task-specific experts per level; <c>ple</c>: also the levels); each also takes one expert's
    /// layers (<c>expert</c>) and the tasks with a gate each (<c>tasks</c>), all named and required.
    /// </summary>
    private static readonly Dictionary<string, (LayerKind Kind, OptionSpec[] Counts)> Mixtures = new(StringComparer.Ordinal)
    {
        [LayerCatalog.Mmoe] = (LayerKind.Mmoe, [OptionSpec.RequiredInt("experts", ValueRange.AtLeastOne)]),
        [LayerCatalog.Cgc] = (LayerKind.Cgc, [OptionSpec.RequiredInt("shared", ValueRange.NonNegative), OptionSpec.RequiredInt("specific", ValueRange.NonNegative)]),
        [LayerCatalog.Ple] = (LayerKind.Ple,
            [OptionSpec.RequiredInt("levels", ValueRange.AtLeastOne), OptionSpec.RequiredInt("shared", ValueRange.NonNegative), OptionSpec.RequiredInt("specific", ValueRange.NonNegative)]),
    };

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
    /// <param name="branch">Whether the pipeline is one source of a merge (<c>concat</c>, <c>add</c>), which starts with no padding mask.</param>
    public Pipeline? Bind(string owner, ValueSyntax syntax, bool shared = false, bool branch = false)
    {
        var steps = syntax is ChainSyntax chain ? chain.Steps : [syntax];
        var source = BindSource(owner, steps[0]);
        var mixtureAllowed = shared && steps.Count == 2 && steps[0] is NameSyntax or MemberAccessSyntax;
        var layers = BindLayers(owner, steps.Skip(1), source?.Output, mixtureAllowed);
        if (layers is { } bound && LeftBehind(source, branch) is { } masked && SequenceMasks.FirstReader(bound.Layers) is { } reader)
        {
            // A pipeline reading a block or task starts with its mask; a merge and its branches do not (docs/language.md, "Padding masks").
            var layer = bound.Layers[reader];
            _diagnostics.ReportWithFix(
                DiagnosticCode.MaskNotCarried,
                steps[reader + 1].Span,
                $"move '{layer.Setting.Name}' into a block that reads '{masked}' alone, and merge that block",
                layer.Setting.Name,
                masked,
                branch ? "a merge's source does not start with the padding mask" : "a merge over the positions, or of different masks, carries none");
        }

        return source is null || layers is null ? null : new Pipeline(source, layers.Value.Layers, layers.Value.Output);
    }

    /// <summary>
    /// The block or task whose padding mask a pipeline with <paramref name="source"/> leaves behind:
    /// for a merge's branch, the block it reads; for a merge that carries no mask (over the
    /// positions, or of different masks), the first block a branch of it reads that reaches the
    /// merge still carrying a mask; null otherwise.
    /// </summary>
    private string? LeftBehind(PipelineSource? source, bool branch)
    {
        switch (source)
        {
            case ReferenceSource reference when branch:
                return SequenceMasks.MaskFrom(reference, _scope.MaskOrigin);
            case MergeSource merge when SequenceMasks.MaskFrom(merge, _scope.MaskOrigin) is null:
                return merge.Branches.Select(b => SequenceMasks.ReachesTheMerge(b, _scope.MaskOrigin)).FirstOrDefault(n => n is not null);
            default:
                return null;
        }
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
                branches.Add(Bind(owner, argument.Value, branch: true));
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
        string owner, IEnumerable<ValueSyntax> steps, TensorType? input, bool mixtureAllowed = false, bool stitchAllowed = false)
    {
        var layers = new List<Layer>();
        var current = input;
        foreach (var step in steps)
        {
            var layer = BindLayer(owner, step, current, mixtureAllowed, stitchAllowed);
            if (layer is { Kind: LayerKind.Conv1d } && ReadsEmbeddingDirectly(layers))
            {
                var embedded = layer.Input.Shape.Dimensions;
                _diagnostics.ReportWithFix(
                    DiagnosticCode.EmbeddingIntoConv1d,
                    step.Span,
                    $"to convolve over the {embedded[0]} positions with {embedded[1]} channels, put 'transpose(1, 2)' before 'conv1d'",
                    layer.Input.Shape,
                    embedded[0],
                    embedded[1]);
            }

            if (layer is not null)
            {
                layers.Add(layer);
            }

            current = layer?.Output;
        }

        return current is null ? null : (layers.ToEquatableArray(), current);
    }

    private Layer? BindLayer(string owner, ValueSyntax step, TensorType? input, bool mixtureAllowed, bool stitchAllowed)
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

        if (name.Text == LayerCatalog.Stitch)
        {
            if (!stitchAllowed)
            {
                _diagnostics.Report(DiagnosticCode.MisplacedStitch, name.Span);
                return null;
            }

            if (arguments.Count > 0)
            {
                _diagnostics.ReportWithFix(DiagnosticCode.UnknownOption, arguments[0].Span, "'stitch' takes no options", name.Text, Lexer.Quote(SyntaxText.Of(arguments[0].Value)));
                return null;
            }

            return input is null ? null : new Layer(LayerKind.Stitch, new Setting(name.Text, EquatableArray<Option>.Empty), input, input, 0, EquatableArray<Layer>.Empty);
        }

        if (name.Text == LayerCatalog.CrossStitch)
        {
            if (!mixtureAllowed)
            {
                _diagnostics.Report(DiagnosticCode.MisplacedMixture, name.Span, name.Text);
                return null;
            }

            return BindCrossStitch(owner, step, name, arguments, input);
        }

        if (Mixtures.ContainsKey(name.Text))
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

        if (kind == LayerKind.Permute)
        {
            arguments = GatherDims(arguments);
        }

        var setting = _arguments.Bind(signature, arguments, step.Span);
        return input is null || setting is null ? null : _shapes.Infer(kind, setting, input, step.Span);
    }

    /// <summary>
    /// Whether the layers end in an <c>embedding</c> followed only by layers that keep its layout
    /// (activations, dropout, normalisation, residuals): a <c>conv1d</c> after them takes the
    /// positions as channels. A <c>permute</c> or <c>transpose</c> changes the layout, even one
    /// that keeps the shape.
    /// </summary>
    private static bool ReadsEmbeddingDirectly(List<Layer> layers)
    {
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            var layer = layers[i];
            if (layer.Kind == LayerKind.Embedding)
            {
                return true;
            }

            if (layer.Kind is LayerKind.Permute or LayerKind.Transpose || !layer.Output.Shape.Equals(layer.Input.Shape))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// <c>permute(0, 2, 1)</c> as <c>permute(dims: [0, 2, 1])</c>: the positional numbers become one
    /// list; a written list or named argument stays as it is.
    /// </summary>
    private static IReadOnlyList<ArgumentSyntax> GatherDims(IReadOnlyList<ArgumentSyntax> arguments)
    {
        if (arguments.Count == 0 || arguments.Any(a => a.Name is not null) || (arguments.Count == 1 && arguments[0].Value is ListSyntax))
        {
            return arguments;
        }

        var span = SourceSpan.Between(arguments[0].Span, arguments[arguments.Count - 1].Span);
        return [new ArgumentSyntax(null, new ListSyntax([.. arguments.Select(a => a.Value)], span), span)];
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
    /// A mixture of experts over the block's source x, each task's output its own gate's mix of
    /// experts, a gate being softmax(W·flatten(x) + b) over the experts it mixes:
    /// <list type="bullet">
    /// <item><c>mmoe(experts: n, ...)</c> (Ma et al., KDD 2018): n experts, each task's gate over all of
    /// them; n·E + T·(in·n + n) parameters (E one expert's, T tasks, in the values of x).</item>
    /// <item><c>cgc(shared: s, specific: p, ...)</c> (Tang et al., RecSys 2020): s shared experts and p
    /// per task, each task's gate over its own and the shared ones; (s + T·p)·E + T·(in·m + m), m = p + s.</item>
    /// <item><c>ple(levels: L, shared: s, specific: p, ...)</c>: L such levels, each reading the previous
    /// one's outputs (task t's experts and gate its t output, the shared experts a shared gate's mix
    /// of all the previous level's experts); every level but the last adds that shared gate,
    /// in·(s + T·p) + (s + T·p). The layer's <see cref="Layer.Body"/> holds each level's expert
    /// layers, one level after another.</item>
    /// </list>
    /// </summary>
    private Layer? BindMixture(string owner, ValueSyntax step, NameSyntax name, IReadOnlyList<ArgumentSyntax> arguments, TensorType? input)
    {
        var errors = _diagnostics.ErrorCount;
        var (kind, counts) = Mixtures[name.Text];
        var optionNames = counts.Select(c => c.Name).Concat(["expert", "tasks"]).ToArray();
        var quoted = ArgumentBinder.Quoted(name.Text);
        var given = NamedArguments(step, name, arguments, optionNames);

        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var count in counts)
        {
            if (given.TryGetValue(count.Name, out var written) && _arguments.BindValue(quoted, count, written.Value) is IntegerValue value)
            {
                values[count.Name] = value.Value;
            }
        }

        var tasks = given.TryGetValue("tasks", out var list) ? BindGateTasks(name.Text, list.Value) : null;
        var expertSyntax = given.TryGetValue("expert", out var body) ? (body.Value is ChainSyntax chain ? chain.Steps : [body.Value]) : null;
        var expert = expertSyntax is null ? null : BindLayers(owner, expertSyntax, input);

        // The gates read the source itself (flattened), so it must be a float vector, image, ...: ids need a block that embeds them first.
        if (input is not null && !_shapes.RequireFloatingPoint(name.Text, input, step.Span))
        {
            return null;
        }

        if (_diagnostics.ErrorCount != errors || input is null || tasks is null || expert is not { } first || expertSyntax is null)
        {
            return null;
        }

        long Count(string option) => values.TryGetValue(option, out var v) ? v : 0;
        var (shared, specific) = kind == LayerKind.Mmoe ? (Count("experts"), 0L) : (Count("shared"), Count("specific"));
        if (shared + specific == 0)
        {
            _diagnostics.Report(DiagnosticCode.OptionsConflict, step.Span, name.Text, "'shared' and 'specific' are both 0, so a task's gate has no expert to mix");
            return null;
        }

        var levels = kind == LayerKind.Ple ? Count("levels") : 1;
        var all = Saturating.Add(shared, Saturating.Multiply(tasks.Count, specific));
        var mixed = shared + specific;
        var layers = new List<Layer>();
        var parameters = 0L;
        var levelInput = input;
        var levelLayers = first;
        for (var level = 0; level < levels; level++)
        {
            if (level > 0)
            {
                // Each later level's experts read the previous level's output: when they cannot, say so at the expert, with the layer's reason.
                var scratch = new DiagnosticBag(string.Empty);
                if (new PipelineBinder(scratch, _scope).BindLayers(owner, expertSyntax, levelInput) is not { } next)
                {
                    var reason = scratch.Items.FirstOrDefault(d => d.Severity == DiagnosticSeverity.Error)?.Message ?? "it does not fit";
                    _diagnostics.ReportWithFix(
                        DiagnosticCode.ExpertDoesNotChain, given["expert"].Value.Span, "give the expert layers that read their own output, as linear(64) -> relu does",
                        name.Text, level + 1, level, levelInput, reason);
                    return null;
                }

                levelLayers = next;
            }

            var gateInputs = Saturating.Product(levelInput.Shape.Dimensions);
            var expertParameters = Saturating.Sum(levelLayers.Layers.Select(l => l.ParameterCount));
            parameters = Saturating.Add(parameters, Saturating.Multiply(all, expertParameters));
            parameters = Saturating.Add(parameters, Saturating.Multiply(tasks.Count, Saturating.Add(Saturating.Multiply(gateInputs, mixed), mixed)));
            if (level < levels - 1)
            {
                parameters = Saturating.Add(parameters, Saturating.Add(Saturating.Multiply(gateInputs, all), all));
            }

            layers.AddRange(levelLayers.Layers);
            levelInput = levelLayers.Output;
        }

        var taskList = new ListValue(tasks.Select(t => (OptionValue)new NameValue(t)).ToEquatableArray());
        var options = counts.Select(c => new Option(c.Name, new IntegerValue(values[c.Name]), IsDefault: false))
            .Concat([new Option("tasks", taskList, IsDefault: false)]);
        return new Layer(kind, new Setting(name.Text, options.ToEquatableArray()), input, levelInput, parameters, layers.ToEquatableArray());
    }

    /// <summary>
    /// The arguments of a mixture or cross-stitch by name, each of <paramref name="optionNames"/>
    /// required once: a positional, unknown, repeated or missing one is reported.
    /// </summary>
    private Dictionary<string, ArgumentSyntax> NamedArguments(ValueSyntax step, NameSyntax name, IReadOnlyList<ArgumentSyntax> arguments, string[] optionNames)
    {
        var given = new Dictionary<string, ArgumentSyntax>(StringComparer.Ordinal);
        var positional = arguments.Where(a => a.Name is null).ToList();
        if (positional.Count > 0)
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.TooManyArguments, positional[0].Span, $"name each option: {string.Join(", ", optionNames)}",
                name.Text, Wording.Count(0, "positional argument"), positional.Count);
        }

        foreach (var argument in arguments.Where(a => a.Name is not null))
        {
            var option = argument.Name!;
            if (!optionNames.Contains(option.Text))
            {
                _diagnostics.ReportWithFix(
                    DiagnosticCode.UnknownOption, option.Span, Suggestions.DidYouMeanOrList(option.Text, optionNames), name.Text, Lexer.Quote(option.Text));
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

        foreach (var option in optionNames.Where(o => !given.ContainsKey(o)))
        {
            _diagnostics.Report(DiagnosticCode.MissingArgument, step.Span, name.Text, option);
        }
        return given;
    }

    /// <summary>
    /// <c>cross_stitch(tower: layers, tasks: [a, b])</c> (Misra et al., CVPR 2016): one copy of the
    /// tower per task, all reading the source; after each <c>stitch</c> in the tower, every task's
    /// activation becomes a learned linear mix of all the towers' activations there,
    /// x̃ₜ = Σⱼ αₜⱼ·xⱼ, one T×T matrix α per stitch. Parameters: T·(the tower's) + stitches·T².
    /// <see cref="Layer.Body"/> is the tower, its stitches as <see cref="LayerKind.Stitch"/> layers of T² parameters.
    /// </summary>
    private Layer? BindCrossStitch(string owner, ValueSyntax step, NameSyntax name, IReadOnlyList<ArgumentSyntax> arguments, TensorType? input)
    {
        var errors = _diagnostics.ErrorCount;
        string[] optionNames = ["tower", "tasks"];
        var given = NamedArguments(step, name, arguments, optionNames);

        var tasks = given.TryGetValue("tasks", out var list) ? BindGateTasks(name.Text, list.Value) : null;
        var towerSyntax = given.TryGetValue("tower", out var body) ? body.Value : null;
        var tower = towerSyntax is null ? null : BindLayers(owner, towerSyntax is ChainSyntax chain ? chain.Steps : [towerSyntax], input, stitchAllowed: true);
        if (_diagnostics.ErrorCount != errors || input is null || tasks is null || tower is not { } bound || towerSyntax is null)
        {
            return null;
        }

        var stitches = bound.Layers.Count(l => l.Kind == LayerKind.Stitch);
        if (stitches == 0)
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.NoStitch, towerSyntax.Span, "put '-> stitch' after the layers whose activations the towers should share", name.Text);
            return null;
        }

        var unit = Saturating.Multiply(tasks.Count, tasks.Count);
        var layers = bound.Layers.Select(l => l.Kind == LayerKind.Stitch ? l with { ParameterCount = unit } : l).ToEquatableArray();
        var parameters = Saturating.Add(
            Saturating.Multiply(tasks.Count, Saturating.Sum(bound.Layers.Select(l => l.ParameterCount))),
            Saturating.Multiply(stitches, unit));
        var taskList = new ListValue(tasks.Select(t => (OptionValue)new NameValue(t)).ToEquatableArray());
        var setting = new Setting(name.Text, new[] { new Option("tasks", taskList, IsDefault: false) }.ToEquatableArray());
        return new Layer(LayerKind.CrossStitch, setting, input, bound.Output, parameters, layers);
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
