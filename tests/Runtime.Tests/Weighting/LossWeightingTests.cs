using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

public sealed class LossWeightingTests
{
    private static readonly double[][] A = [[1, 2], [-3, 0.5]];

    private static readonly Dictionary<string, object> NoOptions = [];

    [Fact]
    public void Fixed_adds_the_gradient_of_the_weighted_sum()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(A, theta: [1, 1], heads: [0.5, 2]);
        using var method = TaskWeighting.Create("fixed", [2, 0.5], NoOptions);
        var value = method.Backward(tasks.Losses(), tasks.Context());
        Expect.Close([2 * 1 - 0.5 * 3, 2 * 2 + 0.5 * 0.5], tasks.ThetaGrad);
        Expect.Close([2, 0.5], tasks.HeadGrad);
        Expect.Close([2, 0.5], method.Weights);
        Expect.Close(2 * (3 + 0.5) + 0.5 * (-2.5 + 2), value);
    }

    [Fact]
    public void Fixed_accumulates_over_calls_and_ignores_absent_tasks()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(A);
        using var method = TaskWeighting.Create("fixed", [2, 0.5], NoOptions);
        var context = tasks.Context();
        method.Backward(tasks.Losses(), context);
        method.Backward(tasks.Losses(), context);
        Expect.Close([2 * (2 - 1.5), 2 * (4 + 0.25)], tasks.ThetaGrad);

        tasks.ZeroGrad();
        method.Backward(tasks.Losses(absent: 1), context);
        Expect.Close([2, 4], tasks.ThetaGrad);
        Expect.Close([2, 0], tasks.HeadGrad);
        Expect.Close([2, double.NaN], method.Weights);
    }

    [Fact]
    public void No_loss_at_all_changes_nothing()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(A);
        foreach (var name in TaskWeighting.Names)
        {
            using var method = TaskWeighting.Create(name, [1, 1], NoOptions);
            var context = tasks.Context();
            method.Attach(context);
            Assert.Equal(0, method.Backward([null, null], context));
            Assert.Null(tasks.Theta.grad);
            Assert.Null(tasks.Heads.grad);
            // NaN for each of the two tasks, not an empty list (which has no weight to be wrong)
            Assert.Equal(2, method.Weights.Count);
            Assert.All(method.Weights, w => Assert.True(double.IsNaN(w)));
        }
    }

    [Fact]
    public void Uncertainty_follows_Kendall_eq_7_in_log_variance_form()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(A, theta: [1, 1], heads: [1, 4]);
        using var method = (UncertaintyWeighting)TaskWeighting.Create("uncertainty", [1, 2], NoOptions);
        var context = tasks.Context();
        method.Attach(context);
        using (no_grad()) method.LogVariances.copy_(tensor(new[] { 0.5, -1.0 }).to(method.LogVariances.dtype));
        var s = new[] { 0.5, -1.0 };
        var losses = new[] { 3.0 + 1, 2 * (-2.5 + 4) };  // fixed weight 2 scales task 1
        var value = method.Backward(tasks.Losses(), context);

        var w = new[] { 0.5 * Math.Exp(-s[0]), 0.5 * Math.Exp(-s[1]) };
        Expect.Close([w[0], 2 * w[1]], method.Weights, 1e-6);
        Expect.Close(tasks.Combination([w[0], 2 * w[1]]), tasks.ThetaGrad, 1e-6);
        Expect.Close([w[0], 2 * w[1]], tasks.HeadGrad, 1e-6);
        // ∂/∂sᵢ (½e^{−sᵢ}Lᵢ + ½sᵢ) = ½ − ½e^{−sᵢ}Lᵢ
        var sGrad = method.LogVariances.grad!.to(float64).data<double>();
        Expect.Close([0.5 - w[0] * losses[0], 0.5 - w[1] * losses[1]], sGrad, 1e-6);
        Expect.Close(w[0] * losses[0] + 0.5 * s[0] + w[1] * losses[1] + 0.5 * s[1], value, 1e-6);
        Assert.Same(method.LogVariances, Assert.Single(method.parameters()));
    }

    [Fact]
    public void Dwa_weights_follow_the_loss_ratios_of_the_last_two_epochs()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(A);
        using var method = (DynamicWeightAverage)TaskWeighting.Create("dwa", [1, 1], new Dictionary<string, object> { ["temperature"] = 2 });
        var context = tasks.Context();
        Expect.Close([1, 1], method.EpochWeights);
        method.EndEpoch([4, 2], context);
        Expect.Close([1, 1], method.EpochWeights);  // one epoch: no ratio yet
        method.EndEpoch([2, 1.5], context);          // r = (0.5, 0.75)
        var e = new[] { Math.Exp(0.5 / 2), Math.Exp(0.75 / 2) };
        var expected = new[] { 2 * e[0] / (e[0] + e[1]), 2 * e[1] / (e[0] + e[1]) };
        Expect.Close(expected, method.EpochWeights);
        method.Backward(tasks.Losses(), context);
        Expect.Close(expected, method.Weights);
        Expect.Close(tasks.Combination(expected), tasks.ThetaGrad);

        method.EndEpoch([1, 1.5], context);          // r = (0.5, 1)
        e = [Math.Exp(0.25), Math.Exp(0.5)];
        Expect.Close([2 * e[0] / (e[0] + e[1]), 2 * e[1] / (e[0] + e[1])], method.EpochWeights);

        using var resumed = (DynamicWeightAverage)TaskWeighting.Create("dwa", [1, 1], new Dictionary<string, object> { ["temperature"] = 2 });
        resumed.load_state_dict(method.state_dict());
        Expect.Close(method.EpochWeights, resumed.EpochWeights, 0);
        method.EndEpoch([0.5, 1], context);
        resumed.EndEpoch([0.5, 1], context);
        Expect.Close(method.EpochWeights, resumed.EpochWeights, 0);
    }

    [Fact]
    public void Rlw_draws_softmax_of_normals_each_step_from_the_context_random()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1], [1, 1]]);
        using var method = TaskWeighting.Create("rlw", [1, 1, 1], NoOptions);
        var context = tasks.Context(seed: 3);
        method.Backward(tasks.Losses(), context);
        var first = method.Weights.ToArray();
        Expect.Close(1, first.Sum());
        Assert.All(first, w => Assert.InRange(w, 1e-12, 1));
        Expect.Close(tasks.Combination(first), tasks.ThetaGrad);
        Expect.Close(first, tasks.HeadGrad);

        method.Backward(tasks.Losses(), context);
        Assert.NotEqual(first, method.Weights);

        using var again = TaskWeighting.Create("rlw", [1, 1, 1], NoOptions);
        again.Backward(tasks.Losses(), tasks.Context(seed: 3));
        Assert.Equal(first, again.Weights);
    }

    [Fact]
    public void Create_rejects_unknown_names_and_options()
    {
        Assert.Contains("unknown task weighting", Assert.Throws<ArgumentException>(() => TaskWeighting.Create("nope", [1], NoOptions)).Message);
        Assert.Contains("'tau'", Assert.Throws<ArgumentException>(() => TaskWeighting.Create("dwa", [1], new Dictionary<string, object> { ["tau"] = 1 })).Message);
        Assert.Throws<ArgumentException>(() => TaskWeighting.Create("fixed", [1, -1], NoOptions));
        foreach (var name in TaskWeighting.Names)
        {
            using var method = TaskWeighting.Create(name, [1, 1], NoOptions);
            Assert.Equal(name, method.Name);
        }
    }
}
