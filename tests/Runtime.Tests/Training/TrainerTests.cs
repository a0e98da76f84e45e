using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-trainer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Weights(nn.Module model) => model.parameters().SelectMany(p => p.data<float>()).ToArray();

    [Fact]
    public void Learns_a_synthetic_two_task_problem()
    {
        manual_seed(3);
        using var train = TwoTaskData.Make(2048, seed: 1);
        using var validation = TwoTaskData.Make(512, seed: 2);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 15, BatchSize = 64 });
        var history = trainer.Fit(train, validation);
        var last = history[^1].Validation;
        Assert.True(last["kind.accuracy"] >= 0.9, $"kind.accuracy {last["kind.accuracy"]}");
        Assert.True(last["value.r2"] >= 0.95, $"value.r2 {last["value.r2"]}");
        Assert.True(history[^1].TrainLoss < history[0].TrainLoss / 3);
        Assert.Equal(15, trainer.Epoch);
        Assert.Equal(15 * 2048 / 64, trainer.Step);
    }

    [Fact]
    public void Masking_changes_nothing_without_missing_labels_and_ignores_masked_ones_exactly()
    {
        using var scope = NewDisposeScope();
        var task = new TaskSpec("t", TaskKind.Regression, 2);
        using var loss = new TaskLoss(task);
        var output = tensor(new float[,] { { 1, 2 }, { 3, 4 } });
        var full = tensor(new float[,] { { 0, 2 }, { 5, 1 } });
        Assert.Equal(nn.functional.mse_loss(output, full).item<float>(), loss.Compute(output, full)!.item<float>(), 6);
        // A masked label must not matter whatever the prediction for it is.
        var masked = tensor(new float[,] { { 0, float.NaN }, { 5, 1 } });
        var expected = (1f + 4f + 9f) / 3;
        Assert.Equal(expected, loss.Compute(output, masked)!.item<float>(), 6);
        Assert.Equal(expected, loss.Compute(tensor(new float[,] { { 1, 1000 }, { 3, 4 } }), masked)!.item<float>(), 6);
        Assert.Null(loss.Compute(output, full_nan()));

        var classes = new TaskSpec("c", TaskKind.Classes, 3);
        using var ce = new TaskLoss(classes);
        var logits = tensor(new float[,] { { 1, 2, 3 }, { 3, 1, 0 }, { 0, 0, 9 } });
        var some = tensor(new long[] { 2, -1, 2 });
        Assert.Equal(nn.functional.cross_entropy(logits.index_select(0, tensor(new long[] { 0, 2 })), tensor(new long[] { 2, 2 })).item<float>(), ce.Compute(logits, some)!.item<float>(), 6);
        Assert.Null(ce.Compute(logits, tensor(new long[] { -1, -1, -1 })));

        static Tensor full_nan() => tensor(new float[,] { { float.NaN, float.NaN }, { float.NaN, float.NaN } });
    }

    [Fact]
    public void Masked_gradients_are_zero_for_missing_labels()
    {
        using var scope = NewDisposeScope();
        using var loss = new TaskLoss(new TaskSpec("b", TaskKind.Binary));
        var logits = tensor(new[] { 0.5f, -1f, 2f }, requires_grad: true);
        loss.Compute(logits, tensor(new[] { 1f, float.NaN, 0f }))!.backward();
        var grad = logits.grad!.data<float>();
        Assert.Equal(0f, grad[1]);
        Assert.NotEqual(0f, grad[0]);
        Assert.DoesNotContain(grad, float.IsNaN);
    }

    [Theory]
    [InlineData(UpdateMode.Joint, 2)]
    [InlineData(UpdateMode.Alternate, 4)]
    public void Accumulating_N_batches_equals_one_N_times_larger_batch(UpdateMode update, long stepsPerEpoch)
    {
        // 64 examples: two batches of 32, or eight of 8 accumulated four at a time. Alternate
        // updates step twice per update, both times over all of the update's micro-batches.
        float[] Run(long batchSize, int accumulate)
        {
            manual_seed(11);
            using var data = TwoTaskData.Make(64, seed: 5);
            using var model = new TwoTaskModel();
            using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
            using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = batchSize, Accumulate = accumulate, Update = update });
            trainer.Fit(data);
            Assert.Equal(stepsPerEpoch, trainer.Step);
            return Weights(model);
        }

        var big = Run(32, 1);
        var accumulated = Run(8, 4);
        Assert.Equal(big.Length, accumulated.Length);
        for (var i = 0; i < big.Length; i++) Assert.True(Math.Abs(big[i] - accumulated[i]) <= 1e-6, $"weight {i}: {big[i]} vs {accumulated[i]}");
    }

    /// <summary>Σ Lᵢ, recording <see cref="WeightingContext.LossScale"/> and the first loss at every backward pass.</summary>
    private sealed class ScaleRecorder() : LossWeighting("fixed", [1.0, 1.0])
    {
        public List<(double Scale, double Loss)> Seen { get; } = [];

        protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
        {
            Seen.Add((context.LossScale, losses[0].item<double>()));
            return (losses.Skip(1).Aggregate(losses[0], (a, b) => a + b), [.. losses.Select(_ => 1.0)]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void The_weighting_is_told_the_scale_the_trainer_puts_on_the_losses(int accumulate)
    {
        // 32 examples in batches of 8: the losses the weighting gets are the batch's times 1/accumulate.
        manual_seed(13);
        using var data = TwoTaskData.Make(32, seed: 5);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        var weighting = new ScaleRecorder();
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8, Accumulate = accumulate, Weighting = weighting });
        var history = trainer.Fit(data);
        Assert.Equal(4, weighting.Seen.Count);
        Assert.All(weighting.Seen, s => Assert.Equal(1.0 / accumulate, s.Scale));
        // lr 0: the epoch's mean training loss of the first task is the mean of the unscaled losses.
        Assert.Equal(history[0].TaskLosses["value"], weighting.Seen.Average(s => s.Loss / s.Scale), 1e-6);
    }

    [Fact]
    public void Famo_reads_the_losses_after_a_short_last_update_too()
    {
        // 24 examples in batches of 8, accumulated two at a time: updates of 2 and 1 micro-batches.
        // FAMO's logit update needs the losses after each step; the short update's must not be
        // carried into the next epoch's first step (its loss sums are empty after every epoch).
        manual_seed(14);
        using var data = TwoTaskData.Make(24, seed: 5);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        using var famo = (FAMO)TaskWeighting.Create("famo", [1, 0.5]);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 8, Accumulate = 2, Weighting = famo });
        trainer.Fit(data);
        Assert.Equal(4, trainer.Step);
        var state = famo.state_dict();
        Assert.Equal([0.0, 0.0], [state["loss_count.0"], state["loss_count.1"]]);
        // Four logit updates: Adam's step count.
        Assert.Equal(4, state["adam.step"]);
    }

    [Fact]
    public void Alternate_updates_step_a_short_last_update_once_per_half()
    {
        // 40 examples in batches of 8, accumulated three at a time: updates of 3 and 2 micro-batches,
        // two optimizer steps each.
        manual_seed(12);
        using var data = TwoTaskData.Make(40, seed: 7);
        using var model = new TwoTaskModel();
        var shared0 = Bits(model.SharedParameters());
        var heads0 = Bits(model.TaskParameters());
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var weighting = new SnapshotEveryStep(model, TwoTaskData.Tasks.Select(t => t.Weight).ToList());
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8, Accumulate = 3, Update = UpdateMode.Alternate, Weighting = weighting });
        trainer.Fit(data);
        Assert.Equal(4, trainer.Step);
        // Each of the 5 micro-batches runs forward and backward twice, once per half-step of its update.
        Assert.Equal(10, weighting.Passes);
        // Every half-step is seen after it, the short update's too: shared parameters first, heads second.
        Assert.Equal(4, weighting.Snapshots.Count);
        var (shared, heads) = (shared0, heads0);
        for (var update = 0; update < 2; update++)
        {
            var (sharedFirst, headsFirst) = weighting.Snapshots[2 * update];
            var (sharedSecond, headsSecond) = weighting.Snapshots[2 * update + 1];
            Assert.Equal(heads, headsFirst);
            Assert.NotEqual(shared, sharedFirst);
            Assert.Equal(sharedFirst, sharedSecond);
            Assert.NotEqual(headsFirst, headsSecond);
            (shared, heads) = (sharedSecond, headsSecond);
        }
        Assert.Equal(shared, Bits(model.SharedParameters()));
        Assert.Equal(heads, Bits(model.TaskParameters()));
    }

    /// <summary>
    /// Fixed weighting (Σ wᵢLᵢ) that asks the trainer for the losses after every optimizer step,
    /// so that <see cref="AfterStep"/> runs after each half-step of an alternate update: there it
    /// records the bits of the model's shared and task parameters.
    /// </summary>
    private sealed class SnapshotEveryStep(MultiTaskModule model, IReadOnlyList<double> weights) : LossWeighting("fixed", weights)
    {
        public List<(int[] Shared, int[] Heads)> Snapshots { get; } = [];

        /// <summary>Backward passes: one per micro-batch in each half-step.</summary>
        public int Passes { get; private set; }

        protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
        {
            Passes++;
            var total = losses[0];
            for (var k = 1; k < losses.Length; k++) total = total + losses[k];
            return (total, Enumerable.Repeat(1.0, losses.Length).ToArray());
        }

        public override bool NeedsLossesAfterStep => true;

        public override void AfterStep(IReadOnlyList<double?> lossesAfterStep, WeightingContext context) =>
            Snapshots.Add((Bits(model.SharedParameters()), Bits(model.TaskParameters())));
    }

    private static int[] Bits(IEnumerable<Parameter> parameters) => parameters.SelectMany(p => p.data<float>()).Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void Alternate_mode_moves_only_the_shared_parameters_then_only_the_heads()
    {
        manual_seed(4);
        using var data = TwoTaskData.Make(16, seed: 6);
        using var model = new TwoTaskModel();
        var shared0 = Bits(model.SharedParameters());
        var heads0 = Bits(model.TaskParameters());
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var weighting = new SnapshotEveryStep(model, TwoTaskData.Tasks.Select(t => t.Weight).ToList());
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 16, Update = UpdateMode.Alternate, Weighting = weighting });
        // One batch: two optimizer steps, shared parameters first, heads second.
        trainer.Fit(data);
        Assert.Equal(2, trainer.Step);
        Assert.Equal(2, weighting.Snapshots.Count);
        var (shared1, heads1) = weighting.Snapshots[0];
        var (shared2, heads2) = weighting.Snapshots[1];

        // First half-step: the heads bit for bit as they were, the shared parameters moved.
        Assert.Equal(heads0, heads1);
        Assert.NotEqual(shared0, shared1);
        // Second half-step: the shared parameters bit for bit as the first half-step left them, the heads moved.
        Assert.Equal(shared1, shared2);
        Assert.NotEqual(heads1, heads2);
        // What the trainer ends with is the second half-step's state.
        Assert.Equal(shared2, Bits(model.SharedParameters()));
        Assert.Equal(heads2, Bits(model.TaskParameters()));
    }

    [Fact]
    public void Resume_from_a_checkpoint_reproduces_the_uninterrupted_run_exactly()
    {
        var path = Path.Combine(_folder, "run.ckpt");

        // One run in a fresh trainer: optionally resumed from the checkpoint, optionally saving one.
        float[] Run(long seed, int epochs, string? save = null, bool resume = false)
        {
            manual_seed(seed);
            using var data = TwoTaskData.Make(200, seed: 8);
            using var validation = TwoTaskData.Make(64, seed: 9);
            using var model = new TwoTaskModel(dropout: 0.2);
            using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
            using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
            {
                Epochs = epochs,
                BatchSize = 32,
                Seed = 9,
                CheckpointPath = save,
                EarlyStop = new EarlyStopping("kind.accuracy", Patience: 10),
                RestoreBest = false,
                Scheduler = optim.lr_scheduler.StepLR(optimizer, 3, 0.5),
            });
            if (resume)
            {
                Checkpoint.Load(path, trainer);
                Assert.Equal(1, trainer.Epoch);
                Assert.Single(trainer.History);
            }
            trainer.Fit(data, validation);
            Assert.Equal(epochs, trainer.History.Count);
            return Weights(model);
        }

        var straight = Run(seed: 21, epochs: 2);
        Run(seed: 21, epochs: 1, save: path);
        // A different seed before loading: everything that matters must come from the checkpoint.
        var resumed = Run(seed: 999, epochs: 2, resume: true);
        Assert.Equal(straight, resumed);
    }

    [Fact]
    public void A_NaN_loss_stops_training_naming_the_task_and_step_and_keeps_the_last_good_checkpoint()
    {
        var path = Path.Combine(_folder, "nan.ckpt");
        manual_seed(5);
        using var data = TwoTaskData.Make(64, seed: 3);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 3, BatchSize = 32, CheckpointPath = path });
        trainer.Fit(data);
        var good = File.ReadAllBytes(path);
        using (no_grad())
        {
            model.KindHead.parameters().First().fill_(double.NaN);
        }
        using var more = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 32, CheckpointPath = path });
        var error = Assert.Throws<TrainingDivergedException>(() => more.Fit(data));
        Assert.Contains("task 'kind'", error.Message);
        Assert.Contains("step 1", error.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
    }

    [Fact]
    public void Early_stopping_stops_and_restores_the_best_weights()
    {
        manual_seed(8);
        using var data = TwoTaskData.Make(128, seed: 4);
        // Validation classes are noise: their accuracy wanders, so patience runs out early.
        using var validation = TwoTaskData.Make(64, seed: 5, randomKinds: true);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var log = Path.Combine(_folder, "log.jsonl");
        var progress = new StringWriter();
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
        {
            Epochs = 40,
            BatchSize = 16,
            EarlyStop = new EarlyStopping("kind.accuracy", Patience: 2),
            LogPath = log,
            Progress = progress,
        });
        var history = trainer.Fit(data, validation);
        Assert.True(history.Count < 40, "training should have stopped early");
        var best = history.Max(r => r.Validation["kind.accuracy"]);
        Assert.True(history[^1].Validation["kind.accuracy"] < best);
        Assert.Equal(best, trainer.Evaluate(validation)["kind.accuracy"], 12);
        Assert.Contains("early stop", progress.ToString());
        Assert.Contains("restored the weights of the best epoch", progress.ToString());
        var logged = TrainingLog.Read(log);
        Assert.Equal(history.Count, logged.Count);
        Assert.Equal(history[0].Validation["kind.accuracy"], logged[0].Validation["kind.accuracy"]);
        Assert.Equal(history[^1].TrainLoss, logged[^1].TrainLoss);
    }

    [Fact]
    public void Progress_falls_back_to_one_plain_line_per_epoch_when_output_is_redirected()
    {
        Assert.True(Console.IsOutputRedirected, "the test host redirects standard output");
        Assert.Equal("PlainProgress", TrainingProgress.Create(ProgressMode.Auto).GetType().Name);
        Assert.Equal("PlainProgress", TrainingProgress.Create(ProgressMode.Auto, new StringWriter()).GetType().Name);
        Assert.Equal("LiveProgress", TrainingProgress.Create(ProgressMode.Live).GetType().Name);

        manual_seed(1);
        using var data = TwoTaskData.Make(64, seed: 2);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var output = new StringWriter();
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 3, BatchSize = 16, Display = ProgressMode.Auto, Progress = output });
        trainer.Fit(data, data);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.StartsWith($"epoch {i + 1}/3  loss ", lines[i]);
            Assert.Contains("(value ", lines[i]);
            Assert.Contains("kind.accuracy", lines[i]);
            Assert.DoesNotContain("\u001b", lines[i]);
        }
    }

    [Fact]
    public void An_unknown_monitor_is_rejected_before_training()
    {
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var task = Assert.Throws<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { EarlyStop = new EarlyStopping("colour.accuracy") }));
        Assert.Contains("no task 'colour'", task.Message);
        var metric = Assert.Throws<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { EarlyStop = new EarlyStopping("value.auc") }));
        Assert.Contains("task 'value' measures mae, r2, loss", metric.Message);
    }

    [Fact]
    public void Bad_data_names_the_member_row_and_value()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, float.NaN, 5, 6 }, [3, 2]);
        var error = Assert.Throws<InvalidDataException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = x }, new Dictionary<string, Tensor>(), TwoTaskData.Tasks));
        Assert.Equal("input 'x': row 1 holds NaN; inputs must be finite", error.Message);
        var label = Assert.Throws<InvalidDataException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = ones(3, 2) }, new Dictionary<string, Tensor> { ["kind"] = tensor(new long[] { 0, 2, 7 }) }, TwoTaskData.Tasks));
        Assert.Equal("task 'kind': row 2 holds class 7, outside [0, 3) (-1 marks a missing label)", label.Message);
        var rows = Assert.Throws<ArgumentException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = ones(3, 2) }, new Dictionary<string, Tensor> { ["value"] = ones(2, 1) }, TwoTaskData.Tasks));
        Assert.Contains("targets of task 'value' has 2 rows but the dataset has 3 examples", rows.Message);
        var shape = Assert.Throws<InvalidDataException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = ones(3, 2) }, new Dictionary<string, Tensor> { ["value"] = ones(3, 4) }, TwoTaskData.Tasks));
        Assert.Contains("targets must have shape [N, 1], not [3, 4]", shape.Message);
    }
}

[Collection(LiveHandleCollection.Name)]
public sealed class TrainerLifetimeTests
{
    [Fact]
    public void Fit_and_evaluate_free_every_tensor_they_create_without_the_garbage_collector()
    {
        manual_seed(1);
        using var data = TwoTaskData.Make(96, seed: 2);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 3, BatchSize = 16 });
        var before = LiveHandleCollection.Settle();
        trainer.Fit(data, data);
        trainer.Evaluate(data);
        // No GC here: a tensor left to the finalizer would still be counted.
        Assert.Equal(before, Tensor.LiveHandleCount);
    }
}

[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerWeightingTests
{
    public static TheoryData<string> Methods => new(Mtl.Training.Weighting.TaskWeighting.Names);

    [Theory]
    [MemberData(nameof(Methods))]
    public void Every_weighting_method_trains_through_the_trainer(string method)
    {
        manual_seed(12);
        using var data = TwoTaskData.Make(256, seed: 3);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var weighting = Mtl.Training.Weighting.TaskWeighting.Create(method, TwoTaskData.Tasks.Select(t => t.Weight).ToList());
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 6, BatchSize = 32, Weighting = weighting });
        var history = trainer.Fit(data, data);
        Assert.Equal(6, history.Count);
        Assert.All(history, r => Assert.True(double.IsFinite(r.TrainLoss), $"{method}: loss {r.TrainLoss}"));
        Assert.True(history[^1].Validation["kind.accuracy"] > 0.6, $"{method}: kind.accuracy {history[^1].Validation["kind.accuracy"]}");
        Assert.Equal(2, history[^1].Weights.Count);
        var extra = weighting.parameters().ToList();
        if (extra.Count > 0) Assert.Contains(optimizer.param_groups, g => g.parameters.Contains(extra[0]));
    }
}

[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerPenaltyTests
{
    /// <summary>One SGD step with lr 1 and zero-weight tasks: the update is exactly the penalty's gradient.</summary>
    private static (float[] before, float[] after) OneStepOfPenaltyOnly(TwoTaskModel model, TrainerOptions options)
    {
        using var data = TwoTaskData.Make(8, seed: 1);
        TaskSpec[] silent = [TwoTaskData.Tasks[0] with { Weight = 0 }, TwoTaskData.Tasks[1] with { Weight = 0 }];
        using var optimizer = optim.SGD(model.parameters(), lr: 1.0);
        var before = model.parameters().SelectMany(p => p.data<float>()).ToArray();
        using var trainer = new Trainer(model, silent, optimizer, options with { Epochs = 1, BatchSize = 8 });
        trainer.Fit(data);
        return (before, model.parameters().SelectMany(p => p.data<float>()).ToArray());
    }

    [Fact]
    public void The_L2_term_adds_two_lambda_theta_to_every_gradient()
    {
        manual_seed(2);
        using var model = new TwoTaskModel();
        var (before, after) = OneStepOfPenaltyOnly(model, new TrainerOptions { L2 = 0.05 });
        for (var i = 0; i < before.Length; i++) Assert.Equal(before[i] * (1 - 2 * 0.05f), after[i], 5);
    }

    [Fact]
    public void A_soft_tie_pulls_two_same_shaped_blocks_together()
    {
        manual_seed(3);
        using var model = new TwoTaskModel();
        using var other = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0));
        var a0 = model.Trunk.parameters().SelectMany(p => p.data<float>()).ToArray();
        var b0 = other.parameters().SelectMany(p => p.data<float>()).ToArray();
        // The tied module is not part of the model, so only the trunk moves: θa ← θa − 2λ(θa − θb).
        var (_, _) = OneStepOfPenaltyOnly(model, new TrainerOptions { Ties = [new SoftTie(model.Trunk, other, 0.1)] });
        var a1 = model.Trunk.parameters().SelectMany(p => p.data<float>()).ToArray();
        for (var i = 0; i < a0.Length; i++) Assert.Equal(a0[i] - 0.2f * (a0[i] - b0[i]), a1[i], 5);
    }
}
