using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// One standardised input "x" and two regression heads: "y", whose targets are standardised (its
/// output is in standardised units), and "w", whose are not.
/// </summary>
internal sealed class StandardizedModel : MultiTaskModule
{
    private readonly Standardizer x;
    private readonly Standardizer y;
    private readonly Linear headY;
    private readonly Linear headW;

    public StandardizedModel() : base(nameof(StandardizedModel))
    {
        x = new Standardizer("input 'x'", [1], ["x"]);
        y = new Standardizer("task 'y'", [1], ["y"]);
        headY = nn.Linear(1, 1);
        headW = nn.Linear(1, 1);
        RegisterComponents();
    }

    public Standardizer X => x;

    public Standardizer Y => y;

    public static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("y", TaskKind.Regression) { Metrics = ["mae", "rmse"] },
        new TaskSpec("w", TaskKind.Regression) { Metrics = ["mae"] },
    ];

    public override IReadOnlyDictionary<string, Standardizer> InputStandardizers => new Dictionary<string, Standardizer> { ["x"] = x };

    public override IReadOnlyDictionary<string, Standardizer> TargetStandardizers => new Dictionary<string, Standardizer> { ["y"] = y };

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var z = x.forward(inputs["x"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["y"] = headY.forward(z), ["w"] = headW.forward(z) }, z);
    }

    public override IEnumerable<nn.Module> SharedModules() => [];

    /// <summary>Both heads output a constant: weight 0, the given bias.</summary>
    public void Constant(double y, double w)
    {
        headY.weight.fill_(0.0);
        headY.bias!.fill_(y);
        headW.weight.fill_(0.0);
        headW.bias!.fill_(w);
    }

    public float[] HeadWeights() => [headY.weight.data<float>()[0], headY.bias!.data<float>()[0], headW.weight.data<float>()[0], headW.bias!.data<float>()[0]];

    /// <summary>A dataset of x, y and w columns (NaN: a missing label).</summary>
    public static MultiTaskDataset Data(float[] x, float[] y, float[]? w = null)
    {
        using var scope = NewDisposeScope();
        w ??= x.Select(v => 2 * v).ToArray();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [x.Length, 1]) },
            new Dictionary<string, Tensor> { ["y"] = tensor(y, [y.Length, 1]), ["w"] = tensor(w, [w.Length, 1]) },
            Tasks);
    }
}

/// <summary>
/// The trainer and standardisation: statistics fitted on the training data only (and kept once
/// fitted), losses against standardised targets, metrics and predictions in original units, and
/// statistics that travel with checkpoints.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class StandardizationTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-standardize-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Training x: 1, 2, 3, 4 → mean 2.5, variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
    // Training y: 10, 20, 30, 40 → mean 25, variance (225 + 25 + 25 + 225) / 4 = 125.
    private static MultiTaskDataset Train() => StandardizedModel.Data([1, 2, 3, 4], [10, 20, 30, 40]);

    // Far from the training data: statistics that saw it would differ by orders of magnitude.
    private static MultiTaskDataset Validation() => StandardizedModel.Data([1000, 2000], [-500, 500]);

    private static Trainer NewTrainer(StandardizedModel model, Optimizer optimizer, int epochs = 1, string? checkpoint = null, TextWriter? progress = null) =>
        new(model, StandardizedModel.Tasks, optimizer, new TrainerOptions { Epochs = epochs, BatchSize = 4, Seed = 3, CheckpointPath = checkpoint, Progress = progress });

    [Fact]
    public void The_statistics_are_fitted_on_the_training_data_only()
    {
        using var model = new StandardizedModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        using var train = Train();
        using var validation = Validation();
        var history = trainer.Fit(train, validation);
        Assert.True(model.X.IsFitted);
        Assert.Equal([2.5f], model.X.Mean.data<float>());
        Assert.Equal([(float)Math.Sqrt(1.25)], model.X.Std.data<float>());
        Assert.Equal(4, model.X.Count);
        Assert.Equal([25f], model.Y.Mean.data<float>());
        Assert.Equal([(float)Math.Sqrt(125)], model.Y.Std.data<float>());
        Assert.True(double.IsFinite(history[0].Validation["y.mae"]));
    }

    [Fact]
    public void The_training_loss_is_computed_against_standardised_targets()
    {
        using var model = new StandardizedModel();
        model.Constant(y: 0.5, w: 0);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        using var train = Train();
        var record = trainer.Fit(train)[0];
        // One batch, its loss taken before the step: the standardised targets have mean 0 and
        // (population) variance 1, so mean((0.5 − z)²) = 0.25 − 2·0.5·0 + 1 = 1.25. Against the
        // raw targets it would be mean((0.5 − y)²) ≈ 725.
        Assert.Equal(1.25, record.TaskLosses["y"], 1e-5);
        // "w" has no target standardizer: its loss is against its raw targets 2, 4, 6, 8 (mean of squares 30).
        Assert.Equal(30, record.TaskLosses["w"], 1e-4);
    }

    [Fact]
    public void Metrics_are_in_original_units_and_the_loss_in_standardised_ones()
    {
        using var model = new StandardizedModel();
        using (var scope = NewDisposeScope())
        {
            model.X.Fit(tensor(new[] { 1f, 2, 3, 4 }, [4, 1]));
            model.Y.Fit(tensor(new[] { 10f, 20, 30, 40 }, [4, 1]));
        }
        model.Constant(y: 0.5, w: 1);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        using var data = StandardizedModel.Data([1, 2], [20, 22], [3, 4]);
        var result = trainer.Evaluate(data);

        // In original units the output is 0.5·√125 + 25 ≈ 30.59 for both rows.
        var s = Math.Sqrt(125);
        var output = 0.5 * s + 25;
        Assert.Equal(((output - 20) + (output - 22)) / 2, result["y.mae"], 1e-4);
        Assert.Equal(Math.Sqrt((Math.Pow(output - 20, 2) + Math.Pow(output - 22, 2)) / 2), result["y.rmse"], 1e-4);
        // The loss is the objective: standardised targets (20 − 25)/s and (22 − 25)/s against 0.5.
        Assert.Equal((Math.Pow(0.5 + 5 / s, 2) + Math.Pow(0.5 + 3 / s, 2)) / 2, result["y.loss"], 1e-5);
        // A task without a target standardizer is measured on its raw output: |1 − 3| and |1 − 4|.
        Assert.Equal(2.5, result["w.mae"], 1e-6);
    }

    [Fact]
    public void Predictions_come_back_in_original_units_inside_a_dispose_scope()
    {
        using var model = new StandardizedModel();
        using (var scope = NewDisposeScope())
        {
            model.X.Fit(tensor(new[] { 1f, 2, 3, 4 }, [4, 1]));
            model.Y.Fit(tensor(new[] { 10f, 20, 30, 40 }, [4, 1]));
        }
        model.Constant(y: -1, w: 7);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        using var scope2 = NewDisposeScope();
        var output = trainer.Predict(new Dictionary<string, Tensor> { ["x"] = tensor(new[] { 5f, 6 }, [2, 1]) });
        Assert.Equal([-1f, -1f], output.Tasks["y"].data<float>());
        var y = model.OriginalUnits("y", output.Tasks["y"]);
        Assert.False(y.requires_grad);
        var expected = (float)(25 - Math.Sqrt(125));
        Assert.Equal(expected, y.data<float>()[0], 1e-4);
        Assert.Same(output.Tasks["w"], model.OriginalUnits("w", output.Tasks["w"]));
        var all = model.OriginalUnits(output);
        Assert.Equal(expected, all.Tasks["y"].data<float>()[1], 1e-4);
        Assert.Equal([7f, 7f], all.Tasks["w"].data<float>());
    }

    [Fact]
    public void Statistics_already_fitted_are_kept()
    {
        using var model = new StandardizedModel();
        using (var scope = NewDisposeScope())
        {
            model.X.Fit(tensor(new[] { 100f, 300 }, [2, 1]));
            model.Y.Fit(tensor(new[] { 0f, 10 }, [2, 1]));
        }
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        using var train = Train();
        trainer.Fit(train);
        Assert.Equal([200f], model.X.Mean.data<float>());
        Assert.Equal([100f], model.X.Std.data<float>());
        Assert.Equal([5f], model.Y.Mean.data<float>());
        Assert.Equal(2, model.Y.Count);
    }

    [Fact]
    public void With_per_task_datasets_inputs_are_fitted_on_every_training_row_and_targets_on_their_task()
    {
        using var model = new StandardizedModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        using var forY = StandardizedModel.Data([1, 2, 3], [10, 20, 30]);
        // The "w" dataset's y labels must not reach y's statistics.
        using var forW = StandardizedModel.Data([4, 5, 6, 7, 8], [1000, 1000, 1000, 1000, 2000]);
        using var train = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["y"] = forY.WithTargets("y"), ["w"] = forW.WithTargets("w") });
        trainer.Fit(train);
        // x over all eight rows 1..8: mean 4.5, variance 2·(3.5² + 2.5² + 1.5² + 0.5²) / 8 = 5.25.
        Assert.Equal([4.5f], model.X.Mean.data<float>());
        Assert.Equal([(float)Math.Sqrt(5.25)], model.X.Std.data<float>());
        Assert.Equal(8, model.X.Count);
        // y over its own dataset: 10, 20, 30.
        Assert.Equal([20f], model.Y.Mean.data<float>());
        Assert.Equal([(float)Math.Sqrt(200.0 / 3)], model.Y.Std.data<float>());
    }

    [Fact]
    public void A_standardised_task_without_training_labels_is_an_error()
    {
        using var model = new StandardizedModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        using var train = StandardizedModel.Data([1, 2, 3], [float.NaN, float.NaN, float.NaN]);
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(train));
        Assert.Equal("task 'y' standardises its targets, but the training dataset has no label for it: the mean and standard deviation of its targets cannot be fitted", error.Message);

        using var onlyW = StandardizedModel.Data([1, 2, 3], [1, 2, 3]);
        using var perTask = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["w"] = onlyW.WithTargets("w") });
        var missing = Assert.Throws<ArgumentException>(() => trainer.Fit(perTask));
        Assert.StartsWith("task 'y' standardises its targets, but it has no training dataset", missing.Message);
    }

    [Fact]
    public void A_checkpoint_carries_the_statistics_into_a_fresh_model()
    {
        var checkpoint = Path.Combine(_folder, "run.ckpt");
        using (var model = new StandardizedModel())
        using (var optimizer = optim.SGD(model.parameters(), lr: 0.01))
        using (var trainer = NewTrainer(model, optimizer, checkpoint: checkpoint))
        using (var train = Train())
        {
            trainer.Fit(train);
        }
        using var fresh = new StandardizedModel();
        using var freshOptimizer = optim.SGD(fresh.parameters(), lr: 0.01);
        using var freshTrainer = NewTrainer(fresh, freshOptimizer);
        Assert.False(fresh.X.IsFitted);
        Checkpoint.Load(checkpoint, freshTrainer);
        Assert.True(fresh.X.IsFitted);
        Assert.True(fresh.Y.IsFitted);
        Assert.Equal([2.5f], fresh.X.Mean.data<float>());
        Assert.Equal([(float)Math.Sqrt(1.25)], fresh.X.Std.data<float>());
        Assert.Equal([25f], fresh.Y.Mean.data<float>());
        Assert.Equal([(float)Math.Sqrt(125)], fresh.Y.Std.data<float>());
    }

    /// <summary>A progress writer that throws on the given epoch's line, the last thing an epoch does: a crash after its checkpoint.</summary>
    private sealed class CrashAt(int epoch) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            if (value is not null && value.StartsWith($"epoch {epoch}/", StringComparison.Ordinal)) throw new IOException("simulated crash");
            base.WriteLine(value);
        }
    }

    [Fact]
    public void A_resumed_run_keeps_the_statistics_and_ends_where_an_uninterrupted_one_does()
    {
        float[] Run(string checkpoint, bool resume, TextWriter? progress)
        {
            manual_seed(resume ? 999 : 21);
            using var model = new StandardizedModel();
            using var optimizer = optim.SGD(model.parameters(), lr: 0.05, momentum: 0.9);
            using var trainer = NewTrainer(model, optimizer, epochs: 4, checkpoint: checkpoint, progress: progress);
            using var train = StandardizedModel.Data([1, 2, 3, 4, 5, 6, 7, 8], [10, 25, 30, 41, 52, 58, 70, 79]);
            using var validation = Validation();
            if (resume)
            {
                Checkpoint.Load(checkpoint, trainer);
                Assert.True(model.X.IsFitted);
            }
            trainer.Fit(train, validation);
            return [.. model.HeadWeights(), .. model.X.Mean.data<float>(), .. model.X.Std.data<float>(), .. model.Y.Mean.data<float>(), .. model.Y.Std.data<float>()];
        }

        var straight = Run(Path.Combine(_folder, "straight.ckpt"), resume: false, progress: null);
        var crashed = Path.Combine(_folder, "crashed.ckpt");
        Assert.Throws<IOException>(() => Run(crashed, resume: false, progress: new CrashAt(2)));
        var resumed = Run(crashed, resume: true, progress: null);
        Assert.Equal(straight, resumed);
        Assert.Equal(4.5f, resumed[4]);
    }
}
