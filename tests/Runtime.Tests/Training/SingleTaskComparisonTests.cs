using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// <see cref="SingleTaskComparison"/>: every run is exactly a trainer built and fitted on its own;
/// the statistics against hand computation; the caller's model untouched; bad input refused
/// before any training. Single-task runs through <see cref="TrainerOptions.Tasks"/>.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class SingleTaskComparisonTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-compare-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly TrainerOptions Settings = new()
    {
        Epochs = 3,
        BatchSize = 32,
        Seed = 11,
        EarlyStop = new EarlyStopping("value.mae", Patience: 1),
    };

    private static float[] Weights(nn.Module module) => module.parameters().SelectMany(p => p.data<float>()).ToArray();

    private sealed class Owner(params IDisposable[] parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    /// <summary>What a generated trainer does: seed, fresh model, its optimizer, a trainer over them.</summary>
    private static SingleTaskComparison.TrainerFactory Build(List<TrainerOptions>? seen = null) => options =>
    {
        seen?.Add(options);
        manual_seed(options.Seed);
        var model = new TwoTaskModel();
        var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, options);
        return (trainer, new Owner(trainer, optimizer, model));
    };

    /// <summary>A run done by hand: the same seed, model, optimizer and data, trained on <paramref name="task"/> alone (null: all).</summary>
    private static (Dictionary<string, double> Validation, int Epochs, long Steps, float[] Weights) Alone(long seed, string? task, MultiTaskDataset train, MultiTaskDataset validation)
    {
        manual_seed(seed);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, Settings with { Seed = seed, Tasks = task is null ? null : [task] });
        trainer.Fit(train, validation);
        return (trainer.Evaluate(validation), trainer.Epoch, trainer.Step, Weights(model));
    }

    [Fact]
    public void Every_run_equals_a_trainer_fitted_on_its_own_and_the_table_holds_their_values()
    {
        using var train = TwoTaskData.Make(96, seed: 1);
        using var validation = TwoTaskData.Make(48, seed: 2);
        var seen = new List<TrainerOptions>();
        var log = Path.Combine(_folder, "training.jsonl");
        var progress = new StringWriter();

        var comparison = SingleTaskComparison.Run(TwoTaskData.Tasks, Settings with { LogPath = log, Progress = progress }, 2, train, validation, Build(seen));

        Assert.Equal([11L, 12L], comparison.Seeds);
        Assert.Equal([(null, 11L), ("value", 11L), ("kind", 11L), (null, 12L), ("value", 12L), ("kind", 12L)], comparison.Runs.Select(r => (r.Task, r.Seed)));
        foreach (var run in comparison.Runs)
        {
            var alone = Alone(run.Seed, run.Task, train, validation);
            Assert.Equal(alone.Validation, run.Validation);
            Assert.Equal(alone.Steps, run.Steps);
            Assert.Equal(alone.Epochs, run.Epochs);
        }
        // The runs' options: their seed and tasks, and none of the outputs.
        Assert.Equal([null, "value", "kind", null, "value", "kind"], seen.Select(o => o.Tasks?.Single()));
        Assert.All(seen, o => Assert.True(o.LogPath is null && o.ReportPath is null && o.CheckpointPath is null && o.Progress is null));
        Assert.False(File.Exists(log));
        Assert.Equal(6, progress.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("comparison run 2/6: seed 11, task value alone, ", progress.ToString().Split('\n')[1]);

        // Each task's metrics and then its loss, with each seed's multi-task and single-task values.
        Assert.Equal(["value.mae", "value.r2", "value.loss", "kind.accuracy", "kind.macro_f1", "kind.loss"], comparison.Metrics.Select(m => m.Key));
        var accuracy = comparison["kind.accuracy"];
        Assert.True(accuracy.Maximize);
        Assert.False(comparison["value.mae"].Maximize);
        Assert.Equal(comparison.Runs.Where(r => r.Task is null).Select(r => r.Validation["kind.accuracy"]), accuracy.MultiTask);
        Assert.Equal(comparison.Runs.Where(r => r.Task == "kind").Select(r => r.Validation["kind.accuracy"]), accuracy.SingleTask);
        // Seeds change the results.
        Assert.NotEqual(comparison["value.mae"].SingleTask[0], comparison["value.mae"].SingleTask[1]);
        Assert.NotEqual(comparison["value.mae"].MultiTask[0], comparison["value.mae"].MultiTask[1]);
        Assert.Equal(comparison.Runs.Sum(r => r.Steps), comparison.Steps);
        var table = comparison.ToTable();
        Assert.StartsWith("task   metric", table);
        Assert.Contains($"cost: 6 runs, {comparison.Steps} steps, ", table);
        Assert.Throws<KeyNotFoundException>(() => comparison["kind.mae"]);
    }

    [Fact]
    public void A_task_of_pure_noise_scores_chance_alone_and_with_the_other_task()
    {
        // kind's labels are drawn at random, independently of x: nothing to learn, alone or shared.
        using var train = TwoTaskData.Make(512, seed: 1, randomKinds: true);
        using var validation = TwoTaskData.Make(300, seed: 2, randomKinds: true);

        var comparison = SingleTaskComparison.Run(TwoTaskData.Tasks, Settings with { Epochs = 8, EarlyStop = null }, 3, train, validation, Build());

        // Chance is 1/3 for 3 classes; over 300 examples its standard error is √(1/3 · 2/3 / 300) ≈ 0.027: within 3 of it.
        var accuracy = comparison["kind.accuracy"];
        Assert.All(accuracy.SingleTask.Concat(accuracy.MultiTask), a => Assert.InRange(a, 1.0 / 3 - 0.082, 1.0 / 3 + 0.082));
        // value is learnable either way: its r2 is far above 0 alone and shared.
        Assert.All(comparison["value.r2"].SingleTask.Concat(comparison["value.r2"].MultiTask), r2 => Assert.True(r2 > 0.8, $"value r2 {r2}"));
    }

    [Fact]
    public void A_single_task_run_trains_only_its_task_as_a_one_stage_run_with_that_task_does()
    {
        using var train = TwoTaskData.Make(96, seed: 1);
        using var validation = TwoTaskData.Make(48, seed: 2);
        manual_seed(5);
        using var model = new TwoTaskModel();
        var kindHead = Weights(model.KindHead);
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, Settings with { Seed = 5, Tasks = ["value"], RestoreBest = false });
        var history = trainer.Fit(train, validation);
        // The other head gets no gradient: Adam leaves it exactly as it was; only value's loss is recorded, both tasks are validated.
        Assert.Equal(kindHead, Weights(model.KindHead));
        Assert.All(history, r => Assert.Equal(["value"], r.TaskLosses.Keys));
        Assert.Contains("kind.accuracy", history[^1].Validation.Keys);

        manual_seed(5);
        using var staged = new TwoTaskModel();
        using var stages = new Trainer(staged, TwoTaskData.Tasks, null, Settings with
        {
            Seed = 5,
            RestoreBest = false,
            Stages = [new TrainingStage("alone", Settings.Epochs, frozen => optim.Adam(ParameterGroups.Split(staged, frozen.ToList()), lr: 1e-2)) { Tasks = ["value"] }],
        });
        stages.Fit(train, validation);
        Assert.Equal(Weights(staged), Weights(model));
    }

    [Fact]
    public void The_callers_model_and_trainer_are_untouched()
    {
        using var train = TwoTaskData.Make(64, seed: 1);
        using var validation = TwoTaskData.Make(32, seed: 2);
        manual_seed(Settings.Seed);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, Settings);
        var before = Weights(model);

        var comparison = SingleTaskComparison.Run(trainer.Tasks, trainer.Options, 1, train, validation, Build());

        Assert.Equal(before, Weights(model));
        Assert.Equal(0, trainer.Step);
        Assert.Empty(trainer.History);
        // The first run starts from the same seed, so from the caller's initial weights: fitting the caller's trainer gives its numbers.
        trainer.Fit(train, validation);
        Assert.Equal(comparison.Runs[0].Validation, trainer.Evaluate(validation));
    }

    [Fact]
    public void Per_task_datasets_train_a_single_task_run_on_its_own_batches_only()
    {
        using var value = TwoTaskData.Make(64, seed: 1);
        using var kind = TwoTaskData.Make(48, seed: 3);
        using var validationValue = TwoTaskData.Make(32, seed: 2);
        using var validationKind = TwoTaskData.Make(32, seed: 4);
        using var train = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = value.WithTargets("value"), ["kind"] = kind.WithTargets("kind") });
        using var validation = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = validationValue.WithTargets("value"), ["kind"] = validationKind.WithTargets("kind") });

        var comparison = SingleTaskComparison.Run(TwoTaskData.Tasks, Settings with { EarlyStop = null }, 1, train, validation, Build());

        // 64 and 48 examples in batches of 32: 2 + 2 batches an epoch with both tasks, 2 for each task on its own, over 3 epochs.
        Assert.Equal([12L, 6L, 6L], comparison.Runs.Select(r => r.Steps));
        Assert.Equal(comparison.Runs[1].Validation.Keys.Order(), comparison.Runs[0].Validation.Keys.Order());
        Assert.Equal(3, comparison.Metrics.Count(m => m.Task == "value"));
    }

    [Fact]
    public void Mean_spread_difference_and_transfer_match_hand_computation()
    {
        // Larger is better: differences 0.1, 0, 0.3; mean 0.4/3; sample deviation √((1/30² + 4/30² + 5/30²)/2) = √(42/1800):
        // larger than the mean difference, so within noise. The single-task deviation is √((2/30² + 4/30² + 2/30²)/2) = √(24/1800).
        var accuracy = new ComparedMetric("a", "accuracy", true, [0.8, 0.9, 1.0], [0.7, 0.9, 0.7]);
        Assert.Equal(0.9, accuracy.MultiTaskMean, 12);
        Assert.Equal(0.1, accuracy.MultiTaskSpread, 12);
        Assert.Equal(2.3 / 3, accuracy.SingleTaskMean, 12);
        Assert.Equal(Math.Sqrt(24.0 / 1800), accuracy.SingleTaskSpread, 12);
        Assert.Equal(0.4 / 3, accuracy.Difference, 12);
        Assert.Equal(Math.Sqrt(42.0 / 1800), accuracy.DifferenceSpread, 12);
        Assert.Equal(0.4 / 3, accuracy.Gain, 12);
        Assert.Equal("within noise", accuracy.Transfer);
        // Lower is better: differences −1, −2; mean −1.5; deviation √((0.5² + 0.5²)/1) = √0.5; the gain is +1.5.
        var mae = new ComparedMetric("b", "mae", false, [1, 2], [2, 4]);
        Assert.Equal(-1.5, mae.Difference, 12);
        Assert.Equal(Math.Sqrt(0.5), mae.DifferenceSpread, 12);
        Assert.Equal(1.5, mae.Gain, 12);
        Assert.Equal("positive", mae.Transfer);
        // Larger is better and lower after sharing: negative; one seed has no spread.
        var r2 = new ComparedMetric("b", "r2", true, [0.5], [0.75]);
        Assert.True(double.IsNaN(r2.DifferenceSpread));
        Assert.Equal("negative", r2.Transfer);
        // A value that is NaN (an auc of one class) says nothing either way.
        Assert.Equal("-", new ComparedMetric("c", "auc", true, [0.5, double.NaN], [0.5, 0.6]).Transfer);

        var runs = new[]
        {
            new ComparisonRun(null, 7, 3, 30, 1.5, new Dictionary<string, double>()),
            new ComparisonRun("b", 7, 3, 30, 1.0, new Dictionary<string, double>()),
        };
        var table = new SingleTaskComparison([7, 8, 9], [accuracy, mae, r2], runs).ToTable();
        Assert.Equal(
            "task  metric         multi-task      single-task        difference  transfer\n"
            + "a     accuracy  0.9000 ± 0.1000  0.7667 ± 0.1155  +0.1333 ± 0.1528  within noise\n"
            + "b     mae       1.5000 ± 0.7071  3.0000 ± 1.4142  -1.5000 ± 0.7071  positive\n"
            + "b     r2                 0.5000           0.7500           -0.2500  negative\n"
            + "seeds 7, 8, 9 (mean ± sample standard deviation); difference = multi-task − single-task; transfer by whether larger or lower is better\n"
            + "cost: 2 runs, 60 steps, 2.5s (multi-task 30 steps, 1.5s; single-task 30 steps, 1.0s)\n",
            table);
    }

    [Fact]
    public void Bad_input_is_refused_before_any_training_with_the_thing_named()
    {
        using var train = TwoTaskData.Make(64, seed: 1);
        using var validation = TwoTaskData.Make(32, seed: 2);
        using var unlabelled = TwoTaskData.Make(32, seed: 2, missingKind: 1);
        var seen = new List<TrainerOptions>();
        var build = Build(seen);

        var seeds = Assert.Throws<ArgumentOutOfRangeException>(() => SingleTaskComparison.Run(TwoTaskData.Tasks, Settings, 0, train, validation, build));
        Assert.Equal("seeds", seeds.ParamName);
        Assert.Contains("at least 1 seed", seeds.Message);
        var labels = Assert.Throws<ArgumentException>(() => SingleTaskComparison.Run(TwoTaskData.Tasks, Settings, 2, train, unlabelled, build));
        Assert.StartsWith("the validation dataset has no labelled example of task 'kind'", labels.Message);
        var staged = Assert.Throws<ArgumentException>(() => SingleTaskComparison.Run(TwoTaskData.Tasks, Settings with { Stages = [new TrainingStage("s", 1, _ => throw new InvalidOperationException())] }, 2, train, validation, build));
        Assert.StartsWith("a staged run cannot be compared", staged.Message);
        using var missing = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = validation.WithTargets("value") });
        using var perTask = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = train.WithTargets("value"), ["kind"] = train.WithTargets("kind") });
        var noDataset = Assert.Throws<ArgumentException>(() => SingleTaskComparison.Run(TwoTaskData.Tasks, Settings, 2, perTask, missing, build));
        Assert.StartsWith("there is no validation dataset for task 'kind'", noDataset.Message);
        Assert.Empty(seen);

        // TrainerOptions.Tasks itself: an unknown task, none, or with stages.
        manual_seed(1);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var unknown = Assert.Throws<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, Settings with { Tasks = ["price"] }));
        Assert.StartsWith("TrainerOptions.Tasks lists 'price', which is not one of the trainer's tasks (value, kind)", unknown.Message);
        Assert.Throws<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, Settings with { Tasks = [] }));
        var withStages = Assert.Throws<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, null, Settings with { Tasks = ["value"], Stages = [new TrainingStage("s", 1, _ => throw new InvalidOperationException())] }));
        Assert.StartsWith("TrainerOptions.Tasks is for a run without stages", withStages.Message);
    }
}
