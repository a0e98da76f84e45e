using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Binds the <c>stage name { ... }</c> statements of <c>train { }</c>: each stage's epochs, active
/// tasks, optimizer, schedule, frozen blocks and early stopping, then what the stage holds fixed
/// (the heads of its inactive tasks that no active task reads) and whether anything is left to train.
/// </summary>
internal sealed class StageBinder
{
    private readonly DiagnosticBag _diagnostics;
    private readonly ModelScope _scope;
    private readonly StatementForms _forms;
    private readonly ArgumentBinder _arguments;
    private readonly SettingsBinder _settings;
    private readonly TrainingBinder _training;

    public StageBinder(DiagnosticBag diagnostics, ModelScope scope)
    {
        _diagnostics = diagnostics;
        _scope = scope;
        _forms = new StatementForms(diagnostics);
        _arguments = new ArgumentBinder(diagnostics);
        _settings = new SettingsBinder(diagnostics, scope);
        _training = new TrainingBinder(diagnostics, scope);
    }

    /// <summary>The stages in order, or null when one of them has an error (reported).</summary>
    public EquatableArray<Stage>? Bind(
        string model,
        IReadOnlyList<StatementSyntax> stages,
        Training training,
        Optimizer optimizer,
        Setting weighting,
        IReadOnlyList<SharedBlock> shared,
        IReadOnlyList<TaskHead> heads)
    {
        var bound = new List<Stage>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var ok = true;
        foreach (var statement in stages)
        {
            if (!_forms.Check(statement, "a name and a block: stage pretrain { epochs 10 }",
                    statement.Values.Count == 1 && statement.Values[0] is NameSyntax && statement.Arguments is null && statement.Body is not null))
            {
                ok = false;
                continue;
            }

            var name = (NameSyntax)statement.Values[0];
            if (!names.Add(name.Text))
            {
                _diagnostics.ReportWithFix(DiagnosticCode.DuplicateStage, name.Span, "give each stage its own name", name.Text, model);
                ok = false;
                continue;
            }

            var stage = BindStage(name, statement.Body!, training, optimizer, weighting, shared, heads);
            ok &= stage is not null;
            if (stage is not null)
            {
                bound.Add(stage);
            }
        }

        return ok ? bound.ToEquatableArray() : null;
    }

    private Stage? BindStage(NameSyntax name, IReadOnlyList<StatementSyntax> body, Training training, Optimizer modelOptimizer, Setting weighting, IReadOnlyList<SharedBlock> shared, IReadOnlyList<TaskHead> heads)
    {
        var ok = true;
        var singles = new List<StatementSyntax>();
        var frozen = new List<NameSyntax>();
        var trainOnly = new HashSet<string>(SettingCatalog.TrainStatements, StringComparer.Ordinal);
        foreach (var statement in body)
        {
            var keyword = statement.Keyword.Text;
            if (keyword == SettingCatalog.Freeze)
            {
                ok &= new FreezeBinder(_diagnostics, _scope).Bind(statement, frozen, training.Frozen);
            }
            else if (SettingCatalog.StageStatements.Contains(keyword))
            {
                singles.Add(statement);
            }
            else if (trainOnly.Contains(keyword))
            {
                _diagnostics.ReportWithFix(DiagnosticCode.NotInStage, statement.Keyword.Span, "move it out of the stage, into train { }", keyword);
                ok = false;
            }
            else
            {
                _forms.ReportUnknown(statement, "stage", SettingCatalog.StageStatements.ToArray());
                ok = false;
            }
        }

        var settings = _forms.FirstOfEach(singles);
        StatementSyntax? Statement(string keyword) => settings.TryGetValue(keyword, out var s) ? s : null;
        var epochs = training.Epochs;
        if (Statement("epochs") is { } epochsSyntax)
        {
            var parameter = SettingCatalog.TrainValues["epochs"];
            var value = _forms.SingleValue(epochsSyntax, parameter.Expected) is { } syntax ? _arguments.BindValue("'stage'", parameter, syntax) : null;
            ok &= value is IntegerValue;
            epochs = (int)((value as IntegerValue)?.Value ?? 0);
        }

        var tasks = Statement(SettingCatalog.Tasks) is { } tasksSyntax ? BindTasks(name.Text, tasksSyntax, heads) : [];
        ok &= tasks is not null;
        var optimizer = Statement(Keywords.Optimizer) is { } optimizerSyntax ? _settings.BindOptimizer(optimizerSyntax) : null;
        ok &= Statement(Keywords.Optimizer) is null || optimizer is not null;
        var schedule = Statement(Keywords.Schedule) is { } scheduleSyntax ? _settings.BindSchedule(scheduleSyntax) : null;
        ok &= Statement(Keywords.Schedule) is null || schedule is not null;
        var earlyStop = Statement(SettingCatalog.EarlyStop.Name) is { } stopSyntax ? _training.BindEarlyStop(stopSyntax) : null;
        ok &= Statement(SettingCatalog.EarlyStop.Name) is null || earlyStop is not null;
        if (!ok || tasks is null)
        {
            return null;
        }

        foreach (var block in frozen.Where(f => (optimizer ?? modelOptimizer).Groups.Any(g => g.Block == f.Text)))
        {
            _diagnostics.ReportWithFix(DiagnosticCode.FrozenGroup, block.Span, "remove its group, or do not freeze it in this stage", block.Text);
            ok = false;
        }

        // The stage's own optimizer may not have a group for a block frozen for the whole run either.
        foreach (var group in optimizer?.Groups.Where(g => training.Frozen.Contains(g.Block)) ?? [])
        {
            _diagnostics.ReportWithFix(DiagnosticCode.FrozenGroup, Statement(Keywords.Optimizer)!.Span, "remove its group, or do not freeze it", group.Block);
            ok = false;
        }

        var held = new HashSet<string>(training.Frozen.Concat(frozen.Select(f => f.Text)), StringComparer.Ordinal);
        var active = tasks.Count == 0 ? heads : heads.Where(h => tasks.Contains(h.Name)).ToList();
        var read = Reads(active, shared, heads);
        var idle = heads.Where(h => !read.Contains(h.Name) && h.ParameterCount > 0 && !held.Contains(h.Name)).Select(h => h.Name).ToList();
        var trainable = shared.Where(b => read.Contains(b.Name) && b.ParameterCount > 0).Select(b => b.Name)
            .Concat(heads.Where(h => read.Contains(h.Name) && h.ParameterCount > 0).Select(h => h.Name))
            .ToList();
        if (trainable.All(held.Contains))
        {
            var what = tasks.Count == 0 ? "its tasks" : $"its tasks ({string.Join(", ", tasks)})";
            var reason = trainable.Count == 0
                ? $"{what} read no block with parameters"
                : $"every block with parameters that {what} read is frozen ({string.Join(", ", trainable)})";
            _diagnostics.ReportWithFix(DiagnosticCode.StageNothingToTrain, name.Span, "train another task in the stage, or freeze less", name.Text, reason);
            ok = false;
        }
        else if (NeedsShared(weighting) is { } needs && shared.Where(b => b.ParameterCount > 0).Select(b => b.Name).ToList() is { Count: > 0 } sharedWithParameters
                 && sharedWithParameters.All(held.Contains) && !sharedWithParameters.All(training.Frozen.Contains))
        {
            // A run-wide freeze of every shared block is MTL0119 already; this is a stage's own.
            _diagnostics.ReportWithFix(
                DiagnosticCode.StageWeightingNeedsTrainable,
                name.Span,
                "leave a shared block unfrozen in the stage, or weight the losses alone (fixed, uncertainty, dwa, rlw or famo)",
                name.Text,
                string.Join(", ", sharedWithParameters),
                weighting.Name,
                needs);
            ok = false;
        }

        return ok
            ? new Stage(name.Text, epochs, tasks.ToEquatableArray(), optimizer, schedule, frozen.Select(f => f.Text).ToEquatableArray(), idle.ToEquatableArray(), earlyStop)
            : null;
    }

    /// <summary>What a weighting method does with the shared parameters, for those that need some to train; null for the others.</summary>
    private static string? NeedsShared(Setting weighting) =>
        weighting.Name == "gradnorm" ? "balances the tasks' gradient norms on"
        : WeightingCatalog.GradientMethods.Contains(weighting.Name) ? "combines the tasks' gradients of"
        : null;

    /// <summary><c>tasks a, b</c>: tasks of the model, each once; null when one is not (reported).</summary>
    private List<string>? BindTasks(string stage, StatementSyntax statement, IReadOnlyList<TaskHead> heads)
    {
        if (!_forms.Check(statement, "tasks: tasks mass, species",
                statement.Arguments is null && statement.Body is null && statement.Values.Count > 0 && statement.Values.All(v => v is NameSyntax)))
        {
            return null;
        }

        var tasks = new List<string>();
        var ok = true;
        foreach (var name in statement.Values.Cast<NameSyntax>())
        {
            if (heads.All(h => h.Name != name.Text))
            {
                _diagnostics.ReportWithFix(DiagnosticCode.UnknownStageTask, name.Span, Suggestions.DidYouMean(name.Text, heads.Select(h => h.Name)), stage, name.Text);
                ok = false;
            }
            else if (tasks.Contains(name.Text))
            {
                _diagnostics.Report(DiagnosticCode.BlockGivenTwice, name.Span, name.Text, SettingCatalog.Tasks);
                ok = false;
            }
            else
            {
                tasks.Add(name.Text);
            }
        }

        return ok ? tasks : null;
    }

    /// <summary>The shared blocks and task heads the given tasks compute through: their heads and every block and task their pipelines read, transitively.</summary>
    private static HashSet<string> Reads(IEnumerable<TaskHead> tasks, IReadOnlyList<SharedBlock> shared, IReadOnlyList<TaskHead> heads)
    {
        var pipelines = shared.Select(b => (b.Name, b.Pipeline)).Concat(heads.Select(h => (h.Name, h.Pipeline))).ToDictionary(p => p.Name, p => p.Pipeline, StringComparer.Ordinal);
        var reached = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(tasks.Select(t => t.Name));
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!reached.Add(name) || !pipelines.TryGetValue(name, out var pipeline))
            {
                continue;
            }

            foreach (var source in Sources(pipeline.Source))
            {
                pending.Push(source);
            }
        }

        return reached;
    }

    private static IEnumerable<string> Sources(PipelineSource source) => source switch
    {
        ReferenceSource { Kind: not SourceKind.Input } reference => [reference.Name],
        MergeSource merge => merge.Branches.SelectMany(b => Sources(b.Source)),
        _ => [],
    };
}
