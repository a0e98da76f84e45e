using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// PCGrad's random order, fixed by a scripted <see cref="Random"/>: the Fisher–Yates shuffle asks
/// for Next(n + 1) for n = count − 1 down to 1, and each task's projections follow the order it
/// draws, worked out by hand on three gradients where the order changes the result.
/// </summary>
public sealed class PCGradMutationTests
{
    /// <summary>Returns the given values from <see cref="Next(int)"/> and records the bounds asked for.</summary>
    private sealed class ScriptedNext(params int[] values) : Random
    {
        private int _next;

        public List<int> Bounds { get; } = [];

        public override int Next(int maxValue)
        {
            Bounds.Add(maxValue);
            return values[_next++];
        }
    }

    [Fact]
    public void The_shuffle_swaps_each_last_place_with_a_drawn_one_from_the_end_down()
    {
        var random = new ScriptedNext(1, 0, 1);
        // n = 3: swap places 3 and 1 → [0, 3, 2, 1]; n = 2: swap 2 and 0 → [2, 3, 0, 1]; n = 1: place 1 with itself
        Assert.Equal([2, 3, 0, 1], PCGrad.Shuffled([0, 1, 2, 3], random));
        Assert.Equal([4, 3, 2], random.Bounds);
        Assert.Equal([0, 2, 3], PCGrad.Others(4, 1));
    }

    [Fact]
    public void Each_task_projects_in_the_order_it_draws()
    {
        // g₀ = (1, 0), g₁ = (−1, 0.2), g₂ = (−0.3, −1): g₀·g₁ = −1, g₀·g₂ = −0.3, g₁·g₂ = 0.1,
        // ‖g₁‖² = 1.04, ‖g₂‖² = 1.09. Each task shuffles two others: Next(2) = 1 keeps them, 0 swaps.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [-1, 0.2], [-0.3, -1]]);
        using var method = TaskWeighting.Create("pcgrad", [1, 1, 1], new Dictionary<string, object>());
        var random = new ScriptedNext(1, 0, 1);
        var context = new WeightingContext
        {
            TaskNames = ["a", "b", "c"], SharedParameters = [tasks.Theta], TaskParameters = [tasks.Heads], Random = random,
        };
        method.Backward(tasks.Losses(), context);
        Assert.Equal([2, 2, 2], random.Bounds);
        // task 0, order (1, 2): g₀' = g₀ + g₁/1.04; then g₀'·g₂ = −0.3 + 0.1/1.04 < 0: + (0.3 − 0.1/1.04)/1.09·g₂
        double[] c0 = [1, 1 / 1.04, (0.3 - 0.1 / 1.04) / 1.09];
        // task 1, order (2, 0): g₁·g₂ = 0.1 ≥ 0 leaves it; g₁·g₀ = −1: g₁' = g₁ + g₀
        double[] c1 = [1, 1, 0];
        // task 2, order (0, 1): g₂·g₀ = −0.3: g₂' = g₂ + 0.3g₀ = (0, −1); g₂'·g₁ = −0.2: + 0.2/1.04·g₁
        double[] c2 = [0.3, 0.2 / 1.04, 1];
        double[] w = [c0[0] + c1[0] + c2[0], c0[1] + c1[1] + c2[1], c0[2] + c1[2] + c2[2]];
        Expect.Close(w, method.Weights, 1e-12);
        Expect.Close(tasks.Combination(w), tasks.ThetaGrad, 1e-12);
        Expect.Close([1, 1, 1], tasks.HeadGrad, 1e-12);
    }

    [Fact]
    public void A_gradient_whose_squared_norm_underflows_to_zero_is_not_projected_onto()
    {
        // g₁ = (−1e-170, 0): g₀·g₁ = −1e-170 < 0, but ‖g₁‖² = 1e-340 is 0 in doubles, so g₀ is
        // left alone (dividing by it would give an infinite coefficient). g₁ is projected onto
        // g₀: c₀ = 1e-170, which 1 + 1e-170 rounds away.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [-1e-170, 0]]);
        using var method = TaskWeighting.Create("pcgrad", [1, 1], new Dictionary<string, object>());
        method.Backward(tasks.Losses(), tasks.Context());
        Expect.Close([1, 1], method.Weights, 0);
        Expect.Close([1, 0], tasks.ThetaGrad, 0);
    }
}
