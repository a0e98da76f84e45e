using System.Diagnostics;
using System.Globalization;
using System.Text;
using Mtl.Catalog;
using Mtl.Data;

namespace Mtl.Training;

/// <summary>
/// One training run of a comparison: the multi-task model (<see cref="Task"/> null) or the same
/// architecture trained on one task alone, from the seed <see cref="Seed"/>.
/// </summary>
/// <param name="Task">The task trained alone; null for the multi-task run.</param>
/// <param name="Seed">The run's <see cref="TrainerOptions.Seed"/>: its initial weights and shuffling.</param>
/// <param name="Epochs">Epochs trained (fewer than the settings' when early stopping ended the run).</param>
/// <param name="Steps">Optimizer steps taken.</param>
/// <param name="Seconds">Wall-clock time of the run: building, training and the final evaluation.</param>
/// <param name="Validation">The validation losses and metrics of the trained model (after early stopping's restore).</param>
public sealed record ComparisonRun(string? Task, long Seed, int Epochs, long Steps, double Seconds, IReadOnlyDictionary<string, double> Validation);

/// <summary>
/// One validation metric of one task over the seeds: its value after multi-task training and
/// after training on the task alone, seed by seed (the same seed, so the same initial weights,
/// for both), and the difference multi-task − single-task.
/// </summary>
/// <param name="Task">The task.</param>
/// <param name="Metric">A metric the task declares, or <c>loss</c> (its own validation loss).</param>
/// <param name="Maximize">Whether larger is better (<see cref="MetricCatalog.LowerIsBetter"/>).</param>
/// <param name="MultiTask">The value of each seed's multi-task run, in seed order.</param>
/// <param name="SingleTask">The value of each seed's single-task run, in seed order.</param>
public sealed record ComparedMetric(string Task, string Metric, bool Maximize, IReadOnlyList<double> MultiTask, IReadOnlyList<double> SingleTask)
{
    /// <summary>The monitor name of the metric, <c>task.metric</c>.</summary>
    public string Key => Task + "." + Metric;

    public double MultiTaskMean => Mean(MultiTask);

    /// <summary>The sample standard deviation (n − 1) over the seeds; NaN for one seed.</summary>
    public double MultiTaskSpread => Spread(MultiTask);

    public double SingleTaskMean => Mean(SingleTask);

    /// <summary>The sample standard deviation (n − 1) over the seeds; NaN for one seed.</summary>
    public double SingleTaskSpread => Spread(SingleTask);

    /// <summary>Multi-task − single-task, seed by seed.</summary>
    public IReadOnlyList<double> Differences => MultiTask.Zip(SingleTask, (m, s) => m - s).ToList();

    /// <summary>The mean of <see cref="Differences"/> (which is the difference of the means).</summary>
    public double Difference => Mean(Differences);

    /// <summary>The sample standard deviation of the paired <see cref="Differences"/>; NaN for one seed.</summary>
    public double DifferenceSpread => Spread(Differences);

    /// <summary>
    /// The difference signed so that positive means sharing helped (positive transfer): the
    /// difference for a metric where larger is better, its negation for one where lower is.
    /// </summary>
    public double Gain => Maximize ? Difference : -Difference;

    /// <summary>
    /// <c>positive</c> or <c>negative</c> transfer by the sign of <see cref="Gain"/> (<c>none</c>
    /// at 0), and <c>within noise</c> when the mean difference is no larger than its spread over
    /// the seeds; <c>-</c> when a value is missing or NaN (an auc of validation data with one class).
    /// </summary>
    public string Transfer =>
        double.IsNaN(Gain) ? "-"
        : Gain == 0 ? "none"
        : Math.Abs(Difference) <= DifferenceSpread ? "within noise"
        : Gain > 0 ? "positive" : "negative";

    internal static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Sum() / values.Count;

    internal static double Spread(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return double.NaN;
        var mean = Mean(values);
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
    }
}

/// <summary>
/// Does sharing help each task? For each seed, the multi-task model is trained, and then, for
/// each task, the same architecture trained on that task alone: a fresh model from the same seed
/// (so the same initial weights), the same optimizer, schedule, epochs, early stopping and batches,
/// with only that task's loss flowing (<see cref="TrainerOptions.Tasks"/>: the shared blocks and
/// that task's head train; the other heads get no gradient). Each run is then evaluated on the
/// validation data, and every task's declared metrics and loss are compared, multi-task against
/// single-task, with mean and spread over the seeds (<see cref="ComparedMetric"/>). A run is exactly
/// a <see cref="Trainer"/> built with its options and fitted on the same data: nothing of the
/// caller's model or trainer is used or changed. Runs write no log, report, checkpoint or progress
/// of their own; a line per run goes to <see cref="TrainerOptions.Progress"/> when it is set.
/// </summary>
public sealed class SingleTaskComparison
{
    internal SingleTaskComparison(IReadOnlyList<long> seeds, IReadOnlyList<ComparedMetric> metrics, IReadOnlyList<ComparisonRun> runs)
    {
        Seeds = seeds;
        Metrics = metrics;
        Runs = runs;
    }

    /// <summary>The seeds of the runs: the options' seed and the next ones, one per repetition.</summary>
    public IReadOnlyList<long> Seeds { get; }

    /// <summary>Each task's declared metrics, then its loss, in task order.</summary>
    public IReadOnlyList<ComparedMetric> Metrics { get; }

    /// <summary>Every run, seed by seed: the multi-task run, then each task's single-task run in task order.</summary>
    public IReadOnlyList<ComparisonRun> Runs { get; }

    /// <summary>The optimizer steps of every run together: the comparison's cost.</summary>
    public long Steps => Runs.Sum(r => r.Steps);

    /// <summary>The wall-clock seconds of every run together.</summary>
    public double Seconds => Runs.Sum(r => r.Seconds);

    /// <summary>The metric <c>task.metric</c> (or <c>task.loss</c>); an unknown one is an error that lists those compared.</summary>
    public ComparedMetric this[string key] =>
        Metrics.FirstOrDefault(m => m.Key == key)
        ?? throw new KeyNotFoundException($"'{key}' is not compared; the comparison has {string.Join(", ", Metrics.Select(m => m.Key))}");

    /// <summary>
    /// Builds a trainer for one run from its options: a fresh model seeded with
    /// <see cref="TrainerOptions.Seed"/>, its optimizer and a fresh weighting method; the owner is
    /// disposed (with the model and optimizer) when the run ends.
    /// </summary>
    public delegate (Trainer Trainer, IDisposable Owner) TrainerFactory(TrainerOptions options);

    /// <summary>
    /// Compares on one dataset holding every task's labels. <paramref name="options"/> are the
    /// settings every run starts from; each run gets its seed, its <see cref="TrainerOptions.Tasks"/>
    /// and no log, report, checkpoint or progress, and <paramref name="build"/> builds its trainer.
    /// Errors, before any training: fewer than one seed, a staged run (each stage already says its
    /// own tasks), a <see cref="TrainerOptions.Scheduler"/> or <see cref="TrainerOptions.Plateau"/>
    /// (built over one optimizer, where each run has its own: use <see cref="TrainerOptions.Schedule"/>),
    /// and validation data without a labelled example of a task (that task could not be compared).
    /// </summary>
    public static SingleTaskComparison Run(IReadOnlyList<TaskSpec> tasks, TrainerOptions options, int seeds, MultiTaskDataset train, MultiTaskDataset validation, TrainerFactory build)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        Check(tasks, options, seeds, build);
        RequireLabelled(tasks, _ => (validation, "the validation dataset"));
        return Run(tasks, options, seeds, build, (t, _) => t.Fit(train, validation), t => t.Evaluate(validation));
    }

    /// <summary>
    /// Compares on a dataset per task (see <see cref="Trainer.Fit(TaskDatasets, TaskDatasets?)"/>):
    /// a single-task run trains on its task's own dataset only (so its epochs are that dataset's
    /// batches), and is validated on every task's. The errors are those of the other
    /// overload; a task without a validation dataset is one.
    /// </summary>
    public static SingleTaskComparison Run(IReadOnlyList<TaskSpec> tasks, TrainerOptions options, int seeds, TaskDatasets train, TaskDatasets validation, TrainerFactory build)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        Check(tasks, options, seeds, build);
        RequireLabelled(tasks, name => validation.Datasets.TryGetValue(name, out var own)
            ? (own, $"the validation dataset of task '{name}'")
            : throw new ArgumentException($"there is no validation dataset for task '{name}', so its single-task and multi-task results cannot be compared", nameof(validation)));
        // A task trained alone sees only its own dataset (not the others' batches with nothing to learn
        // from). The one-task view is not disposed: it shares the caller's datasets.
        return Run(tasks, options, seeds, build, (t, task) => t.Fit(task is null ? train : new TaskDatasets(new Dictionary<string, MultiTaskDataset> { [task] = train.Datasets[task] }), validation), t => t.Evaluate(validation));
    }

    /// <summary>Every task must have a labelled validation example in the dataset <paramref name="validationOf"/> gives for it.</summary>
    private static void RequireLabelled(IReadOnlyList<TaskSpec> tasks, Func<string, (MultiTaskDataset Data, string What)> validationOf)
    {
        using var losses = new TaskLosses(tasks);
        for (var i = 0; i < tasks.Count; i++)
        {
            var (data, what) = validationOf(tasks[i].Name);
            if (!DataChecks.HasLabels(data, i, tasks, losses)) throw new ArgumentException($"{what} has no labelled example of task '{tasks[i].Name}', so its single-task and multi-task results cannot be compared", "validation");
        }
    }

    private static void Check(IReadOnlyList<TaskSpec> tasks, TrainerOptions options, int seeds, TrainerFactory build)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(build);
        if (seeds < 1) throw new ArgumentOutOfRangeException(nameof(seeds), seeds, "a comparison needs at least 1 seed (3 or more give a spread)");
        if (tasks.Count < 2) throw new ArgumentException($"a comparison needs at least two tasks; this model has {tasks.Count}", nameof(tasks));
        if (options.Stages.Count > 0) throw new ArgumentException("a staged run cannot be compared with single-task runs: its stages say which tasks train when; compare a run without stages", nameof(options));
        if (options.Tasks is not null) throw new ArgumentException("the options already train only some tasks (TrainerOptions.Tasks); compare from options that train every task", nameof(options));
        if (options.Scheduler is not null || options.Plateau is not null)
        {
            throw new ArgumentException("TrainerOptions.Scheduler and Plateau are built over one optimizer, and each run of a comparison has its own: give a Schedule", nameof(options));
        }
    }

    private static SingleTaskComparison Run(IReadOnlyList<TaskSpec> tasks, TrainerOptions options, int seeds, TrainerFactory build, Func<Trainer, string?, IReadOnlyList<EpochRecord>> fit, Func<Trainer, Dictionary<string, double>> evaluate)
    {
        var seedList = Enumerable.Range(0, seeds).Select(k => unchecked(options.Seed + k)).ToList();
        var runs = new List<ComparisonRun>();
        var total = seeds * (tasks.Count + 1);
        foreach (var seed in seedList)
        {
            foreach (var task in tasks.Select(t => t.Name).Prepend(null))
            {
                var settings = options with
                {
                    Seed = seed,
                    Tasks = task is null ? null : [task],
                    LogPath = null,
                    ReportPath = null,
                    CheckpointPath = null,
                    Progress = null,
                    Display = null,
                };
                var clock = Stopwatch.StartNew();
                var (trainer, owner) = build(settings);
                ComparisonRun run;
                using (owner)
                {
                    fit(trainer, task);
                    run = new ComparisonRun(task, seed, trainer.Epoch, trainer.Step, 0, evaluate(trainer));
                }
                run = run with { Seconds = clock.Elapsed.TotalSeconds };
                runs.Add(run);
                options.Progress?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"comparison run {runs.Count}/{total}: seed {seed}, {(task is null ? "all tasks" : $"task {task} alone")}, {run.Epochs} epochs, {run.Steps} steps, {run.Seconds:F1}s"));
            }
        }
        var metrics = new List<ComparedMetric>();
        foreach (var task in tasks)
        {
            foreach (var metric in task.Metrics.Append(MetricCatalog.Loss))
            {
                var key = task.Name + "." + metric;
                double Value(ComparisonRun r) => r.Validation.TryGetValue(key, out var v) ? v : double.NaN;
                metrics.Add(new ComparedMetric(
                    task.Name, metric, !MetricCatalog.LowerIsBetter(metric),
                    runs.Where(r => r.Task is null).Select(Value).ToList(),
                    runs.Where(r => r.Task == task.Name).Select(Value).ToList()));
            }
        }
        return new SingleTaskComparison(seedList, metrics, runs);
    }

    /// <summary>
    /// The comparison as a plain-text table, one row per task and metric: the multi-task and
    /// single-task means ± spreads, the difference (multi − single) ± its spread, and the transfer;
    /// then the seeds and the cost.
    /// </summary>
    public string ToTable()
    {
        var header = new[] { "task", "metric", "multi-task", "single-task", "difference", "transfer" };
        var rows = Metrics.Select(m => new[]
        {
            m.Task, m.Metric,
            MeanSpread(m.MultiTaskMean, m.MultiTaskSpread, signed: false),
            MeanSpread(m.SingleTaskMean, m.SingleTaskSpread, signed: false),
            MeanSpread(m.Difference, m.DifferenceSpread, signed: true),
            m.Transfer,
        }).ToList();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        void Line(string[] cells) => text.Append(string.Join("  ", cells.Select((cell, c) => c < 2 || c == cells.Length - 1 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))).TrimEnd()).Append('\n');
        Line(header);
        foreach (var row in rows) Line(row);
        var single = Runs.Where(r => r.Task is not null).ToList();
        var multi = Runs.Where(r => r.Task is null).ToList();
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"seeds {string.Join(", ", Seeds)} (mean ± sample standard deviation); difference = multi-task − single-task; transfer by whether larger or lower is better\n"));
        text.Append(string.Create(CultureInfo.InvariantCulture,
            $"cost: {Runs.Count} runs, {Steps} steps, {Seconds:F1}s (multi-task {multi.Sum(r => r.Steps)} steps, {multi.Sum(r => r.Seconds):F1}s; single-task {single.Sum(r => r.Steps)} steps, {single.Sum(r => r.Seconds):F1}s)\n"));
        return text.ToString();
    }

    public override string ToString() => ToTable();

    internal static string MeanSpread(double mean, double spread, bool signed)
    {
        var value = Format(mean, signed);
        return double.IsNaN(spread) ? value : value + " ± " + Format(spread, signed: false);
    }

    private static string Format(double value, bool signed)
    {
        if (double.IsNaN(value)) return "-";
        // A difference that rounds to zero reads +0.0000, not -0.0000.
        var rounded = Math.Round(value, 4) is var r && r == 0 ? 0 : value;
        return (signed && rounded >= 0 ? "+" : "") + rounded.ToString("0.0000", CultureInfo.InvariantCulture);
    }
}
