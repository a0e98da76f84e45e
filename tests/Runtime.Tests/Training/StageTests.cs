using Mtl.Catalog;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Staged training (<see cref="TrainerOptions.Stages"/>): stages run in order with their own
/// tasks, frozen modules, optimizer, schedule and early stopping; the history, log, report and
/// progress show where each starts; a checkpoint in the middle of a stage resumes exactly.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class StageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-stages-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static float[] Weights(nn.Module model) => model.parameters().SelectMany(p => p.data<float>()).ToArray();

    /// <summary>Every floating tensor of a module's state (weights and batch-norm statistics), flattened.</summary>
    private static float[] State(nn.Module module) =>
        module.state_dict().Where(t => t.Value.dtype == ScalarType.Float32).SelectMany(t => t.Value.data<float>().ToArray()).ToArray();

    private static Func<IReadOnlyList<nn.Module>, Optimizer> Adam(nn.Module model, double lr = 1e-2) =>
        frozen => optim.Adam(ParameterGroups.Split(model, frozen.ToList()), lr: lr);

    [Fact]
    public void Stages_run_in_order_and_the_history_log_report_and_progress_show_where_each_starts()
    {
        manual_seed(3);
        using var train = TwoTaskData.Make(128, seed: 1);
        using var validation = TwoTaskData.Make(64, seed: 2);
        using var model = new TwoTaskModel();
        var progress = new StringWriter();
        using var trainer = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions
        {
            BatchSize = 32,
            LogPath = PathOf("training.jsonl"),
            ReportPath = PathOf("report.html"),
            Progress = progress,
            Stages =
            [
                new TrainingStage("pretrain", 2, Adam(model)) { Tasks = ["value"] },
                new TrainingStage("finetune", 3, Adam(model, 1e-3)),
            ],
        });

        var history = trainer.Fit(train, validation);

        Assert.Equal(["pretrain", "pretrain", "finetune", "finetune", "finetune"], history.Select(r => r.Stage));
        Assert.Equal([1, 2, 3, 4, 5], history.Select(r => r.Epoch));
        // Only the active tasks' losses flow (and are logged); every task is validated.
        Assert.Equal(["value"], history[1].TaskLosses.Keys);
        Assert.Equal(["value", "kind"], history[2].TaskLosses.Keys);
        Assert.Contains("kind.accuracy", history[0].Validation.Keys);
        // A fresh optimizer at the stage's start: its learning rate.
        Assert.Equal(1e-2, history[1].LearningRates[0]);
        Assert.Equal(1e-3, history[2].LearningRates[0]);
        var lines = File.ReadAllLines(PathOf("training.jsonl"));
        Assert.StartsWith("{\"epoch\":3,\"stage\":\"finetune\",\"step\":12,", lines[2]);
        Assert.Equal(history.Select(r => r.Stage), TrainingLog.Read(PathOf("training.jsonl")).Select(r => r.Stage));
        var report = File.ReadAllText(PathOf("report.html"));
        Assert.Contains("<span data-stage=\"pretrain\">pretrain (epochs 1\u20132)</span>, <span data-stage=\"finetune\">finetune (epochs 3\u20135)</span>", report);
        Assert.Contains("data-stage=\"finetune\" data-epoch=\"3\"", report);
        var text = progress.ToString();
        Assert.Contains("stage pretrain (1/2) starts after epoch 0: up to 2 epochs", text);
        Assert.Contains("stage finetune (2/2) starts after epoch 2: up to 3 epochs", text);
        Assert.Contains("epoch 4/5 (finetune 2/3)  loss", text);
    }

    [Fact]
    public void A_block_frozen_in_one_stage_stays_bit_identical_through_it_and_trains_in_the_others()
    {
        manual_seed(4);
        using var train = TwoTaskData.Make(256, seed: 1);
        using var model = new TransferModel();
        // Each stage's optimizer is built as the stage starts: the trunk's state at each boundary.
        var atStart = new List<float[]>();
        Func<IReadOnlyList<nn.Module>, Optimizer> Recording() => frozen =>
        {
            atStart.Add(State(model.Trunk));
            return optim.Adam(ParameterGroups.Split(model, frozen.ToList()), lr: 1e-2);
        };
        using var trainer = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions
        {
            BatchSize = 32,
            Stages =
            [
                new TrainingStage("all", 2, Recording()),
                new TrainingStage("heads", 2, Recording()) { Frozen = [model.Trunk] },
                new TrainingStage("again", 2, Recording()),
            ],
        });

        trainer.Fit(train);

        var end = State(model.Trunk);
        Assert.Equal(3, atStart.Count);
        Assert.NotEqual(atStart[0], atStart[1]);
        Assert.Equal(atStart[1], atStart[2]);
        Assert.NotEqual(atStart[2], end);
        // Batch norm counted the batches of the stages that trained it only: 2 × 2 epochs of 8 batches.
        Assert.Equal(32, model.Trunk.state_dict()["1.num_batches_tracked"].item<long>());
        Assert.Empty(model.FrozenModules);
        Assert.All(model.Trunk.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void A_task_inactive_in_a_stage_keeps_its_head_unchanged_and_the_model_wide_freeze_holds_in_every_stage()
    {
        manual_seed(5);
        using var train = TwoTaskData.Make(128, seed: 1);
        using var model = new TwoTaskModel();
        var trunk = State(model.Trunk);
        var head = State(model.KindHead);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions
        {
            BatchSize = 32,
            Frozen = [model.Trunk],
            Stages =
            [
                new TrainingStage("value", 2, Adam(model)) { Tasks = ["value"] },
                new TrainingStage("both", 1, Adam(model)),
            ],
        });
        trainer.Fit(train);

        Assert.Equal(trunk, State(model.Trunk));
        Assert.NotEqual(head, State(model.KindHead));
        Assert.Equal([model.Trunk], model.FrozenModules);

        // The same first stage alone: the head of the inactive task is exactly as it started.
        manual_seed(5);
        using var alone = new TwoTaskModel();
        using var first = new Trainer(alone, TwoTaskData.Tasks, null, new TrainerOptions
        {
            BatchSize = 32,
            Stages = [new TrainingStage("value", 2, Adam(alone)) { Tasks = ["value"] }],
        });
        first.Fit(train);
        Assert.Equal(head, State(alone.KindHead));
        Assert.NotEqual(trunk, State(alone.Trunk));
    }

    [Theory]
    [InlineData("fixed")]
    [InlineData("pcgrad")]
    [InlineData("gradnorm")]
    [InlineData("uncertainty")]
    public void With_separate_datasets_the_batches_of_an_inactive_task_change_nothing(string method)
    {
        manual_seed(8);
        using var values = TwoTaskData.Make(64, seed: 1);
        using var kinds = TwoTaskData.Make(64, seed: 2);
        using var train = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = values.WithTargets("value"), ["kind"] = kinds.WithTargets("kind") }, SamplingKind.RoundRobin);
        using var model = new TwoTaskModel();
        var head = State(model.KindHead);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions
        {
            BatchSize = 16,
            Weighting = Mtl.Training.Weighting.TaskWeighting.Create(method, [1.0, 0.5]),
            Stages = [new TrainingStage("value", 2, Adam(model)) { Tasks = ["value"] }],
        });

        var history = trainer.Fit(train);

        Assert.Equal(head, State(model.KindHead));
        Assert.All(history, r => Assert.Equal(["value"], r.TaskLosses.Keys));
        Assert.All(history, r => Assert.True(double.IsFinite(r.TrainLoss)));
    }

    [Fact]
    public void Early_stopping_ends_only_its_stage_and_the_next_starts_from_its_best_weights()
    {
        manual_seed(6);
        using var train = TwoTaskData.Make(128, seed: 1);
        using var validation = TwoTaskData.Make(64, seed: 2);
        using var model = new TwoTaskModel();
        float[]? secondStart = null;
        var progress = new StringWriter();
        using var trainer = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions
        {
            BatchSize = 32,
            Progress = progress,
            Stages =
            [
                // No epoch after the first can beat it by 10: the stage stops after its second epoch.
                new TrainingStage("short", 10, Adam(model)) { EarlyStop = new EarlyStopping("value.loss", Patience: 1, MinDelta: 10) },
                new TrainingStage("full", 3, frozen =>
                {
                    secondStart = Weights(model);
                    return optim.Adam(ParameterGroups.Split(model, frozen.ToList()), lr: 1e-2);
                }),
            ],
        });

        var history = trainer.Fit(train, validation);

        Assert.Equal(["short", "short", "full", "full", "full"], history.Select(r => r.Stage));
        Assert.Contains("early stop of stage short after epoch 2: value.loss has not improved for 1 epochs", progress.ToString());
        Assert.Contains("restored the weights of the best epoch of stage short (value.loss = ", progress.ToString());
        // The best epoch of the first stage is its first: the same epoch alone gives the weights the second started from.
        manual_seed(6);
        using var alone = new TwoTaskModel();
        using var first = new Trainer(alone, TwoTaskData.Tasks, null, new TrainerOptions { BatchSize = 32, Stages = [new TrainingStage("short", 1, Adam(alone))] });
        first.Fit(train, validation);
        Assert.Equal(Weights(alone), secondStart);
    }

    [Fact]
    public void Resume_in_the_middle_of_the_second_stage_reproduces_the_uninterrupted_run_exactly()
    {
        var path = PathOf("run.ckpt");

        // One run in a fresh trainer: resumed from the checkpoint or not, crashing after an epoch or not.
        (float[] Weights, IReadOnlyList<EpochRecord> History) Run(long seed, int? crashAfter = null, bool resume = false)
        {
            manual_seed(seed);
            using var data = TwoTaskData.Make(200, seed: 8);
            using var validation = TwoTaskData.Make(64, seed: 9);
            using var model = new TwoTaskModel(dropout: 0.2);
            using var trainer = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions
            {
                BatchSize = 32,
                Seed = 9,
                CheckpointPath = crashAfter is null && !resume ? null : path,
                Progress = crashAfter is { } epoch ? new CrashingWriter($"epoch {epoch}/") : null,
                Schedule = new LearningRateSchedule([new SchedulePhase("warmup", new Dictionary<string, object> { ["steps"] = 3L }), new SchedulePhase("cosine")]),
                Stages =
                [
                    new TrainingStage("pretrain", 2, Adam(model)) { Tasks = ["value"], EarlyStop = new EarlyStopping("value.loss", Patience: 5) },
                    new TrainingStage("finetune", 3, frozen => optim.SGD(ParameterGroups.Split(model, frozen.ToList()), lr: 0.05, momentum: 0.9))
                    {
                        Frozen = [model.Trunk],
                        EarlyStop = new EarlyStopping("kind.accuracy", Patience: 10),
                    },
                ],
            });
            if (resume)
            {
                Checkpoint.Load(path, trainer);
                Assert.Equal(3, trainer.Epoch);
                Assert.Equal("finetune", trainer.Stage);
                Assert.Equal([model.Trunk], model.FrozenModules);
            }
            var history = trainer.Fit(data, validation);
            return (Weights(model), history.ToList());
        }

        var straight = Run(seed: 21);
        Assert.Throws<IOException>(() => Run(seed: 21, crashAfter: 3));
        // A different seed before loading: everything that matters must come from the checkpoint.
        var resumed = Run(seed: 999, resume: true);

        Assert.Equal(straight.Weights, resumed.Weights);
        Assert.Equal(straight.History.Select(r => r with { Seconds = 0 }), resumed.History.Select(r => r with { Seconds = 0 }), new RecordComparer());
    }

    [Fact]
    public void A_checkpoint_with_stages_and_a_trainer_without_do_not_mix()
    {
        manual_seed(7);
        using var data = TwoTaskData.Make(64, seed: 1);
        using var model = new TwoTaskModel();
        var staged = PathOf("staged.ckpt");
        using (var trainer = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions { Stages = [new TrainingStage("only", 1, Adam(model))] }))
        {
            trainer.Fit(data);
            Checkpoint.Save(staged, trainer);
        }
        using var optimizer = optim.Adam(model.parameters());
        using var plain = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1 });
        var unstaged = PathOf("plain.ckpt");
        Checkpoint.Save(unstaged, plain);

        var intoPlain = Assert.Throws<CheckpointException>(() => Checkpoint.Load(staged, plain));
        using var other = new Trainer(model, TwoTaskData.Tasks, null, new TrainerOptions { Stages = [new TrainingStage("only", 1, Adam(model))] });
        var intoStaged = Assert.Throws<CheckpointException>(() => Checkpoint.Load(unstaged, other));

        Assert.Equal($"checkpoint '{staged}': it was written by a trainer with stages (it is in stage 1), and this one has none", intoPlain.Message);
        Assert.Equal($"checkpoint '{unstaged}': the metadata has no 'stage': it was written by a trainer without stages, and this one has stages", intoStaged.Message);
    }

    [Fact]
    public void Stage_settings_that_cannot_run_are_refused_naming_the_stage()
    {
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters());
        Trainer Make(Optimizer? given, params TrainingStage[] stages) => new(model, TwoTaskData.Tasks, given, new TrainerOptions { Stages = stages });

        Assert.Equal("two stages are named 'a' (Parameter 'options')", Assert.Throws<ArgumentException>(() => Make(null, new("a", 1, Adam(model)), new("a", 1, Adam(model)))).Message);
        Assert.Equal("stage 'a' trains task 'kinds', which is not one of the trainer's tasks (Parameter 'options')", Assert.Throws<ArgumentException>(() => Make(null, new TrainingStage("a", 1, Adam(model)) { Tasks = ["kinds"] })).Message);
        Assert.StartsWith("stage 'a' must have at least 1 epoch", Assert.Throws<ArgumentOutOfRangeException>(() => Make(null, new TrainingStage("a", 0, Adam(model)))).Message);
        Assert.StartsWith("a trainer with stages builds each stage's optimizer", Assert.Throws<ArgumentException>(() => Make(optimizer, new TrainingStage("a", 1, Adam(model)))).Message);
        Assert.StartsWith("the optimizer holds parameter 'trunk.0.weight' of a frozen module", Assert.Throws<ArgumentException>(() => Make(null, new TrainingStage("a", 1, _ => optim.Adam(model.parameters())) { Frozen = [model.Trunk] })).Message);
        Assert.Empty(model.FrozenModules);
    }

    /// <summary>A progress writer that fails, as a crash would, once the line of a given epoch is written (after its checkpoint).</summary>
    private sealed class CrashingWriter(string line) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value is not null && value.StartsWith(line, StringComparison.Ordinal)) throw new IOException("crash");
        }
    }

    /// <summary>Epoch records compared by their values (the dictionaries and lists by content).</summary>
    private sealed class RecordComparer : IEqualityComparer<EpochRecord>
    {
        public bool Equals(EpochRecord? x, EpochRecord? y) => x is not null && y is not null && TrainingLog.ToJson(x) == TrainingLog.ToJson(y);

        public int GetHashCode(EpochRecord obj) => TrainingLog.ToJson(obj).GetHashCode(StringComparison.Ordinal);
    }
}
