using Mtl.Catalog;
using System.Text.RegularExpressions;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// What the trainer shows and leaves behind outside the epoch loop: the plain progress lines
/// (checked whole against values worked out by hand on <see cref="ScalarTwoTaskModel"/>), values
/// that are not finite by name, the stages' notices, <see cref="Trainer.Predict"/>'s mode and
/// who disposes the optimizer.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerMutationTests
{
    private static readonly TaskSpec[] Tasks = TrainerExactTests.Tasks;

    /// <summary>The progress lines written, with each epoch line's elapsed seconds (the one part that is not exact) checked and cut off.</summary>
    private static List<string> Lines(StringWriter output) =>
        output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).Select(l =>
        {
            if (!l.StartsWith("epoch ", StringComparison.Ordinal)) return l;
            var seconds = Regex.Match(l, @"  \d+\.\ds$");
            Assert.True(seconds.Success, $"an epoch line ends with its seconds: '{l}'");
            return l[..seconds.Index];
        }).ToList();

    [Fact]
    public void The_plain_progress_line_gives_the_loss_task_losses_weights_rate_and_validation_metrics()
    {
        // One batch of the four examples at lr 0 (the weights stay 1, so u = v = x): train loss
        // L_u + 2·L_v = 7.5 + 2·4/3; validation on the same data: u.mae = mean |x| = 2.5,
        // v.mae = (0 + 0 + 2) / 3, loss as the train loss. Task losses (".loss") are not repeated.
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        var output = new StringWriter();
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 4, Progress = output });
        trainer.Fit(train, train);
        Assert.Equal(
        [
            "epoch 1/2  loss 10.1667 (u 7.5, v 1.3333)  weights 1/2  lr 0  val u.mae 2.5 v.mae 0.6667 loss 10.1667",
            "epoch 2/2  loss 10.1667 (u 7.5, v 1.3333)  weights 1/2  lr 0  val u.mae 2.5 v.mae 0.6667 loss 10.1667",
        ], Lines(output));
    }

    [Fact]
    public void Without_validation_the_line_has_no_val_part_and_a_task_without_labels_shows_a_dash()
    {
        // v has no label: no loss ("-") and no weight in the epoch's last batch (NaN); u: (1 + 4) / 2.
        using var train = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1, 2 }, [2, 1]) },
            new Dictionary<string, Tensor> { ["u"] = tensor(new float[] { 0, 0 }, [2, 1]), ["v"] = tensor(new[] { float.NaN, float.NaN }, [2, 1]) },
            Tasks);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        var output = new StringWriter();
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1, Progress = output });
        trainer.Fit(train);
        var lines = Lines(output);
        // the warning before the first step, then the epoch
        Assert.Equal(2, lines.Count);
        Assert.Contains("'v'", lines[0]);
        Assert.Equal("epoch 1/1  loss 2.5 (u 2.5, v -)  weights 1/NaN  lr 0", lines[1]);
    }

    [Fact]
    public void A_train_loss_that_is_not_finite_is_named_in_the_progress_line()
    {
        // The scripted objective is inf, -inf and NaN in the three epochs, with zero gradients (the
        // task losses, which are checked before each update, stay finite).
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        var output = new StringWriter();
        double[] objective = [double.PositiveInfinity, double.NegativeInfinity, double.NaN];
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions
        {
            Epochs = 3,
            BatchSize = 4,
            Progress = output,
            Weighting = new TrainerExactTests.ScriptedObjective(epoch => objective[epoch]),
        });
        trainer.Fit(train);
        Assert.Equal(
        [
            "epoch 1/3  loss inf (u 7.5, v 1.3333)  weights 1/1  lr 0",
            "epoch 2/3  loss -inf (u 7.5, v 1.3333)  weights 1/1  lr 0",
            "epoch 3/3  loss NaN (u 7.5, v 1.3333)  weights 1/1  lr 0",
        ], Lines(output));
    }

    [Fact]
    public void A_loss_that_overflows_is_named_inf_with_its_task_step_and_epoch()
    {
        // x = 1e20: u = v = 1e20, whose square overflows float32. u is the first task checked.
        using var train = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1e20f }, [1, 1]) },
            new Dictionary<string, Tensor> { ["u"] = tensor(new float[] { 0 }, [1, 1]), ["v"] = tensor(new float[] { 0 }, [1, 1]) },
            Tasks);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1 });
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(train));
        Assert.Equal("the loss of task 'u' became inf at step 1 (epoch 1); no update was made. Check the data and lower the learning rate.", error.Message);
        Assert.Equal((1.0, 1.0, 1.0), model.Weights);
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void Stages_announce_themselves_and_name_the_stage_and_its_epoch_in_each_line()
    {
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        var output = new StringWriter();
        using var trainer = new Trainer(model, Tasks, null, new TrainerOptions
        {
            BatchSize = 4,
            Progress = output,
            Stages =
            [
                new TrainingStage("first", 1, _ => optim.SGD(model.parameters(), lr: 0)),
                new TrainingStage("second", 2, _ => optim.SGD(model.parameters(), lr: 0)),
            ],
        });
        trainer.Fit(train);
        Assert.Equal(
        [
            "stage first (1/2) starts after epoch 0: up to 1 epochs",
            "epoch 1/3 (first 1/1)  loss 10.1667 (u 7.5, v 1.3333)  weights 1/2  lr 0",
            "stage second (2/2) starts after epoch 1: up to 2 epochs",
            "epoch 2/3 (second 1/2)  loss 10.1667 (u 7.5, v 1.3333)  weights 1/2  lr 0",
            "epoch 3/3 (second 2/2)  loss 10.1667 (u 7.5, v 1.3333)  weights 1/2  lr 0",
        ], Lines(output));
    }

    [Fact]
    public void The_early_stop_and_restore_notices_name_the_monitor_patience_and_best_value()
    {
        // value.mae 0.5, 0.25, then two epochs without improvement: patience 2 runs out after epoch 4, best 0.25.
        double[] script = [0.5, 0.25, 0.5, 0.5, 0.125];
        List<string> Notices(bool staged)
        {
            var model = ScriptedValidationModel.Mae(script);
            using var owned = model;
            using var data = ScriptedValidationModel.Data();
            var output = new StringWriter();
            var stop = new EarlyStopping("value.mae", Patience: 2);
            using var optimizer = staged ? null : optim.SGD(model.parameters(), lr: 0.01);
            using var trainer = new Trainer(model, ScriptedValidationModel.Tasks, optimizer, staged
                ? new TrainerOptions { BatchSize = ScriptedValidationModel.Rows, Progress = output, Stages = [new TrainingStage("s", 5, _ => optim.SGD(model.parameters(), lr: 0.01)) { EarlyStop = stop }] }
                : new TrainerOptions { Epochs = 5, BatchSize = ScriptedValidationModel.Rows, Progress = output, EarlyStop = stop });
            Assert.Equal(4, trainer.Fit(data, data).Count);
            return Lines(output).Where(l => !l.StartsWith("epoch ", StringComparison.Ordinal)).ToList();
        }

        Assert.Equal(
        [
            "early stop after epoch 4: value.mae has not improved for 2 epochs (best 0.25)",
            "restored the weights of the best epoch (value.mae = 0.25)",
        ], Notices(staged: false));
        Assert.Equal(
        [
            "stage s (1/1) starts after epoch 0: up to 5 epochs",
            "early stop of stage s after epoch 4: value.mae has not improved for 2 epochs (best 0.25)",
            "restored the weights of the best epoch of stage s (value.mae = 0.25)",
        ], Notices(staged: true));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Predict_runs_in_evaluation_mode_without_gradients_and_leaves_the_mode_as_it_was(bool training)
    {
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer);
        model.train(training);
        using var scope = NewDisposeScope();
        var output = trainer.Predict(new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 3 }, [1, 1]) });
        Assert.Equal([false], model.Modes);
        Assert.Equal(training, model.training);
        Assert.Equal(3f, output.Tasks["u"].item<float>());
        Assert.False(output.Tasks["u"].requires_grad);
    }

    [Fact]
    public void Settings_that_cannot_run_are_refused_naming_the_setting()
    {
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        Assert.StartsWith("accumulate must be at least 1", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, Tasks, optimizer, new TrainerOptions { Accumulate = 0 })).Message);
        Assert.StartsWith("batch size must be positive", Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, Tasks, optimizer, new TrainerOptions { BatchSize = 0 })).Message);
        Assert.StartsWith("a trainer without stages needs an optimizer", Assert.Throws<ArgumentNullException>(() => new Trainer(model, Tasks, null)).Message);
        Optimizer Sgd(IReadOnlyList<nn.Module> frozen) => optim.SGD(model.parameters(), lr: 0);
        Assert.Equal("a stage needs a name (Parameter 'options')", Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions { Stages = [new TrainingStage("", 1, Sgd)] })).Message);
        Assert.Equal("stage 'heads' has no task to train (Parameter 'options')", Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions { Stages = [new TrainingStage("heads", 1, Sgd) { Tasks = [] }] })).Message);
        // accumulate 1 and batch size 1 are allowed
        using var smallest = new Trainer(model, Tasks, optimizer, new TrainerOptions { Accumulate = 1, BatchSize = 1 });
    }

    [Fact]
    public void A_weightings_own_parameters_join_the_optimizer_in_a_group_of_their_own_unless_it_holds_them()
    {
        using var model = new ScalarTwoTaskModel();
        using (var optimizer = optim.SGD(model.parameters(), lr: 0))
        using (new Trainer(model, Tasks, optimizer))
        {
            // fixed weighting: nothing to add, not even an empty group
            Assert.Single(optimizer.param_groups);
        }
        using (var weighting = new UncertaintyWeighting([1, 2]))
        using (var optimizer = optim.SGD(model.parameters(), lr: 0))
        using (new Trainer(model, Tasks, optimizer, new TrainerOptions { Weighting = weighting }))
        {
            Assert.Equal(2, optimizer.param_groups.Count);
            Assert.Same(weighting.LogVariances, Assert.Single(optimizer.param_groups[1].parameters));
        }
        using (var weighting = new UncertaintyWeighting([1, 2]))
        using (var optimizer = optim.SGD([.. model.parameters(), .. weighting.parameters()], lr: 0))
        using (new Trainer(model, Tasks, optimizer, new TrainerOptions { Weighting = weighting }))
        {
            Assert.Single(optimizer.param_groups);
        }
    }

    [Fact]
    public void Entering_a_stage_disposes_the_previous_stages_optimizer()
    {
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        var built = new List<Optimizer>();
        Optimizer Sgd(IReadOnlyList<nn.Module> frozen)
        {
            built.Add(optim.SGD(model.parameters(), lr: 0));
            return built[^1];
        }
        var trainer = new Trainer(model, Tasks, null, new TrainerOptions { BatchSize = 4, Stages = [new TrainingStage("first", 1, Sgd), new TrainingStage("second", 1, Sgd)] });
        trainer.Fit(train);
        Assert.Equal(2, built.Count);
        Assert.True(built[0].IsDisposed);
        Assert.False(built[1].IsDisposed);
        Assert.Same(built[1], trainer.Optimizer);
        trainer.Dispose();
        Assert.True(built[1].IsDisposed);
    }

    /// <summary><see cref="ScalarTwoTaskModel"/>'s network that records the inputs of each training-mode forward, in order.</summary>
    private sealed class RecordingModel : MultiTaskModule
    {
        private readonly Linear shared = nn.Linear(1, 1, hasBias: false);
        private readonly Linear u = nn.Linear(1, 1, hasBias: false);
        private readonly Linear v = nn.Linear(1, 1, hasBias: false);

        public RecordingModel() : base(nameof(RecordingModel))
        {
            RegisterComponents();
            using var mode = no_grad();
            foreach (var p in parameters()) p.fill_(1.0);
        }

        public List<float> Seen { get; } = [];

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            if (training) Seen.AddRange(inputs["x"].data<float>().ToArray());
            var h = shared.forward(inputs["x"]);
            return new MultiTaskOutput(new Dictionary<string, Tensor> { ["u"] = u.forward(h), ["v"] = v.forward(h) }, h);
        }

        public override IEnumerable<nn.Module> SharedModules() => [shared];
    }

    private static MultiTaskDataset Examples(params float[] x) => new(
        new Dictionary<string, Tensor> { ["x"] = tensor(x, [x.Length, 1]) },
        new Dictionary<string, Tensor> { ["u"] = zeros([x.Length, 1]), ["v"] = zeros([x.Length, 1]) },
        Tasks);

    /// <summary>The inputs of each epoch's training batches, in order, for a run of two epochs with the given seed.</summary>
    private static List<float[]> Orders(long seed, Func<Trainer, RecordingModel, IReadOnlyList<EpochRecord>> fit, int perEpoch)
    {
        var model = new RecordingModel();
        using var owned = model;
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 1, Seed = seed });
        fit(trainer, model);
        Assert.Equal(2 * perEpoch, model.Seen.Count);
        return [model.Seen.Take(perEpoch).ToArray(), model.Seen.Skip(perEpoch).ToArray()];
    }

    [Fact]
    public void Each_epoch_shuffles_every_example_once_in_an_order_set_by_the_seed_and_the_epoch()
    {
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8];
        List<float[]> Run(long seed) => Orders(seed, (trainer, _) =>
        {
            using var data = Examples(x);
            return trainer.Fit(data);
        }, 8);
        var (one, two) = (Run(1), Run(2));
        foreach (var order in one.Concat(two)) Assert.Equal(x, order.Order());
        Assert.NotEqual(x, one[0]);            // shuffled
        Assert.NotEqual(one[0], one[1]);       // anew each epoch
        Assert.NotEqual(one[0], two[0]);       // by the seed
        Assert.Equal(one, Run(1));             // and only by it
    }

    [Fact]
    public void With_separate_datasets_each_epoch_shuffles_every_example_of_each_task_once()
    {
        // u's dataset holds x = 1..6, v's 11..16; tasks take turns: an epoch is 12 batches of one example.
        List<float[]> Run(long seed) => Orders(seed, (trainer, _) =>
        {
            using var u = Examples(1, 2, 3, 4, 5, 6);
            using var v = Examples(11, 12, 13, 14, 15, 16);
            using var data = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["u"] = u, ["v"] = v }, SamplingKind.RoundRobin);
            return trainer.Fit(data);
        }, 12);
        var (one, two) = (Run(1), Run(2));
        float[] U(float[] order) => [.. order.Where(e => e < 10)];
        float[] V(float[] order) => [.. order.Where(e => e > 10).Select(e => e - 10)];
        float[] six = [1, 2, 3, 4, 5, 6];
        foreach (var order in one.Concat(two))
        {
            Assert.Equal(six, U(order).Order());
            Assert.Equal(six, V(order).Order());
        }
        Assert.NotEqual(six, U(one[0]));             // shuffled
        Assert.NotEqual(U(one[0]), V(one[0]));       // each task by its own seed
        Assert.NotEqual(U(one[0]), U(one[1]));       // anew each epoch
        Assert.NotEqual(U(one[0]), U(two[0]));       // by the run's seed
        Assert.Equal(one, Run(1));
    }

    [Fact]
    public void Fit_leaves_the_model_in_training_mode_after_the_check_of_the_last_update()
    {
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 4 });
        trainer.Fit(train);
        Assert.Equal([true, false], model.Modes);
        Assert.True(model.training);
    }

    [Fact]
    public void The_callers_optimizer_outlives_the_trainer_and_a_stages_optimizer_does_not()
    {
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        new Trainer(model, Tasks, optimizer).Dispose();
        Assert.False(optimizer.IsDisposed);

        var staged = new Trainer(model, Tasks, null, new TrainerOptions { Stages = [new TrainingStage("only", 1, _ => optim.SGD(model.parameters(), lr: 0))] });
        var own = staged.Optimizer;
        Assert.False(own.IsDisposed);
        staged.Dispose();
        Assert.True(own.IsDisposed);
    }
}
