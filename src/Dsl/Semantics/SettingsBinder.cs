using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>Binds the model-level settings: weighting, optimizer with groups, schedule chain and L2 term.</summary>
internal sealed class SettingsBinder
{
    private const string DefaultOptimizer = "adam";

    private static readonly Dictionary<string, SettingSpec> Regularizers = new(StringComparer.Ordinal) { ["l2"] = SettingCatalog.L2, [RelationCatalog.Name] = RelationCatalog.Spec };

    private readonly DiagnosticBag _diagnostics;
    private readonly ArgumentBinder _arguments;
    private readonly StatementForms _forms;
    private readonly ModelScope _scope;

    public SettingsBinder(DiagnosticBag diagnostics, ModelScope scope)
    {
        _diagnostics = diagnostics;
        _arguments = new ArgumentBinder(diagnostics);
        _forms = new StatementForms(diagnostics);
        _scope = scope;
    }

    public Setting? BindWeighting(StatementSyntax? statement)
    {
        if (statement is null)
        {
            return new Setting("fixed", EquatableArray<Option>.Empty);
        }

        if (_forms.SingleValue(statement, "a strategy: weighting uncertainty") is not { } value)
        {
            return null;
        }

        // 'gradients' on a method without a representation-gradient mode: say which have one.
        var (name, arguments) = ArgumentBinder.SplitCall(value);
        if (name is not null && SettingCatalog.Weightings.TryGetValue(name.Text, out var spec) && spec.Option(WeightingCatalog.Gradients) is null
            && arguments.FirstOrDefault(a => a.Name?.Text == WeightingCatalog.Gradients) is { } gradients)
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.NoRepresentationGradients, gradients.Span, "drop 'gradients', or use one of those methods", WeightingCatalog.WithoutRepresentation(name.Text));
            _arguments.Bind(spec, arguments.Where(a => a != gradients).ToList(), value.Span);
            return null;
        }

        if (_arguments.BindSetting(SettingCatalog.Weightings, "weighting strategy", value) is not { } setting)
        {
            return null;
        }

        var written = setting.Options.Where(o => !o.IsDefault).ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal);
        if (WeightingCatalog.Conflict(setting.Name, written) is { } conflict)
        {
            var span = ArgumentBinder.ArgumentFor(SettingCatalog.Weightings[setting.Name], arguments, WeightingCatalog.Gradients)?.Span ?? value.Span;
            _diagnostics.ReportWithFix(DiagnosticCode.OptionsConflict, span, "drop 'ub' or 'gradients'", setting.Name, conflict);
            return null;
        }

        return Agreed(setting);
    }

    /// <summary>
    /// <c>mgda</c> with <c>ub</c> and <c>gradients</c> saying the same, whichever was written (the
    /// other takes its meaning, still marked as not written), so that the values handed on, all
    /// of them, never contradict each other.
    /// </summary>
    private static Setting Agreed(Setting setting)
    {
        if (setting.Name != "mgda")
        {
            return setting;
        }

        var representation = WeightingCatalog.TakesRepresentation(setting.Name, setting.Options.ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal));
        var options = setting.Options.Select(o => o switch
        {
            { Name: WeightingCatalog.UpperBound, IsDefault: true } => o with { Value = new BooleanValue(representation) },
            { Name: WeightingCatalog.Gradients, IsDefault: true } => o with { Value = new NameValue(representation ? WeightingCatalog.Representation : WeightingCatalog.Parameters) },
            _ => o,
        });
        return setting with { Options = options.ToEquatableArray() };
    }

    public Optimizer? BindOptimizer(StatementSyntax? statement)
    {
        if (statement is null)
        {
            var defaults = _arguments.Bind(SettingCatalog.Optimizers[DefaultOptimizer], [], default)!;
            return new Optimizer(defaults, EquatableArray<ParameterGroup>.Empty);
        }

        if (_forms.SingleValue(statement, "an optimizer: optimizer adam(lr: 1e-3)", allowBody: true) is not { } value ||
            _arguments.BindSetting(SettingCatalog.Optimizers, "optimizer", value) is not { } setting)
        {
            return null;
        }

        var values = setting.Options.ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal);
        if (OptimizerCatalog.Conflict(setting.Name, values) is { } conflict)
        {
            var (_, arguments) = ArgumentBinder.SplitCall(value);
            var span = ArgumentBinder.ArgumentFor(SettingCatalog.Optimizers[setting.Name], arguments ?? [], "nesterov")?.Span ?? value.Span;
            _diagnostics.ReportWithFix(DiagnosticCode.OptionsConflict, span, "set momentum (and leave dampening at 0), or drop nesterov", setting.Name, conflict);
            return null;
        }

        var groups = new List<ParameterGroup>();
        var ok = true;
        foreach (var group in statement.Body ?? [])
        {
            var bound = BindGroup(group, SettingCatalog.Optimizers[setting.Name], groups);
            ok &= bound is not null;
            if (bound is not null)
            {
                groups.Add(bound);
            }
        }

        return ok ? new Optimizer(setting, groups.ToEquatableArray()) : null;
    }

    /// <summary><c>group block(lr: 5e-4)</c>: the optimizer's options, only those written.</summary>
    private ParameterGroup? BindGroup(StatementSyntax statement, SettingSpec optimizer, List<ParameterGroup> earlier)
    {
        if (statement.Keyword.Text != SettingCatalog.Group)
        {
            _forms.ReportUnknown(statement, "optimizer", [SettingCatalog.Group]);
            return null;
        }

        if (_forms.SingleValue(statement, "a block and options: group trunk(lr: 5e-4)") is not { } value)
        {
            return null;
        }

        var (name, arguments) = ArgumentBinder.SplitCall(value);
        if (name is null)
        {
            _diagnostics.Report(DiagnosticCode.StatementForm, value.Span, SettingCatalog.Group, "a block and options: group trunk(lr: 5e-4)");
            return null;
        }

        var block = _scope.ResolveBlock(name, "group");
        var options = _arguments.Bind(OptimizerCatalog.GroupOptions(optimizer), arguments, value.Span, applyDefaults: false);
        if (block is null || options is null)
        {
            return null;
        }

        if (earlier.Any(g => g.Block == name.Text))
        {
            _diagnostics.Report(DiagnosticCode.DuplicateGroup, name.Span, name.Text);
            return null;
        }

        return new ParameterGroup(name.Text, options.Options);
    }

    public EquatableArray<Setting>? BindSchedule(StatementSyntax? statement)
    {
        if (statement is null)
        {
            return EquatableArray<Setting>.Empty;
        }

        if (_forms.SingleValue(statement, "schedules: schedule warmup(steps: 100) -> cosine()") is not { } value)
        {
            return null;
        }

        var steps = value is ChainSyntax chain ? chain.Steps : [value];
        var schedules = new List<Setting>();
        var ok = true;
        for (var i = 0; i < steps.Count; i++)
        {
            var schedule = _arguments.BindSetting(SettingCatalog.Schedules, "schedule", steps[i]);
            schedule = schedule is null ? null : CheckSchedule(schedule, steps[i], isLast: i == steps.Count - 1);
            ok &= schedule is not null;
            if (schedule is not null)
            {
                schedules.Add(schedule);
            }
        }

        return ok ? schedules.ToEquatableArray() : null;
    }

    /// <summary>The schedule with derived defaults filled in, or null (reported) when it cannot work.</summary>
    private Setting? CheckSchedule(Setting schedule, ValueSyntax syntax, bool isLast)
    {
        if (!isLast && !SettingCatalog.IsBounded(schedule))
        {
            var fix = schedule.Name is "cosine" or "onecycle" ? "give it 'steps'" : "move it to the end of the chain";
            _diagnostics.ReportWithFix(DiagnosticCode.UnboundedSchedule, syntax.Span, fix, schedule.Name);
            return null;
        }

        if (schedule["milestones"] is ListValue milestones)
        {
            var values = milestones.Items.Select(m => ((IntegerValue)m).Value).ToArray();
            if (values.Zip(values.Skip(1), (a, b) => b > a).Any(increasing => !increasing))
            {
                _diagnostics.Report(DiagnosticCode.MilestonesNotIncreasing, syntax.Span, milestones);
                return null;
            }
        }

        if (schedule.Name == "plateau" && schedule.Word("monitor") is { } monitor)
        {
            var written = ArgumentBinder.ArgumentFor(
                SettingCatalog.Schedules[schedule.Name], ArgumentBinder.SplitCall(syntax).Arguments, "monitor");
            return _scope.ResolveMonitor(schedule.Name, monitor, written?.Value.Span ?? syntax.Span) is { } resolved
                ? WithDerivedMode(schedule, resolved.Metric)
                : null;
        }

        return schedule;
    }

    /// <summary>Fills in an unwritten <c>mode</c> from the monitored metric: min for losses and errors.</summary>
    private static Setting WithDerivedMode(Setting schedule, string metric)
    {
        var mode = TaskCatalog.LowerIsBetter(metric) ? "min" : "max";
        var options = schedule.Options.Select(o => o.Name == "mode" && o.Value is null ? o with { Value = new NameValue(mode) } : o);
        return schedule with { Options = options.ToEquatableArray() };
    }

    /// <summary>
    /// <c>regularize</c>: one or more of <c>l2(λ)</c> and <c>mtrl(λ, omega: ...)</c>, each at
    /// most once; λ of l2 is 0 and the relation null when not written (or without the statement).
    /// <paramref name="heads"/> is null when a task failed to bind: then what mtrl checks against
    /// the tasks is not checked (it would report the missing task again).
    /// </summary>
    public Regularization? BindRegularize(StatementSyntax? statement, IReadOnlyList<TaskHead>? heads)
    {
        if (statement is null)
        {
            return new Regularization(0, null);
        }

        const string Expected = "one or more penalties: regularize l2(1e-4), mtrl(0.01)";
        if (!_forms.Check(statement, Expected, statement.Values.Count >= 1 && statement.Arguments is null && statement.Body is null))
        {
            return null;
        }

        double l2 = 0;
        TaskRelation? relation = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var ok = true;
        foreach (var value in statement.Values)
        {
            var (name, arguments) = ArgumentBinder.SplitCall(value);
            if (name is not null && !seen.Add(name.Text))
            {
                _diagnostics.Report(DiagnosticCode.RegularizerTwice, name.Span, name.Text);
                ok = false;
                continue;
            }

            if (name?.Text == RelationCatalog.Name)
            {
                relation = new RelationBinder(_diagnostics).Bind(value, arguments, heads);
                ok &= relation is not null;
            }
            else if (_arguments.BindSetting(Regularizers, "regularizer", value) is { } setting)
            {
                l2 = setting.Number("lambda");
            }
            else
            {
                ok = false;
            }
        }

        return ok ? new Regularization(l2, relation) : null;
    }
}

/// <summary>What <c>regularize</c> adds to the objective: λ of l2 (0 for none) and the task-relation term, if any.</summary>
internal sealed record Regularization(double L2, TaskRelation? Relation);
