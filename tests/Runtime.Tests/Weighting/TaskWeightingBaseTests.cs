using Mtl.Torch;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// The base class every method shares: the checks of the fixed weights, the tasks present in a
/// step and their scaled losses, the reported weights, the weighted sum, option and state
/// look-ups, and what <see cref="TaskWeighting.Create"/> records and refuses, with their messages.
/// </summary>
public sealed class TaskWeightingBaseTests
{
    /// <summary>Opens the protected helpers; <c>Backward</c> is not used.</summary>
    private sealed class Probe : TaskWeighting
    {
        public Probe() : base("probe") { }

        public Probe(IReadOnlyList<double> fixedWeights) : base("probe", fixedWeights) { }

        public override double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context) => throw new NotSupportedException();

        public (int[] Tasks, Tensor[] Losses) PresentOf(IReadOnlyList<Tensor?> losses) => Present(losses);

        public void Report(int taskCount, int[] tasks, IReadOnlyList<double> weights) => ReportWeights(taskCount, tasks, weights);

        public static Tensor Sum(IReadOnlyList<Tensor> losses, IReadOnlyList<double> weights) => WeightedSum(losses, weights);

        public static T Check<T>(string method, string option, T value) where T : notnull => CheckOption(method, option, value, "value");
    }

    private static double[] Values(Tensor[] losses) => [.. losses.Select(l => l.item<double>())];

    [Fact]
    public void Fixed_weights_must_name_at_least_one_task()
    {
        var error = Assert.Throws<ArgumentException>(() => new Probe([]));
        Assert.Equal("a weighting needs at least one task (Parameter 'fixedWeights')", error.Message);
        Assert.Throws<ArgumentNullException>(() => new Probe(null!));
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_task_weight_must_be_finite_and_not_negative(double weight)
    {
        var error = Assert.Throws<ArgumentException>(() => new Probe([1, weight]));
        Assert.Equal($"a task weight must be finite and not negative, not {weight} (Parameter 'fixedWeights')", error.Message);
        Assert.False(TaskWeighting.IsValidWeight(weight));
    }

    [Fact]
    public void Zero_and_positive_weights_are_kept_as_given()
    {
        using var method = new Probe([0, 2.5]);
        Assert.Equal([0, 2.5], method.FixedWeights);
        Assert.Equal("probe", method.Name);
        Assert.Empty(method.Settings);
        Assert.Empty(method.Weights);
        Assert.True(TaskWeighting.IsValidWeight(0));
    }

    [Fact]
    public void Present_skips_absent_tasks_and_scales_the_others_by_their_fixed_weight()
    {
        using var scope = NewDisposeScope();
        using var method = new Probe([2, 1, 0.5]);
        var (tasks, losses) = method.PresentOf([tensor(3.0), null, tensor(4.0)]);
        Assert.Equal([0, 2], tasks);
        Assert.Equal([6.0, 2.0], Values(losses));
        var (all, plain) = method.PresentOf([tensor(3.0), tensor(5.0), tensor(4.0)]);
        Assert.Equal([0, 1, 2], all);
        Assert.Equal([6.0, 5.0, 2.0], Values(plain));
    }

    [Fact]
    public void Present_checks_one_loss_per_task()
    {
        using var scope = NewDisposeScope();
        using var method = new Probe([1, 1, 1]);
        var error = Assert.Throws<ArgumentException>(() => method.PresentOf([tensor(1.0), tensor(2.0)]));
        Assert.Equal("probe: 2 losses for 3 tasks (Parameter 'losses')", error.Message);
        Assert.Throws<ArgumentNullException>(() => method.PresentOf(null!));
    }

    [Fact]
    public void Without_fixed_weights_any_number_of_tasks_counts_one_each()
    {
        using var scope = NewDisposeScope();
        using var method = new Probe();
        Assert.Empty(method.FixedWeights);
        var (tasks, losses) = method.PresentOf([tensor(3.0), null, tensor(4.0), tensor(7.0)]);
        Assert.Equal([0, 2, 3], tasks);
        Assert.Equal([3.0, 4.0, 7.0], Values(losses));
        method.Report(4, tasks, [0.5, 2, 3]);
        Expect.Close([0.5, double.NaN, 2, 3], method.Weights, 0);
    }

    [Fact]
    public void Reported_weights_are_the_factors_on_the_unscaled_losses_with_NaN_for_absent_tasks()
    {
        using var method = new Probe([2, 1, 3]);
        method.Report(3, [0, 2], [0.5, 4]);
        Expect.Close([1, double.NaN, 12], method.Weights, 0);
        method.Report(3, [1], [0.25]);
        Expect.Close([double.NaN, 0.25, double.NaN], method.Weights, 0);
    }

    [Fact]
    public void WeightedSum_adds_every_weighted_loss()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0.5 * 1 + 2 * 2 + 3 * 3, Probe.Sum([tensor(1.0), tensor(2.0), tensor(3.0)], [0.5, 2, 3]).item<double>());
        Assert.Equal(1.5, Probe.Sum([tensor(3.0)], [0.5]).item<double>());
    }

    [Fact]
    public void Options_are_checked_against_the_catalog_by_name()
    {
        Assert.Equal(0.5, Probe.Check("cagrad", "c", 0.5));
        var missing = Assert.Throws<InvalidOperationException>(() => Probe.Check("cagrad", "radius", 0.5));
        Assert.Equal("'cagrad' has no option 'radius' in the catalog", missing.Message);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => Probe.Check("cagrad", "c", 1.5));
        Assert.StartsWith("'c' of 'cagrad' ", range.Message);
        Assert.Equal("value", range.ParamName);
    }

    [Fact]
    public void State_lookup_names_the_missing_key()
    {
        var state = new Dictionary<string, double> { ["alpha.0"] = 0.5 };
        Assert.Equal(0.5, TaskWeighting.Get(state, "alpha.0"));
        var error = Assert.Throws<KeyNotFoundException>(() => TaskWeighting.Get(state, "alpha.1"));
        Assert.Equal("weighting state has no 'alpha.1'", error.Message);
    }

    [Fact]
    public void Create_names_the_known_methods_for_an_unknown_one()
    {
        var error = Assert.Throws<ArgumentException>(() => TaskWeighting.Create("nope", [1]));
        Assert.Equal($"unknown task weighting 'nope'; known: {string.Join(", ", TaskWeighting.Names)} (Parameter 'name')", error.Message);
        Assert.Throws<ArgumentNullException>(() => TaskWeighting.Create(null!, [1]));
    }
}
