using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// What the trainer fits standardisers from (<see cref="StandardizerFitting"/>), called directly:
/// the checks of a model's standardisers against its tasks and data, with their messages, and
/// what is kept or reshaped, for one dataset and for per-task datasets.
/// </summary>
public sealed class StandardizerFittingTests
{
    private static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("y", TaskKind.Regression),
        new TaskSpec("c", TaskKind.Binary),
    ];

    /// <summary>A model that only declares standardisers (the fitting never runs it).</summary>
    private sealed class Declaring : MultiTaskModule
    {
        private readonly Dictionary<string, Standardizer> _inputs;
        private readonly Dictionary<string, Standardizer> _targets;

        public Declaring(Dictionary<string, Standardizer> inputs, Dictionary<string, Standardizer> targets) : base(nameof(Declaring))
        {
            _inputs = inputs;
            _targets = targets;
        }

        public override IReadOnlyDictionary<string, Standardizer> InputStandardizers => _inputs;

        public override IReadOnlyDictionary<string, Standardizer> TargetStandardizers => _targets;

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs) => throw new NotSupportedException();

        public override IEnumerable<nn.Module> SharedModules() => [];
    }

    private static MultiTaskDataset Data(float[] x, float[] y, bool flatTargets = false)
    {
        using var scope = NewDisposeScope();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [x.Length, 1]) },
            new Dictionary<string, Tensor>
            {
                ["y"] = flatTargets ? tensor(y, [y.Length]) : tensor(y, [y.Length, 1]),
                ["c"] = tensor(y.Select(_ => 1f).ToArray(), [y.Length, 1]),
            },
            Tasks);
    }

    private static TaskDatasets PerTask(MultiTaskDataset data) =>
        new(new Dictionary<string, MultiTaskDataset> { ["y"] = data.WithTargets("y"), ["c"] = data.WithTargets("c") });

    [Theory]
    [InlineData("ghost", "the model standardises the targets of 'ghost', which is not a task (tasks: y, c)")]
    [InlineData("c", "the model standardises the targets of task 'c', which is binary: only regression targets are standardised")]
    public void Target_standardisers_must_belong_to_regression_tasks(string task, string message)
    {
        using var standardizer = new Standardizer($"task '{task}'", [1]);
        using var model = new Declaring([], new() { [task] = standardizer });
        using var data = Data([1, 2], [3, 4]);
        using var perTask = PerTask(data);

        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => StandardizerFitting.Fit(model, Tasks, data)).Message);
        Assert.Equal(message, Assert.Throws<InvalidOperationException>(() => StandardizerFitting.Fit(model, Tasks, perTask)).Message);
    }

    [Fact]
    public void An_input_standardiser_needs_its_input_in_the_training_data()
    {
        using var standardizer = new Standardizer("input 'z'", [1]);
        using var model = new Declaring(new() { ["z"] = standardizer }, []);
        using var data = Data([1, 2], [3, 4]);
        using var perTask = PerTask(data);

        Assert.Equal(
            "the model standardises input 'z', but the training dataset has no such input (it has 'x')",
            Assert.Throws<ArgumentException>(() => StandardizerFitting.Fit(model, Tasks, data)).Message);
        Assert.Equal(
            "the model standardises input 'z', but the training dataset of task 'y' has no such input (it has 'x')",
            Assert.Throws<ArgumentException>(() => StandardizerFitting.Fit(model, Tasks, perTask)).Message);
    }

    [Fact]
    public void With_per_task_datasets_a_task_without_labels_names_its_dataset()
    {
        using var standardizer = new Standardizer("task 'y'", [1]);
        using var model = new Declaring([], new() { ["y"] = standardizer });
        using var data = Data([1, 2], [float.NaN, float.NaN]);
        using var perTask = PerTask(data);

        Assert.Equal(
            "task 'y' standardises its targets, but the training dataset of task 'y' has no label for it: the mean and standard deviation of its targets cannot be fitted",
            Assert.Throws<ArgumentException>(() => StandardizerFitting.Fit(model, Tasks, perTask)).Message);
    }

    [Fact]
    public void With_per_task_datasets_fitted_standardisers_are_kept()
    {
        using var input = new Standardizer("input 'x'", [1]);
        using var target = new Standardizer("task 'y'", [1]);
        using (var scope = NewDisposeScope())
        {
            input.Fit(tensor(new[] { 100f, 300 }, [2, 1]));
            target.Fit(tensor(new[] { 0f, 10 }, [2, 1]));
        }
        using var model = new Declaring(new() { ["x"] = input }, new() { ["y"] = target });
        using var data = Data([1, 2, 3], [10, 20, 30]);
        using var perTask = PerTask(data);

        StandardizerFitting.Fit(model, Tasks, perTask);

        Assert.Equal([200f], input.Mean.data<float>().ToArray());
        Assert.Equal([100f], input.Std.data<float>().ToArray());
        Assert.Equal([5f], target.Mean.data<float>().ToArray());
        Assert.Equal([5f], target.Std.data<float>().ToArray());
    }

    [Fact]
    public void Flat_regression_targets_are_fitted_as_one_column()
    {
        using var target = new Standardizer("task 'y'", [1]);
        using var model = new Declaring([], new() { ["y"] = target });
        using var data = Data([1, 2, 3, 4], [10, 20, 30, 40], flatTargets: true);

        StandardizerFitting.Fit(model, Tasks, data);

        // 10, 20, 30, 40: mean 25, population variance 125.
        Assert.Equal([25f], target.Mean.data<float>().ToArray());
        Assert.Equal([(float)Math.Sqrt(125)], target.Std.data<float>().ToArray());
    }
}
