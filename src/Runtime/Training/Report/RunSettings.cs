using System.Globalization;
using Mtl.Catalog;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;

namespace Mtl.Training;

/// <summary>One row of report.html's settings table.</summary>
public sealed record RunSetting(string Name, string Value);

/// <summary>
/// The settings a run trains with, as report.html's table shows them: the tasks (kind, loss,
/// weight, metrics), the loop (epochs, batch, accumulation, update mode, seed), the optimizer and
/// its groups' hyperparameters as the optimizer holds them, the schedule, the weighting method and
/// its options, early stopping, and the regularisers and stages when there are any. Read from the
/// objects the trainer runs with, so a setting changed in code shows as it ran.
/// </summary>
internal static class RunSettings
{
    public static IReadOnlyList<RunSetting> Describe(TrainerOptions options, IReadOnlyList<TaskSpec> tasks, Optimizer optimizer, TaskWeighting weighting, string? stage)
    {
        var rows = new List<RunSetting>();
        foreach (var task in tasks)
        {
            rows.Add(new($"task {task.Name}", $"{TaskCatalog.Describe(task.Kind, task.Size)}, loss {task.Loss.Name()}, weight {Number(task.Weight)}, metrics {string.Join(", ", task.Metrics)}"));
        }
        if (options.Stages.Count == 0) rows.Add(new("epochs", Number(options.Epochs)));
        rows.Add(new("batch size", options.Accumulate > 1 ? $"{options.BatchSize} × {options.Accumulate} accumulated" : Number(options.BatchSize)));
        rows.Add(new("update", options.Update.ToString().ToLowerInvariant()));
        rows.Add(new("seed", Number(options.Seed)));
        rows.Add(new(stage is null ? "optimizer" : $"optimizer (stage {stage})", Optimizer(optimizer)));
        rows.Add(new("schedule", Schedule(options)));
        rows.Add(new("weighting", weighting.Settings.Count == 0 ? weighting.Name : $"{weighting.Name}({string.Join(", ", weighting.Settings.Select(p => $"{p.Key}: {p.Value}"))})"));
        rows.Add(new("early stopping", options.EarlyStop is { } stop
            ? $"{stop.Monitor}, {(stop.Maximize is { } max ? max ? "max" : "min" : "default direction")}, patience {stop.Patience}, min_delta {Number(stop.MinDelta)}; {(options.RestoreBest ? "best weights restored" : "last weights kept")}"
            : "off"));
        if (options.ClipGradNorm is { } clip) rows.Add(new("clip gradient norm", Number(clip)));
        if (options.L2 > 0) rows.Add(new("L2", Number(options.L2)));
        if (options.Ties.Count > 0) rows.Add(new("ties", string.Join(", ", options.Ties.Select(t => $"λ {Number(t.Lambda)}"))));
        if (options.Relation is { } relation) rows.Add(new("task relation", $"mtrl, λ {Number(relation.Lambda)}, Ω {(relation.Omega is null ? "learned" : "declared")}"));
        if (options.Frozen.Count > 0) rows.Add(new("frozen modules", Number(options.Frozen.Count)));
        if (options.Tasks is { } trained) rows.Add(new("tasks trained", string.Join(", ", trained)));
        if (options.Relatedness is { } every) rows.Add(new("relatedness", $"every {every} steps"));
        foreach (var s in options.Stages)
        {
            rows.Add(new($"stage {s.Name}", $"{s.Epochs} epochs, tasks {(s.Tasks is { } t ? string.Join(", ", t) : "all")}{(s.Frozen.Count > 0 ? $", {s.Frozen.Count} frozen" : "")}{(s.EarlyStop is { } e ? $", early stop on {e.Monitor}" : "")}"));
        }
        return rows;
    }

    /// <summary>"Adam: lr 0.001, beta1 0.9, …" (lr as given, before any schedule), and for several groups each group's values where they differ from the first's.</summary>
    private static string Optimizer(Optimizer optimizer)
    {
        var groups = optimizer.param_groups;
        if (groups.Count == 0) return optimizer.GetType().Name;
        string Options(IEnumerable<KeyValuePair<string, double>> options) => string.Join(", ", options.Select(p => $"{p.Key} {Number(p.Value)}"));
        // The rate a group was given, not the one a schedule has brought it to by now.
        static IReadOnlyDictionary<string, double> Given(ParamGroup group) =>
            group.initial_lr is { } initial ? group.options.ToDictionary(p => p.Key, p => p.Key == "lr" ? initial : p.Value) : group.options;
        var first = Given(groups[0]);
        var text = $"{optimizer.GetType().Name}: {Options(first.OrderBy(p => p.Key == "lr" ? "" : p.Key, StringComparer.Ordinal))}";
        if (groups.Count == 1) return text;
        var others = groups.Skip(1).Select((g, i) =>
        {
            var differ = Given(g).Where(p => !first.TryGetValue(p.Key, out var v) || !v.Equals(p.Value)).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            return $"group {i + 2} ({g.parameters.Count} tensors){(differ.Count == 0 ? "" : ": " + Options(differ))}";
        });
        return $"{text}; {groups.Count} parameter groups: group 1 ({groups[0].parameters.Count} tensors), {string.Join(", ", others)}";
    }

    private static string Schedule(TrainerOptions options)
    {
        if (options.Schedule is { } schedule)
        {
            return string.Join(" → ", schedule.Phases.Select(p => p.Options is { Count: > 0 } o
                ? $"{p.Name}({string.Join(", ", o.Select(kv => $"{kv.Key}: {Option(kv.Value)}"))})"
                : p.Name));
        }
        if (options.Scheduler is { } scheduler) return $"{scheduler.GetType().Name} (every {(options.SchedulerInterval == ScheduleInterval.Step ? "step" : "epoch")})";
        if (options.Plateau is not null) return "reduce on plateau";
        return "constant";
    }

    private static string Option(object value) => value switch
    {
        double d => Number(d),
        float f => Number(f),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
