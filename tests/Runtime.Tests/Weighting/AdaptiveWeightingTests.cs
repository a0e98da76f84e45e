using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>The methods that learn their weights as training goes: GradNorm and FAMO.</summary>
public sealed class AdaptiveWeightingTests
{
    private static readonly Dictionary<string, object> NoOptions = [];

    [Fact]
    public void GradNorm_first_step_by_hand()
    {
        // W = θ; L = (10θ₀, θ₁) at θ = (1, 1): G = (10w₁, w₂) = (10, 1), Ḡ = 5.5, r = (1, 1)
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[10, 0], [0, 1]], theta: [1, 1]);
        using var method = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], NoOptions);
        var context = tasks.Context();
        method.Backward(tasks.Losses(), context);
        Expect.Close([1, 1], method.Weights);
        Expect.Close([10, 1], tasks.ThetaGrad);
        Expect.Close([1, 1], tasks.HeadGrad);
        Expect.Close([1, 1], method.TaskWeights);  // the update waits for the optimizer step

        // ∂L_grad/∂w = (sign(10 − 5.5)·10, sign(1 − 5.5)·1); Adam's first step moves each by lr·sign
        context.Step++;
        method.Backward(tasks.Losses(), context);
        double[] stepped = [1 - 0.025 * 10 / (10 + 1e-8), 1 + 0.025 * 1 / (1 + 1e-8)];
        var renormalise = 2 / stepped.Sum();
        Expect.Close([stepped[0] * renormalise, stepped[1] * renormalise], method.Weights, 1e-14);
        Expect.Close(method.Weights, method.TaskWeights, 0);
    }

    [Fact]
    public void GradNorm_steps_its_weights_once_per_optimizer_step_over_micro_batches()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[10, 0], [0, 1]], theta: [1, 1]);
        using var once = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], NoOptions);
        using var twice = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], NoOptions);
        var a = tasks.Context();
        var b = tasks.Context();
        for (var step = 0; step < 3; step++)
        {
            once.Backward(tasks.Losses(), a);
            twice.Backward(tasks.Losses(), b);
            twice.Backward(tasks.Losses(), b);
            a.Step++;
            b.Step++;
        }
        once.Backward(tasks.Losses(), a);
        twice.Backward(tasks.Losses(), b);
        // Adam is invariant to a constant factor on its gradient (up to eps): the same weights
        Expect.Close(once.TaskWeights, twice.TaskWeights, 1e-8);
        Assert.True(once.TaskWeights[0] < 0.95);
    }

    [Fact]
    public void GradNorm_balances_gradient_norms_when_one_task_is_ten_times_larger()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[10, 0], [0, 1]], theta: [1, 1]);
        using var method = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], NoOptions);
        var context = tasks.Context();
        for (var i = 0; i < 400; i++)
        {
            tasks.ZeroGrad();
            method.Backward(tasks.Losses(), context);
            context.Step++;
        }
        method.Backward(tasks.Losses(), context);
        // equal norms 10w₁ = w₂ with w₁ + w₂ = 2: w = (2/11, 20/11)
        Expect.Close([2.0 / 11, 20.0 / 11], method.TaskWeights, 0.05);
        var w = method.TaskWeights;
        Expect.Close(1, 10 * w[0] / w[1], 0.05);
        Expect.Close(2, w.Sum(), 1e-12);
    }

    [Fact]
    public void GradNorm_gives_more_gradient_to_the_task_that_trains_slower()
    {
        // Equal gradient norms, but task 0's loss has fallen to half its start while task 1's has not:
        // r = (2/3, 4/3), so task 1's target norm is larger and its weight grows.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]], theta: [2, 2]);
        using var method = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], new Dictionary<string, object> { ["alpha"] = 1 });
        var context = tasks.Context();
        method.Backward(tasks.Losses(), context);
        using (no_grad()) tasks.Theta.copy_(tensor(new double[] { 1, 2 }));
        for (var i = 0; i < 200; i++)
        {
            context.Step++;
            method.Backward(tasks.Losses(), context);
        }
        var w = method.TaskWeights;
        Assert.True(w[1] > w[0]);
        // equilibrium: w = Ḡ·r with Ḡ = (w₀ + w₁)/2 = 1: w ≈ (2/3, 4/3)
        Expect.Close([2.0 / 3, 4.0 / 3], w, 0.05);
    }

    [Fact]
    public void GradNorm_needs_the_last_shared_layer()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);
        using var method = TaskWeighting.Create("gradnorm", [1, 1], NoOptions);
        var context = new WeightingContext { TaskNames = ["a", "b"], SharedParameters = [tasks.Theta], TaskParameters = [tasks.Heads], Random = new Random(1) };
        Assert.Contains("LastSharedLayer", Assert.Throws<InvalidOperationException>(() => method.Backward(tasks.Losses(), context)).Message);
    }

    [Fact]
    public void Famo_trains_on_weighted_log_losses()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 2], [-3, 0.5]], theta: [1, 1], heads: [1, 4]);  // L = (4, 1.5)
        using var method = TaskWeighting.Create("famo", [1, 1], NoOptions);
        var value = method.Backward(tasks.Losses(), tasks.Context());
        // z = (½, ½), c = Σ zᵢ/Lᵢ; the factor on ∇Lᵢ is (zᵢ/c)/Lᵢ
        double[] l = [4 + 1e-8, 1.5 + 1e-8];
        var c = 0.5 / l[0] + 0.5 / l[1];
        double[] w = [0.5 / c / l[0], 0.5 / c / l[1]];
        Expect.Close(w, method.Weights, 1e-12);
        Expect.Close(1, method.Weights.Sum(), 1e-12);
        Expect.Close(tasks.Combination(w), tasks.ThetaGrad, 1e-12);
        Expect.Close(w, tasks.HeadGrad, 1e-12);
        Expect.Close(0.5 / c * (Math.Log(l[0]) + Math.Log(l[1])), value, 1e-12);
    }

    [Fact]
    public void Famo_logit_update_after_the_step_by_hand()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 2], [-3, 0.5]], theta: [1, 1], heads: [1, 4]);  // L = (4, 1.5)
        using var method = (FAMO)TaskWeighting.Create("famo", [1, 1], new Dictionary<string, object> { ["lr"] = 0.1, ["gamma"] = 0.01 });
        var context = tasks.Context();
        Assert.True(method.NeedsLossesAfterStep);
        method.Backward(tasks.Losses(), context);
        method.AfterStep([2.0, 1.2], context);  // task 0 fell by half, task 1 by a fifth
        double[] delta = [Math.Log(4 + 1e-8) - Math.Log(2 + 1e-8), Math.Log(1.5 + 1e-8) - Math.Log(1.2 + 1e-8)];
        var d0 = 0.5 * (delta[0] - (delta[0] + delta[1]) / 2);
        // Adam's first step from ξ = 0 (no decay yet): −lr·d/(|d| + 1e-8)
        Expect.Close([-0.1 * d0 / (Math.Abs(d0) + 1e-8), 0.1 * d0 / (Math.Abs(d0) + 1e-8)], method.Logits, 1e-12);

        // the task that improved less now weighs more
        tasks.ZeroGrad();
        method.Backward(tasks.Losses(), context);
        var z1 = 1 / (1 + Math.Exp(method.Logits[0] - method.Logits[1]));
        var c = (1 - z1) / (4 + 1e-8) + z1 / (1.5 + 1e-8);
        Expect.Close([(1 - z1) / c / (4 + 1e-8), z1 / c / (1.5 + 1e-8)], method.Weights, 1e-12);
        Assert.True(method.Weights[1] > 4 / 5.5 + 0.01);  // above its share at equal logits, (1/1.5)/(1/4 + 1/1.5)
    }

    [Fact]
    public void Famo_decreases_two_differently_scaled_losses_at_a_similar_rate()
    {
        // L₁ = (θ₀ − 1)² + 0.5, L₂ = 100·((θ₁ − 1)² + 0.5): with a plain sum, task 2 would dominate.
        using var scope = NewDisposeScope();
        using var theta = new Parameter(tensor(new double[] { 3, 3 }));
        using var method = TaskWeighting.Create("famo", [1, 1], NoOptions);
        var context = new WeightingContext { TaskNames = ["small", "large"], SharedParameters = [theta], TaskParameters = [], Random = new Random(1) };
        Tensor?[] Losses() => [(theta[0] - 1).square() + 0.5, 100 * ((theta[1] - 1).square() + 0.5)];
        double[] Values() { using var s = NewDisposeScope(); return Losses().Select(l => l!.item<double>()).ToArray(); }
        var start = Values();
        for (var step = 0; step < 30; step++)
        {
            using var s = NewDisposeScope();
            theta.zero_grad();
            method.Backward(Losses(), context);
            using (no_grad()) theta.sub_(theta.grad! * 0.05);
            method.AfterStep(Values().Select(v => (double?)v).ToArray(), context);
        }
        var end = Values();
        var fall = start.Zip(end, (a, b) => Math.Log(a / b)).ToArray();
        Assert.All(fall, f => Assert.True(f > 0.5, $"log decreases {string.Join(", ", fall)}"));
        Assert.InRange(fall[0] / fall[1], 0.5, 2);
    }
}
