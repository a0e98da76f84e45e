using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Spectre.Console;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Two regression tasks through one shared scalar weight: u = b·(a·x), v = c·(a·x), no biases,
/// a = b = c = 1 to start. Small enough that every number of an epoch is worked out by hand.
/// </summary>
internal sealed class ScalarTwoTaskModel : MultiTaskModule
{
    private readonly Linear shared = nn.Linear(1, 1, hasBias: false);
    private readonly Linear u = nn.Linear(1, 1, hasBias: false);
    private readonly Linear v = nn.Linear(1, 1, hasBias: false);

    public ScalarTwoTaskModel() : base(nameof(ScalarTwoTaskModel))
    {
        RegisterComponents();
        using var mode = no_grad();
        foreach (var p in parameters()) p.fill_(1.0);
    }

    public Linear Shared => shared;

    /// <summary>Whether the model was in training mode at each forward, in order.</summary>
    public List<bool> Modes { get; } = [];

    public (double A, double B, double C) Weights => (shared.weight!.item<float>(), u.weight!.item<float>(), v.weight!.item<float>());

    public (double A, double B, double C) Gradients => (shared.weight!.grad!.item<float>(), u.weight!.grad!.item<float>(), v.weight!.grad!.item<float>());

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        Modes.Add(training);
        var h = shared.forward(inputs["x"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["u"] = u.forward(h), ["v"] = v.forward(h) }, h);
    }

    public override IEnumerable<nn.Module> SharedModules() => [shared];
}

/// <summary>
/// Epoch records, step counts and updates of <see cref="Trainer"/> checked against values worked
/// out by hand on <see cref="ScalarTwoTaskModel"/>.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerExactTests
{
    // Task v weighs 2 in Σ wᵢLᵢ.
    internal static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("u", TaskKind.Regression) { Metrics = ["mae"] },
        new TaskSpec("v", TaskKind.Regression) { Weight = 2, Metrics = ["mae"] },
    ];

    /// <summary>x = 1, 2, 3, 4; u's targets 0 (squared errors 1, 4, 9, 16); v's 1, 2, missing, 2 (errors 0, 0, -, 4).</summary>
    internal static MultiTaskDataset Data() => new(
        new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1, 2, 3, 4 }, [4, 1]) },
        new Dictionary<string, Tensor>
        {
            ["u"] = tensor(new float[] { 0, 0, 0, 0 }, [4, 1]),
            ["v"] = tensor(new[] { 1, 2, float.NaN, 2 }, [4, 1]),
        },
        Tasks);

    [Theory]
    [InlineData(1, 4)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    [InlineData(4, 1)]
    [InlineData(5, 1)]
    public void An_epoch_of_one_example_batches_records_exact_means_and_steps(int accumulate, int stepsPerEpoch)
    {
        using var train = Data();
        using var model = new ScalarTwoTaskModel();
        // lr 0: the weights stay 1, so every batch's loss is its example's, whatever the order.
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 1, Accumulate = accumulate });
        var history = trainer.Fit(train);
        Assert.Equal(2, history.Count);
        foreach (var (record, epoch) in history.Select((r, i) => (r, i + 1)))
        {
            Assert.Equal(epoch, record.Epoch);
            Assert.Equal(epoch * stepsPerEpoch, record.Step);
            // u: (1 + 4 + 9 + 16) / 4; v over its three labelled batches: (0 + 0 + 4) / 3
            Assert.Equal(7.5, record.TaskLosses["u"], 12);
            Assert.Equal(4.0 / 3, record.TaskLosses["v"], 12);
            // Σ over batches of L_u + 2·L_v (none for the batch without v), over 4 batches: (30 + 2·4) / 4
            Assert.Equal(9.5, record.TrainLoss, 5); // float32 losses, scaled by 1/accumulate
            Assert.Equal([0.0], record.LearningRates);
        }
        Assert.Equal(2 * stepsPerEpoch, trainer.Step);
        Assert.Equal(2, trainer.Epoch);
    }

    [Fact]
    public void A_task_without_a_label_in_the_epoch_has_no_loss_in_its_record()
    {
        using var train = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1, 2 }, [2, 1]) },
            new Dictionary<string, Tensor> { ["u"] = tensor(new float[] { 0, 0 }, [2, 1]), ["v"] = tensor(new[] { float.NaN, float.NaN }, [2, 1]) },
            Tasks);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1 });
        var record = trainer.Fit(train).Single();
        Assert.Equal(["u"], record.TaskLosses.Keys);
        Assert.Equal(2.5, record.TaskLosses["u"], 12);
        Assert.Equal(2.5, record.TrainLoss, 12);
        // the weights are those of the epoch's last batch, where v had no loss: NaN, not its weight 2
        Assert.Equal(1.0, record.Weights["u"]);
        Assert.True(double.IsNaN(record.Weights["v"]));
    }

    [Fact]
    public void One_full_batch_steps_sgd_by_the_hand_computed_gradient_each_epoch()
    {
        // One batch of all four examples, v's third label missing. Loss L = L_u + 2·L_v with
        // L_u = mean over 4 of (b·a·x)², L_v = mean over 3 of (c·a·x − t)². At a = b = c = 1:
        // ∂L_u/∂b = 2·Σ x² / 4 = 15; ∂L_v/∂c = 2·Σ (x − t)·x / 3 = 2·(0 + 0 + 2·4) / 3 = 16/3;
        // ∂L/∂a = 15 + 2·16/3 = 77/3; ∂L/∂b = 15; ∂L/∂c = 32/3. SGD with lr 0.01: a = 1 − 0.77/3,
        // b = 0.85, c = 1 − 0.32/3.
        using var train = Data();
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 4 });
        var record = trainer.Fit(train).Single();
        Assert.Equal(1, record.Step);
        Assert.Equal(7.5, record.TaskLosses["u"], 6);
        Assert.Equal(4.0 / 3, record.TaskLosses["v"], 6);
        Assert.Equal(7.5 + 8.0 / 3, record.TrainLoss, 6);
        var (a, b, c) = model.Weights;
        Assert.Equal(1 - 0.77 / 3, a, 6);
        Assert.Equal(0.85, b, 6);
        Assert.Equal(1 - 0.32 / 3, c, 6);
    }

    [Fact]
    public void Each_step_starts_from_zero_gradients()
    {
        // Two epochs of one full batch at lr 0: the gradients left after the second step are that
        // step's alone (see One_full_batch_steps_sgd_by_the_hand_computed_gradient_each_epoch), not twice them.
        using var train = Data();
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 4 });
        trainer.Fit(train);
        Assert.Equal(2, trainer.Step);
        var (a, b, c) = model.Gradients;
        Assert.Equal(77.0 / 3, a, 5);
        Assert.Equal(15.0, b, 5);
        Assert.Equal(32.0 / 3, c, 5);
    }

    [Fact]
    public void Fit_trains_in_training_mode_when_the_model_was_left_in_evaluation_mode()
    {
        using var train = Data();
        using var model = new ScalarTwoTaskModel();
        model.eval();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 4 });
        trainer.Fit(train);
        // the step's forward in training mode, then the check of the last update in evaluation mode
        Assert.Equal([true, false], model.Modes);
    }

    /// <summary>Fixed weights (1, 2) that record the mean task losses the trainer gives at each epoch's end, and the epoch it says it is in.</summary>
    private sealed class EpochMeansWeighting() : LossWeighting("fixed", [1.0, 2.0])
    {
        public List<(int Epoch, double[] Means)> Ends { get; } = [];

        protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
        {
            var total = losses[0];
            for (var k = 1; k < losses.Length; k++) total = total + losses[k];
            return (total, Enumerable.Repeat(1.0, losses.Length).ToArray());
        }

        public override void EndEpoch(IReadOnlyList<double> meanTaskLosses, WeightingContext context) => Ends.Add((context.Epoch, meanTaskLosses.ToArray()));
    }

    [Fact]
    public void The_weighting_gets_each_epochs_mean_task_losses_and_NaN_for_a_task_without_labels()
    {
        using var train = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1, 2, 3, 4 }, [4, 1]) },
            new Dictionary<string, Tensor> { ["u"] = tensor(new float[] { 0, 0, 0, 0 }, [4, 1]), ["v"] = tensor(new[] { float.NaN, float.NaN, float.NaN, float.NaN }, [4, 1]) },
            Tasks);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        var weighting = new EpochMeansWeighting();
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 1, Weighting = weighting });
        trainer.Fit(train);
        // u: (1 + 4 + 9 + 16) / 4 each epoch; v has no label: NaN, not 0
        Assert.Equal([0, 1], weighting.Ends.Select(e => e.Epoch));
        Assert.All(weighting.Ends, e =>
        {
            Assert.Equal(7.5, e.Means[0], 12);
            Assert.True(double.IsNaN(e.Means[1]));
        });
    }

    /// <summary>An objective with zero gradients whose value is <paramref name="value"/>(epoch): the train loss is set, the weights never move.</summary>
    internal sealed class ScriptedObjective(Func<int, double> value) : LossWeighting("fixed", [1.0, 1.0])
    {
        protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
        {
            var total = losses[0];
            for (var k = 1; k < losses.Length; k++) total = total + losses[k];
            return (total * 0 + value(context.Epoch), Enumerable.Repeat(1.0, losses.Length).ToArray());
        }
    }

    [Fact]
    public void The_plateau_scheduler_sees_the_epochs_mean_train_loss()
    {
        // Four batches whose objective is 10 in the first epoch and 9 in the second: the mean train
        // loss improves by 1, less than the absolute threshold 2, so the rate halves after the second
        // epoch. The sum over the batches (40 → 36) would improve by 4 and keep the rate.
        using var train = Data();
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var plateau = new ReduceLROnPlateau(optimizer, "min", factor: 0.5, patience: 0, threshold: 2, threshold_mode: "abs");
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 1,
            Plateau = plateau,
            Weighting = new ScriptedObjective(epoch => epoch == 0 ? 10 : 9),
        });
        var history = trainer.Fit(train);
        Assert.Equal([10.0, 9.0], history.Select(r => r.TrainLoss));
        Assert.Equal([0.1], history[0].LearningRates);
        Assert.Equal([0.05], history[1].LearningRates);
        Assert.Equal((1.0, 1.0, 1.0), model.Weights);
    }

    [Fact]
    public void A_later_stages_schedule_counts_steps_from_the_stage_start()
    {
        // Stage "second" starts at step 4 and warms up over 8 of its own steps (its two epochs of
        // four batches), then hands over to a plateau with patience 0. Its step count reaches 8
        // only at its second epoch's end, where the plateau steps for the first time and takes the
        // objective (10 every batch) as its best: the rate stays 0.1. Counted from the run's start
        // the plateau would step an epoch earlier and halve the rate at the second epoch's end.
        using var train = Data();
        using var model = new ScalarTwoTaskModel();
        var schedule = new LearningRateSchedule([
            new SchedulePhase("warmup", new Dictionary<string, object> { ["steps"] = 8L }),
            new SchedulePhase("plateau", new Dictionary<string, object> { ["patience"] = 0L, ["factor"] = 0.5 }),
        ]);
        using var trainer = new Trainer(model, Tasks, null, new TrainerOptions
        {
            BatchSize = 1,
            Weighting = new ScriptedObjective(_ => 10),
            Stages =
            [
                new TrainingStage("first", 1, _ => optim.SGD(model.parameters(), lr: 0.1)),
                new TrainingStage("second", 2, _ => optim.SGD(model.parameters(), lr: 0.1)) { Schedule = schedule },
            ],
        });
        var history = trainer.Fit(train);
        Assert.Equal([4L, 8L, 12L], history.Select(r => r.Step));
        Assert.Equal(["first", "second", "second"], history.Select(r => r.Stage));
        Assert.Equal(0.1, history[2].LearningRates.Single(), 12);
    }

    [Fact]
    public void The_live_display_names_the_epoch_and_step_of_the_last_update()
    {
        // Drawn on a console that writes to a string (the console is process-wide: this collection
        // runs alone). Its last picture names the second epoch and the step count the last batch
        // saw before its update, 7 of 8.
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.Yes,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.Yes,
            Out = new AnsiConsoleOutput(writer),
        });
        try
        {
            using var train = Data();
            using var model = new ScalarTwoTaskModel();
            using var optimizer = optim.SGD(model.parameters(), lr: 0);
            using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 1, Display = ProgressMode.Live });
            trainer.Fit(train);
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
        Assert.Contains("epoch 2/2 step 7 · u ", writer.ToString());
    }
}
