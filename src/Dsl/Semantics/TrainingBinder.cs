using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>Binds <c>train { ... }</c>: loop settings, early stopping, update mode, sampling, ties and frozen blocks (its stages: <see cref="StageBinder"/>).</summary>
internal sealed class TrainingBinder
{
    private static readonly Dictionary<string, SettingSpec> SamplingSignatures = new(StringComparer.Ordinal)
    {
        [SettingCatalog.Proportional] = new SettingSpec(SettingCatalog.Proportional),
        [SettingCatalog.RoundRobin] = new SettingSpec(SettingCatalog.RoundRobin),
        [SettingCatalog.Temperature.Name] = SettingCatalog.Temperature,
    };

    private static readonly Dictionary<string, SettingSpec> TieTerms = new(StringComparer.Ordinal) { ["l2"] = SettingCatalog.L2 };

    private readonly DiagnosticBag _diagnostics;
    private readonly ArgumentBinder _arguments;
    private readonly StatementForms _forms;
    private readonly ModelScope _scope;
    private readonly List<NameSyntax> _frozen = new();
    private readonly List<StatementSyntax> _stages = new();

    public TrainingBinder(DiagnosticBag diagnostics, ModelScope scope)
    {
        _diagnostics = diagnostics;
        _arguments = new ArgumentBinder(diagnostics);
        _forms = new StatementForms(diagnostics);
        _scope = scope;
    }

    /// <summary>The blocks of every <c>freeze</c> statement bound so far, as written (for the model's own checks).</summary>
    public IReadOnlyList<NameSyntax> Frozen => _frozen;

    /// <summary>The <c>stage</c> statements, in order, for <see cref="StageBinder"/> once the model's blocks and optimizer are bound.</summary>
    public IReadOnlyList<StatementSyntax> Stages => _stages;

    public Training? Bind(StatementSyntax? train)
    {
        var body = train is null ? [] : _forms.BodyOnly(train, "a block: train { epochs 20 }");
        if (body is null)
        {
            return null;
        }

        var known = SettingCatalog.TrainStatements.ToArray();
        var ties = new List<Tie>();
        var ok = true;
        var singles = new List<StatementSyntax>();
        foreach (var statement in body)
        {
            if (statement.Keyword.Text == SettingCatalog.Tie)
            {
                var tie = BindTie(statement);
                ok &= tie is not null;
                if (tie is not null)
                {
                    ties.Add(tie);
                }
            }
            else if (statement.Keyword.Text == SettingCatalog.Freeze)
            {
                ok &= new FreezeBinder(_diagnostics, _scope).Bind(statement, _frozen);
            }
            else if (statement.Keyword.Text == SettingCatalog.Stage)
            {
                _stages.Add(statement);
            }
            else if (known.Contains(statement.Keyword.Text))
            {
                singles.Add(statement);
            }
            else
            {
                _forms.ReportUnknown(statement, "train", known);
                ok = false;
            }
        }

        var settings = _forms.FirstOfEach(singles);
        var values = new Dictionary<string, OptionValue?>(StringComparer.Ordinal);
        foreach (var parameter in SettingCatalog.TrainValues.Values)
        {
            if (!settings.TryGetValue(parameter.Name, out var statement))
            {
                values[parameter.Name] = parameter.Default;
                continue;
            }

            var value = _forms.SingleValue(statement, parameter.Expected) is { } syntax
                ? _arguments.BindValue("'train'", parameter, syntax)
                : null;
            ok &= value is not null;
            values[parameter.Name] = value;
        }

        var earlyStop = settings.TryGetValue(SettingCatalog.EarlyStop.Name, out var earlyStopSyntax)
            ? BindEarlyStop(earlyStopSyntax)
            : null;
        ok &= earlyStopSyntax is null || earlyStop is not null;
        var sampling = settings.TryGetValue(SettingCatalog.Sampling, out var samplingSyntax)
            ? BindSampling(samplingSyntax)
            : new Sampling(SamplingKind.Proportional, 0);
        ok &= sampling is not null;
        int? relatedness = null;
        if (settings.TryGetValue(SettingCatalog.Relatedness.Name, out var relatednessSyntax))
        {
            relatedness = BindRelatedness(relatednessSyntax);
            ok &= relatedness is not null;
        }

        if (!ok)
        {
            return null;
        }

        return new Training(
            (int)Integer(values["epochs"]),
            (int)Integer(values["batch_size"]),
            (values["clip_grad_norm"] as NumberValue)?.Value,
            (int)Integer(values["accumulate"]),
            ((IntegerValue)values["seed"]!).Value,
            earlyStop,
            (values["update"] as NameValue)?.Value == "alternate" ? UpdateMode.Alternate : UpdateMode.Joint,
            sampling!,
            ties.ToEquatableArray(),
            _frozen.Select(f => f.Text).ToEquatableArray())
        {
            Relatedness = relatedness,
        };
    }

    /// <summary><c>relatedness</c> or <c>relatedness(every: N)</c>: the sampling rate of the task-relatedness report.</summary>
    private int? BindRelatedness(StatementSyntax statement)
    {
        if (!_forms.Check(statement, $"relatedness or relatedness(every: {TrainCatalog.RelatednessEvery})", statement.Values.Count == 0 && statement.Body is null))
        {
            return null;
        }

        if (statement.Arguments is null)
        {
            return TrainCatalog.RelatednessEvery;
        }

        return _arguments.Bind(SettingCatalog.Relatedness, statement.Arguments, statement.Span) is { } setting
            ? (int)setting.Integer("every")
            : null;
    }

    private static long Integer(OptionValue? value) => (value as IntegerValue)?.Value ?? 0;

    /// <summary><c>early_stop(...)</c>, in <c>train { }</c> or a stage.</summary>
    public EarlyStop? BindEarlyStop(StatementSyntax statement)
    {
        if (!_forms.ArgumentsOnly(statement, "arguments: early_stop(monitor: task.metric, patience: 3)"))
        {
            return null;
        }

        var setting = _arguments.Bind(SettingCatalog.EarlyStop, statement.Arguments!, statement.Span);
        if (setting?.Word("monitor") is not { } monitor)
        {
            return null;
        }

        var written = ArgumentBinder.ArgumentFor(SettingCatalog.EarlyStop, statement.Arguments!, "monitor");
        if (_scope.ResolveMonitor(SettingCatalog.EarlyStop.Name, monitor, written?.Value.Span ?? statement.Span) is not { } resolved)
        {
            return null;
        }

        var mode = setting.Word("mode") switch
        {
            "min" => MonitorMode.Min,
            "max" => MonitorMode.Max,
            _ => TaskCatalog.LowerIsBetter(resolved.Metric) ? MonitorMode.Min : MonitorMode.Max,
        };
        return new EarlyStop(resolved.Task, resolved.Metric, (int)setting.Integer("patience"), mode, setting.Number("min_delta"));
    }

    private Sampling? BindSampling(StatementSyntax statement)
    {
        if (_forms.SingleValue(statement, "round_robin, proportional or temperature(T)") is not { } value ||
            _arguments.BindSetting(SamplingSignatures, "sampling", value) is not { } setting)
        {
            return null;
        }

        return setting.Name switch
        {
            SettingCatalog.RoundRobin => new Sampling(SamplingKind.RoundRobin, 0),
            SettingCatalog.Proportional => new Sampling(SamplingKind.Proportional, 0),
            _ => new Sampling(SamplingKind.Temperature, setting.Number("t")),
        };
    }

    /// <summary><c>tie a, b l2(λ)</c>: two blocks with the same parameter layout.</summary>
    private Tie? BindTie(StatementSyntax statement)
    {
        const string Expected = "two blocks and a penalty: tie a, b l2(0.01)";
        var values = statement.Values;
        var ok = statement.Arguments is null && statement.Body is null && values.Count == 3 &&
                 values[0] is NameSyntax && values[1] is NameSyntax;
        if (!_forms.Check(statement, Expected, ok))
        {
            return null;
        }

        NameSyntax first = (NameSyntax)values[0], second = (NameSyntax)values[1];
        if (first.Text == second.Text)
        {
            _diagnostics.Report(DiagnosticCode.StatementForm, statement.Span, SettingCatalog.Tie, "two different blocks");
            return null;
        }

        var a = _scope.ResolveBlock(first, "tie");
        var b = _scope.ResolveBlock(second, "tie");
        var penalty = _arguments.BindSetting(TieTerms, "tie penalty", values[2]);
        if (a is null || b is null || penalty is null)
        {
            return null;
        }

        string layoutA = Layout(a), layoutB = Layout(b);
        if (layoutA != layoutB)
        {
            _diagnostics.Report(DiagnosticCode.TieMismatch, statement.Span, first.Text, layoutA, second.Text, layoutB);
            return null;
        }

        return new Tie(first.Text, second.Text, penalty.Number("lambda"));
    }

    /// <summary>The layers that hold parameters, with their shapes: what a tie compares.</summary>
    private static string Layout(Pipeline pipeline) => Layout(pipeline.Layers);

    /// <summary>A mixture of experts or cross-stitch also shows its counts, tasks and expert or tower layers, which decide its parameters.</summary>
    private static string Layout(IEnumerable<Layer> layers) =>
        "[" + string.Join(", ", Flatten(layers).Where(l => l.ParameterCount > 0)
            .Select(l => l.Kind.HasTaskOutputs()
                ? $"{l.Setting.Name}({string.Join(", ", l.Setting.Options.Select(o => $"{o.Name}: {o.Value}"))}) {l.Input.Shape} -> {l.Output.Shape} {Layout(l.Body)}"
                : $"{l.Setting.Name} {l.Input.Shape} -> {l.Output.Shape}")) + "]";

    private static IEnumerable<Layer> Flatten(IEnumerable<Layer> layers) =>
        layers.SelectMany(l => l.Kind == LayerKind.Residual ? Flatten(l.Body) : [l]);
}
