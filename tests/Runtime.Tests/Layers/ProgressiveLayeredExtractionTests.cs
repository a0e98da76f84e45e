using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Runtime.Tests.GradCheck;
using static Mtl.Torch.torch;
using static Mtl.Runtime.Tests.Layers.FixedLinear;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>
/// <see cref="ExtractionLevel"/> (CGC) and <see cref="ProgressiveLayeredExtraction"/> (PLE): each
/// task's gate over its own experts then the shared ones, the shared gate over every expert,
/// against hand computation; gradients against central differences; part names; errors.
/// </summary>
public sealed class ProgressiveLayeredExtractionTests
{
    private const double Tolerance = 1e-12;

    private static void AssertValues(double[] expected, Tensor actual, long[] shape, string what)
    {
        Assert.Equal(shape, actual.shape);
        var values = actual.data<double>();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) <= Tolerance, $"{what}[{i}]: expected {expected[i]:R}, got {values[i]:R}");
        }
    }

    /// <summary>
    /// Shared expert s(x) = x; a's expert [1, −1], b's expert [2·x₁, 0]. Gate a: constant logits
    /// [0, ln 3] over [a's, s] (¼, ¾); gate b: logits [x₁, 0] over [b's, s]; the shared gate:
    /// constant logits over [s, a's, b's] (⅓ each), or none.
    /// </summary>
    private static ExtractionLevel Level(bool sharedGate) => new(
        [nn.Sequential(Fixed(new double[,] { { 1, 0 }, { 0, 1 } }, [0, 0]))],
        [
            ("a", [nn.Sequential(Fixed(new double[,] { { 0, 0 }, { 0, 0 } }, [1, -1]))], Fixed(new double[,] { { 0, 0 }, { 0, 0 } }, [0, Math.Log(3)])),
            ("b", [nn.Sequential(Fixed(new double[,] { { 2, 0 }, { 0, 0 } }, [0, 0]))], Fixed(new double[,] { { 1, 0 }, { 0, 0 } }, [0, 0])),
        ],
        sharedGate ? Fixed(new double[,] { { 0, 0 }, { 0, 0 }, { 0, 0 } }, [0, 0, 0]) : null);

    [Fact]
    public void A_cgc_level_mixes_each_tasks_own_experts_then_the_shared_ones()
    {
        using var scope = NewDisposeScope();
        using var cgc = new ProgressiveLayeredExtraction([Level(sharedGate: false)]);
        var x = tensor(new double[] { 1, 2 }, [1, 2]);
        var outputs = cgc.forward(x);

        // a = ¼·[1, −1] + ¾·[1, 2] = [1, 1.25]; b = σ·[2, 0] + (1 − σ)·[1, 2] with σ = e / (e + 1).
        AssertValues([1, 1.25], outputs["a"], [1, 2], "a");
        var sigma = Math.E / (Math.E + 1);
        AssertValues([1 + sigma, 2 - (2 * sigma)], outputs["b"], [1, 2], "b");
    }

    [Fact]
    public void A_level_that_feeds_another_gives_the_shared_gates_mix_of_every_expert()
    {
        using var scope = NewDisposeScope();
        using var level = Level(sharedGate: true);
        var x = tensor(new double[] { 1, 2 }, [1, 2]);
        var (tasks, shared, weights) = level.Forward(x, new Dictionary<string, Tensor> { ["a"] = x, ["b"] = x });

        // (s + a's + b's) / 3 = ([1, 2] + [1, −1] + [2, 0]) / 3.
        AssertValues([4.0 / 3, 1.0 / 3], shared!, [1, 2], "shared");
        AssertValues([0.25, 0.75], weights["a"], [1, 2], "gate a");
        Assert.Equal(["a", "b"], tasks.Keys);
    }

    [Fact]
    public void The_second_level_reads_each_tasks_output_and_the_shared_mix()
    {
        using var scope = NewDisposeScope();

        // Level 2: shared expert s(h) = h, a's expert a(h) = h, b's none; gate a [0, 0] (½, ½), gate b [0] (1).
        var second = new ExtractionLevel(
            [nn.Sequential(Fixed(new double[,] { { 1, 0 }, { 0, 1 } }, [0, 0]))],
            [
                ("a", [nn.Sequential(Fixed(new double[,] { { 1, 0 }, { 0, 1 } }, [0, 0]))], Fixed(new double[,] { { 0, 0 }, { 0, 0 } }, [0, 0])),
                ("b", [], Fixed(new double[,] { { 0, 0 } }, [0])),
            ],
            null);
        using var ple = new ProgressiveLayeredExtraction([Level(sharedGate: true), second]);
        var outputs = ple.forward(tensor(new double[] { 1, 2 }, [1, 2]));

        // a = ½·(level-1 a = [1, 1.25]) + ½·(shared mix [4/3, 1/3]); b = the shared mix.
        AssertValues([(1 + (4.0 / 3)) / 2, (1.25 + (1.0 / 3)) / 2], outputs["a"], [1, 2], "a");
        AssertValues([4.0 / 3, 1.0 / 3], outputs["b"], [1, 2], "b");
    }

    [Fact]
    public void Gradients_match_finite_differences_through_two_levels()
    {
        using var scope = NewDisposeScope();
        manual_seed(20261130);
        var r = new Random(20261130);
        using var ple = new ProgressiveLayeredExtraction(2, 2, 1, ["a", "b"],
            level => nn.Sequential(nn.Linear(3, 3), nn.Tanh()), level => nn.Linear(3, 3), level => nn.Linear(3, 4));
        ple.to(ScalarType.Float64);
        Function("ple", xs =>
        {
            var outputs = ple.forward(xs[0]);
            return cat([outputs["a"], outputs["b"] * 3.0], 1);
        }, [("x", Normal(r, 4, 3))], ple);
    }

    [Fact]
    public void Parts_are_named_by_level_shared_specific_task_gates_and_shared_gate()
    {
        using var ple = new ProgressiveLayeredExtraction(2, 1, 1, ["a", "b"],
            level => nn.Sequential(nn.Linear(2, 2)), level => nn.Linear(2, 2), level => nn.Linear(2, 3));
        var level0 = new[]
        {
            "shared.0.0", "specific.a.0.0", "specific.b.0.0", "gates.a", "gates.b", "shared_gate",
        };
        var level1 = new[] { "shared.0.0", "specific.a.0.0", "specific.b.0.0", "gates.a", "gates.b" };
        var expected = level0.Select(n => "levels.0." + n).Concat(level1.Select(n => "levels.1." + n))
            .SelectMany(n => new[] { n + ".weight", n + ".bias" });
        Assert.Equal(expected, ple.state_dict().Keys);
        Assert.Null(ple.Levels[1].SharedGate);
        Assert.NotNull(ple.Levels[0].SharedGate);
    }

    [Fact]
    public void Gate_means_are_the_last_levels_over_the_training_examples()
    {
        using var scope = NewDisposeScope();
        using var cgc = new ProgressiveLayeredExtraction([Level(sharedGate: false)]);
        cgc.train();
        cgc.forward(tensor(new double[] { 0, 5, 0, 7 }, [2, 2]));
        var means = cgc.TakeGateMeans();
        Assert.Equal([0.25, 0.75], means["a"].Select(v => Math.Round(v, 12)));
        Assert.Equal([0.5, 0.5], means["b"].Select(v => Math.Round(v, 12)));
        Assert.Empty(cgc.TakeGateMeans());
    }

    [Fact]
    public void Construction_rejects_gates_of_the_wrong_size_and_shared_gates_in_the_wrong_levels()
    {
        var wrongGate = Assert.Throws<ArgumentException>(() => new ExtractionLevel(
            [nn.Sequential(nn.Linear(2, 2))], [("a", [nn.Sequential(nn.Linear(2, 2))], nn.Linear(2, 3))], null));
        Assert.Contains("the gate of task 'a' has 3 outputs; its experts and the shared ones are 2", wrongGate.Message);
        var wrongShared = Assert.Throws<ArgumentException>(() => new ExtractionLevel(
            [nn.Sequential(nn.Linear(2, 2))], [("a", [nn.Sequential(nn.Linear(2, 2))], nn.Linear(2, 2))], nn.Linear(2, 3)));
        Assert.Contains("the shared gate has 3 outputs; the level has 2 experts", wrongShared.Message);
        var last = Assert.Throws<ArgumentException>(() => new ProgressiveLayeredExtraction(
            [new ExtractionLevel([nn.Sequential(nn.Linear(2, 2))], [("a", [], nn.Linear(2, 1))], nn.Linear(2, 1))]));
        Assert.Contains("the last level has no next level", last.Message);
        var missing = Assert.Throws<ArgumentException>(() => new ProgressiveLayeredExtraction(
            [new ExtractionLevel([nn.Sequential(nn.Linear(2, 2))], [("a", [], nn.Linear(2, 1))], null),
             new ExtractionLevel([nn.Sequential(nn.Linear(2, 2))], [("a", [], nn.Linear(2, 1))], null)]));
        Assert.Contains("level 0 feeds level 1, so it needs a shared gate", missing.Message);
    }
}
