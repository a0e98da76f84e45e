using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// The learned weights over several steps and the small helpers, against numbers worked out from
/// the papers' update rules. The multi-step values were computed once, outside this code, from
/// those rules written plainly (Kingma and Ba's Adam with bias-corrected moments and L2 decay
/// added to the gradient), and agree to the last digit or two with <c>torch.optim.Adam</c>
/// driving FAMO's official logit update and GradNorm's L_grad through PyTorch's autograd.
/// </summary>
public sealed class HandComputedWeightingTests
{
    private static readonly Dictionary<string, object> NoOptions = [];

    [Fact]
    public void SmallAdam_with_weight_decay_over_three_steps()
    {
        // g' = g + λθ; m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); θ ← θ − lr·m̂/(√v̂ + ε), lr 0.1, λ 0.5
        var adam = new SmallAdam(2, lr: 0.1, weightDecay: 0.5);
        double[] theta = [1, -2];
        adam.Step(theta, [0.2, 0.4]);
        Expect.Close([0.9000000014285714, -1.9000000016666667], theta, 1e-13);
        adam.Step(theta, [-0.1, 0.3]);
        Expect.Close([0.8067820392022829, -1.799871549648168], theta, 1e-13);
        adam.Step(theta, [0.05, -0.2]);
        Expect.Close([0.7124016365837064, -1.701592290384012], theta, 1e-13);
    }

    [Fact]
    public void SmallAdam_first_step_with_decay_moves_by_lr_along_the_sign_of_the_decayed_gradient()
    {
        // step 1: m̂ = g', v̂ = g'², so θ moves by lr·g'/(|g'| + ε); g' = 0.2 − 0.5·1 is negative
        var adam = new SmallAdam(1, lr: 0.1, weightDecay: 0.5);
        double[] theta = [-1];
        adam.Step(theta, [0.2]);
        Expect.Close(-1 + 0.1 * 0.3 / (0.3 + 1e-8), theta[0], 1e-14);
    }

    [Fact]
    public void Famo_with_weight_decay_over_three_steps()
    {
        // Fixed weights (2, ½); the unscaled losses are (4, 1.5) before every step. Algorithm 1:
        // δ = log L(before) − log L(after), ξ stepped by Adam(lr 0.1, decay γ 0.5) along zᵢ(δᵢ − Σⱼzⱼδⱼ).
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 2], [-3, 0.5]], theta: [1, 1], heads: [1, 4]);
        using var method = (FAMO)TaskWeighting.Create("famo", [2, 0.5], new Dictionary<string, object> { ["lr"] = 0.1, ["gamma"] = 0.5 });
        var context = tasks.Context();
        double[][] after = [[2.0, 1.2], [3.0, 1.0], [3.5, 1.4]];
        double[][] logits =
        [
            [-0.09999999148942813, 0.09999999148942812],
            [-0.1139749980081054, 0.11397499800810537],
            [-0.10655366178985164, 0.1065536617898516],
        ];
        for (var step = 0; step < 3; step++)
        {
            method.Backward(tasks.Losses(), context);
            method.AfterStep([after[step][0], after[step][1]], context);
            Expect.Close(logits[step], method.Logits, 1e-12, $"step {step}");
        }
    }

    [Fact]
    public void Famo_takes_the_mean_loss_over_micro_batches_and_no_step_for_a_task_without_a_loss_after()
    {
        // micro-batches with losses (4, 2, 1) and (2, 2, 1): L(before) = (3, 2, 1); after: (5, 1, none).
        // δ = (log 3/5, log 2, 0), z = ⅓ each, d = z(δ − Σzδ); Adam's first step: ξ = −lr·d/(|d| + ε)
        using var scope = NewDisposeScope();
        using var theta = new Parameter(tensor(new double[] { 1 }));
        using var method = (FAMO)TaskWeighting.Create("famo", [1, 1, 1], new Dictionary<string, object> { ["lr"] = 0.1 });
        var context = new WeightingContext { TaskNames = ["a", "b", "c"], SharedParameters = [theta], TaskParameters = [], Random = new Random(1) };
        method.Backward([4 * theta[0], 2 * theta[0], 1 * theta[0]], context);
        method.Backward([2 * theta[0], 2 * theta[0], 1 * theta[0]], context);
        Assert.Contains("2 losses for 3 tasks", Assert.Throws<ArgumentException>(() => method.AfterStep([1.0, 2.0], context)).Message);
        method.AfterStep([5.0, 1.0, null], context);
        double[] delta = [Math.Log(3 + 1e-8) - Math.Log(5 + 1e-8), Math.Log(2 + 1e-8) - Math.Log(1 + 1e-8), 0];
        var mean = delta.Average();
        var d = delta.Select(x => (x - mean) / 3).ToArray();
        Expect.Close(d.Select(x => -0.1 * x / (Math.Abs(x) + 1e-8)).ToArray(), method.Logits, 1e-12);
        Assert.True(method.Logits[0] > 0 && method.Logits[1] < 0 && method.Logits[2] > 0);
    }

    [Fact]
    public void Famo_divides_the_accumulation_scale_out_of_the_losses_before_the_step()
    {
        // The micro-batches of the test above as the trainer gives them with accumulate 2: each
        // loss halved, LossScale ½. L(before) must still be (3, 2, 1), as the losses after the step
        // are reported unscaled: with the halves, δ would shift by −log 2 for a and b but not for c
        // (no loss after), and the shift would not cancel in zᵢ(δᵢ − Σⱼzⱼδⱼ).
        using var scope = NewDisposeScope();
        using var theta = new Parameter(tensor(new double[] { 1 }));
        using var method = (FAMO)TaskWeighting.Create("famo", [1, 1, 1], new Dictionary<string, object> { ["lr"] = 0.1 });
        var context = new WeightingContext { TaskNames = ["a", "b", "c"], SharedParameters = [theta], TaskParameters = [], Random = new Random(1), LossScale = 0.5 };
        method.Backward([2 * theta[0], 1 * theta[0], 0.5 * theta[0]], context);
        method.Backward([1 * theta[0], 1 * theta[0], 0.5 * theta[0]], context);
        method.AfterStep([5.0, 1.0, null], context);
        double[] delta = [Math.Log(3 + 1e-8) - Math.Log(5 + 1e-8), Math.Log(2 + 1e-8) - Math.Log(1 + 1e-8), 0];
        var mean = delta.Average();
        var d = delta.Select(x => (x - mean) / 3).ToArray();
        Expect.Close(d.Select(x => -0.1 * x / (Math.Abs(x) + 1e-8)).ToArray(), method.Logits, 1e-12);
    }

    [Fact]
    public void Famo_and_GradNorm_reject_a_zero_loss()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);  // θ = 0, h = 0: both losses are 0
        foreach (var name in new[] { "famo", "gradnorm" })
        {
            using var method = TaskWeighting.Create(name, [1, 1], NoOptions);
            var message = Assert.Throws<InvalidOperationException>(() => method.Backward(tasks.Losses(), tasks.Context())).Message;
            Assert.Contains("positive", message);
            Assert.Contains("t0", message);
        }
    }

    [Fact]
    public void GradNorm_weights_over_six_steps()
    {
        // L = (10θ₀, θ₁) with W = θ: G = (10w₀, w₁), Ḡ their mean, L̃ = L/L(0), r = L̃/mean L̃,
        // target Ḡ·r^1.5, ∂L_grad/∂wᵢ = sign(Gᵢ − targetᵢ)·‖aᵢ‖; Adam(lr 0.3) once per step, then
        // renormalised to Σw = 2. Task 1's loss falls (θ₁: 1 → 0.3) while task 0's does not, so
        // from the third step task 0 is below its target and its weight turns back up.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[10, 0], [0, 1]], theta: [1, 1]);
        using var method = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], new Dictionary<string, object> { ["lr"] = 0.3 });
        var context = tasks.Context();
        double[] theta1 = [1, 0.6, 0.4, 0.3, 0.3, 0.3];
        double[][] used =
        [
            [1.0, 1.0],
            [0.7000000012450001, 1.2999999987550002],
            [0.4000000020850022, 1.5999999979149977],
            [0.321402216299417, 1.6785977837005828],
            [0.3528939289250979, 1.647106071074902],
            [0.44995382948863366, 1.5500461705113662],
        ];
        for (var step = 0; step < theta1.Length; step++)
        {
            using (no_grad()) tasks.Theta.copy_(tensor(new[] { 1, theta1[step] }));
            method.Backward(tasks.Losses(), context);
            Expect.Close(used[step], method.Weights, 1e-12, $"step {step}");
            context.Step++;
        }
    }

    [Fact]
    public void GradNorm_keeps_weights_above_the_floor_before_renormalising()
    {
        // first update with lr 2: w = (1 − 2·10/(10 + ε), 1 + 2·1/(1 + ε)) ≈ (−1, 3); the floor 1e-6
        // lifts w₀, then Σw = 2
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[10, 0], [0, 1]], theta: [1, 1]);
        using var method = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], new Dictionary<string, object> { ["lr"] = 2 });
        var context = tasks.Context();
        method.Backward(tasks.Losses(), context);
        context.Step++;
        method.Backward(tasks.Losses(), context);
        var w1 = 1 + 2 * 1 / (1 + 1e-8);
        var scale = 2 / (1e-6 + w1);
        Expect.Close([1e-6 * scale, w1 * scale], method.TaskWeights, 1e-12);
    }

    [Fact]
    public void GradNorm_takes_a_layer_parameter_that_a_task_does_not_use_as_a_zero_gradient()
    {
        // W = (θ, e) with L₀ = 3θ₀ + 4e and L₁ = 2θ₁: G = (5w₀, 2w₁) = (5, 2), Ḡ = 3.5, r = (1, 1);
        // ∂L_grad/∂w = (5, −2), so Adam's first step moves w by (−lr, +lr)
        using var scope = NewDisposeScope();
        using var theta = new Parameter(tensor(new double[] { 1, 1 }));
        using var extra = new Parameter(tensor(new double[] { 1 }));
        using var method = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], NoOptions);
        var context = new WeightingContext { TaskNames = ["a", "b"], SharedParameters = [theta, extra], TaskParameters = [], LastSharedLayer = [theta, extra], Random = new Random(1) };
        Tensor?[] Losses() => [3 * theta[0] + 4 * extra[0], 2 * theta[1]];
        method.Backward(Losses(), context);
        Expect.Close([3, 2], theta.grad!.data<double>());
        Expect.Close([4], extra.grad!.data<double>());
        context.Step++;
        method.Backward(Losses(), context);
        double[] stepped = [1 - 0.025 * 5 / (5 + 1e-8), 1 + 0.025 * 2 / (2 + 1e-8)];
        var scale = 2 / stepped.Sum();
        Expect.Close([stepped[0] * scale, stepped[1] * scale], method.TaskWeights, 1e-14);
    }

    [Fact]
    public void GradNorm_leaves_no_pending_update_behind_a_call_that_fails()
    {
        // step 0 sees only task 0; step 1 applies that update, then task 1's first loss is 0 and the
        // call throws: the applied update is not pending any more, so nothing is stepped twice.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]], theta: [1, 0]);
        using var method = (GradNorm)TaskWeighting.Create("gradnorm", [1, 1], NoOptions);
        var context = tasks.Context();
        method.Backward(tasks.Losses(absent: 1), context);
        Assert.Equal(0, method.state_dict()["pending_step"]);
        context.Step = 5;
        Assert.Throws<InvalidOperationException>(() => method.Backward(tasks.Losses(), context));
        Assert.Equal(-1, method.state_dict()["pending_step"]);
    }

    [Fact]
    public void Uncertainty_attach_moves_the_log_variances_once_and_frees_the_old_ones()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);  // float64 parameters
        using var method = (UncertaintyWeighting)TaskWeighting.Create("uncertainty", [1, 1], NoOptions);
        var before = method.LogVariances;
        Assert.Equal(ScalarType.Float32, before.dtype);

        method.Attach(new WeightingContext { TaskNames = ["a", "b"], SharedParameters = [], TaskParameters = [], Random = new Random(1) });
        Assert.Same(before, method.LogVariances);  // nothing to follow

        method.Attach(tasks.Context());
        var moved = method.LogVariances;
        Assert.Equal(ScalarType.Float64, moved.dtype);
        Assert.True(before.IsDisposed);
        Expect.Close([0, 0], moved.data<double>(), 0);
        Assert.Same(moved, Assert.Single(method.parameters()));

        method.Attach(tasks.Context());
        Assert.Same(moved, method.LogVariances);  // already there: the optimizer's parameter stays
        Assert.False(moved.IsDisposed);

        method.Dispose();
        Assert.True(moved.IsDisposed);
    }

    [Fact]
    public void Rlw_normal_draws_are_box_muller_of_the_uniforms()
    {
        // u₁ = 1 − 0.75, u₂ = 0.125: √(−2 ln ¼)·cos(π/4) = √(4 ln 2)·√½ = √(2 ln 2);
        // u₁ = ½, u₂ = ½: √(2 ln 2)·cos π
        var z = Math.Sqrt(2 * Math.Log(2));
        Expect.Close(1.1774100225154747, z, 1e-15);
        Expect.Close(z, RandomLossWeighting.StandardNormal(new ScriptedRandom(0.75, 0.125)), 1e-15);
        Expect.Close(-z, RandomLossWeighting.StandardNormal(new ScriptedRandom(0.5, 0.5)), 1e-15);
        // u₁ = 1: √0 = 0, whatever u₂
        Expect.Close(0, RandomLossWeighting.StandardNormal(new ScriptedRandom(0, 0.3)), 0);
    }

    [Fact]
    public void Rlw_weights_are_the_softmax_of_the_draws_with_absent_tasks_still_drawn()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1], [1, 1]]);
        using var method = TaskWeighting.Create("rlw", [1, 1, 1], NoOptions);
        var context = new WeightingContext
        {
            TaskNames = ["a", "b", "c"], SharedParameters = [tasks.Theta], TaskParameters = [tasks.Heads],
            Random = new ScriptedRandom(0.75, 0.125, 0.5, 0.5, 0, 0.9),
        };
        method.Backward(tasks.Losses(absent: 1), context);
        // draws (√(2 ln 2), −√(2 ln 2), 0); softmax over all three
        var z = Math.Sqrt(2 * Math.Log(2));
        var sum = Math.Exp(z) + Math.Exp(-z) + 1;
        Expect.Close([Math.Exp(z) / sum, double.NaN, 1 / sum], method.Weights, 1e-14);
        Expect.Close([Math.Exp(z) / sum + 1 / sum, 1 / sum], tasks.ThetaGrad, 1e-14);
    }

    [Fact]
    public void Dwa_falls_back_to_ratio_one_for_a_loss_that_is_not_positive_and_finite()
    {
        using var scope = NewDisposeScope();
        using var method = (DynamicWeightAverage)TaskWeighting.Create("dwa", [1, 1, 1, 1], new Dictionary<string, object> { ["temperature"] = 2 });
        using var tasks = new LinearTasks([[1], [1], [1], [1]]);
        var context = tasks.Context();
        Assert.Contains("3 mean losses for 4 tasks", Assert.Throws<ArgumentException>(() => method.EndEpoch([1, 1, 1], context)).Message);
        method.EndEpoch([1, 0, 2, double.PositiveInfinity], context);
        method.EndEpoch([0, 3, double.NaN, 2], context);
        // r = (1: latest is 0, 1: earlier is 0, 1: latest NaN, 1: earlier ∞) → equal weights
        Expect.Close([1, 1, 1, 1], method.EpochWeights, 1e-15);
        method.EndEpoch([0.5, 6, 4, 1], context);
        // r = (1: earlier is 0, 2, 1: earlier NaN, ½); w = K·softmax(r/T)
        double[] e = [Math.Exp(0.5), Math.Exp(1), Math.Exp(0.5), Math.Exp(0.25)];
        Expect.Close(e.Select(x => 4 * x / e.Sum()).ToArray(), method.EpochWeights, 1e-14);
    }

    [Fact]
    public void GradDrop_drops_both_signs_when_the_draw_equals_the_purity_and_counts_the_1e_7_in_the_purity()
    {
        // element 0: g = (1, −1), P = ½ exactly, U = ½: neither 𝟙[P > U] nor 𝟙[P < U], both dropped;
        // element 1: g = (1e-7, −0.5e-7), P = ½(1 + 0.5e-7/(1.5e-7 + 1e-7)) = 0.6 < U = 0.8: the negative stays;
        // element 2: g = (2, 1), P ≈ 1 > U = 0.3: both stay
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 1e-7, 2], [-1, -0.5e-7, 1]]);
        using var method = TaskWeighting.Create("graddrop", [1, 1], NoOptions);
        var context = new WeightingContext
        {
            TaskNames = ["a", "b"], SharedParameters = [tasks.Theta], TaskParameters = [tasks.Heads],
            Random = new ScriptedRandom(0.5, 0.8, 0.3),
        };
        method.Backward(tasks.Losses(), context);
        Expect.Close([0, -0.5e-7, 3], tasks.ThetaGrad, 1e-15);
        Expect.Close([1, 1], tasks.HeadGrad);
    }

    [Fact]
    public void Nash_mtl_with_orthogonal_gradients_solves_the_ridged_normalised_system_exactly()
    {
        // GᵀG = diag(1, 4), ‖GᵀG‖_F = √17, M = GᵀG/√17 + 1e-8·I is diagonal: αᵢ = 1/√Mᵢᵢ
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 2]]);
        using var method = TaskWeighting.Create("nash_mtl", [1, 1], NoOptions);
        var context = tasks.Context();
        method.Backward(tasks.Losses(), context);
        var f = Math.Sqrt(17);
        Expect.Close([1 / Math.Sqrt(1 / f + 1e-8), 1 / Math.Sqrt(4 / f + 1e-8)], method.Weights, 1e-14);
    }

    [Fact]
    public void Nash_mtl_solves_every_task_when_one_is_already_solved_at_the_start()
    {
        // g₀ ⟂ g₁, g₂ with GᵀG = [[1, 0, 0], [0, 1, ½], [0, ½, 1]], ‖GᵀG‖_F = √3.5. Task 0's equation is
        // met at the start αᵢ = 1/√Mᵢᵢ; tasks 1 and 2 are not: by symmetry α₁ = α₂ = a with
        // (M₁₁ + M₁₂)·a = 1/a
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0, 0], [0, 1, 0], [0, 0.5, Math.Sqrt(0.75)]]);
        using var method = TaskWeighting.Create("nash_mtl", [1, 1, 1], NoOptions);
        method.Backward(tasks.Losses(), tasks.Context());
        var f = Math.Sqrt(3.5);
        var a = 1 / Math.Sqrt(1.5 / f + 1e-8);
        Expect.Close([1 / Math.Sqrt(1 / f + 1e-8), a, a], method.Weights, 1e-12);
    }

    [Fact]
    public void Softmax_of_large_inputs()
    {
        // softmax(1000, 999) = (e, 1)/(e + 1): finite only when a large value is taken out first
        Expect.Close([Math.E / (Math.E + 1), 1 / (Math.E + 1)], SmallMath.Softmax([1000, 999]), 1e-15);
        Expect.Close([1 / (Math.E + 1), Math.E / (Math.E + 1)], SmallMath.Softmax([-1000, -999]), 1e-15);
        // a spread of 800: e^−800 underflows to 0, but e^800 would overflow; the maximum, not the minimum, comes out
        Expect.Close([Math.E / (Math.E + 1), 0, 1 / (Math.E + 1)], SmallMath.Softmax([800, 0, 799]), 1e-15);
    }

    [Fact]
    public void Solve_pivots_on_the_largest_entry()
    {
        // [[0, 1], [1, 0]]·x = (2, 3): x = (3, 2); needs a row swap
        Expect.Close([3, 2], SmallMath.Solve(new double[,] { { 0, 1 }, { 1, 0 } }, [2, 3]), 1e-15);
        // a tiny first pivot: with row 1 as pivot x = (1, 1) to rounding; without, x₀ is lost
        Expect.Close([1, 1], SmallMath.Solve(new double[,] { { 1e-20, 1 }, { 1, 1 } }, [1, 2]), 1e-15);
        Expect.Close([1, 1], SmallMath.Solve(new double[,] { { 1, 1 }, { 1e-20, 1 } }, [2, 1]), 1e-15);
        // three rows, the largest in the last: [[1, 2, 0], [0, 1, 1], [4, 0, 1]]·(1, 2, 3) = (5, 5, 7)
        Expect.Close([1, 2, 3], SmallMath.Solve(new double[,] { { 1, 2, 0 }, { 0, 1, 1 }, { 4, 0, 1 } }, [5, 5, 7]), 1e-14);
    }

    [Fact]
    public void Solve_rejects_a_matrix_singular_to_working_precision()
    {
        Assert.Contains("singular", Assert.Throws<ArithmeticException>(() => SmallMath.Solve(new double[,] { { 0, 0 }, { 0, 0 } }, [1, 1])).Message);
        Assert.Throws<ArithmeticException>(() => SmallMath.Solve(new double[,] { { 1, 2 }, { 2, 4 } }, [1, 1]));
        // the second pivot is ≈ 1e-12, below 1e-14·400 (relative to the largest entry)
        Assert.Throws<ArithmeticException>(() => SmallMath.Solve(new double[,] { { 100, 200 }, { 200, 400 + 1e-12 } }, [1, 1]));
        // the same matrix scaled down stays singular, and a well-conditioned tiny one solves
        Assert.Throws<ArithmeticException>(() => SmallMath.Solve(new double[,] { { 1e-20, 2e-20 }, { 2e-20, 4e-20 } }, [1, 1]));
        Expect.Close([1, 1], SmallMath.Solve(new double[,] { { 1e-20, 0 }, { 0, 2e-20 } }, [1e-20, 2e-20]), 1e-15);
    }

    [Fact]
    public void SymmetricEigen_against_the_characteristic_polynomial()
    {
        CheckEigen(new double[,] { { 2, 1 }, { 1, 2 } }, [1, 3]);                          // equal diagonal: a 45° rotation
        CheckEigen(new double[,] { { 0, 1 }, { 1, 0 } }, [-1, 1]);                         // zero diagonal
        CheckEigen(new double[,] { { 2e-20, 1e-20 }, { 1e-20, 2e-20 } }, [1e-20, 3e-20]);  // tiny entries: the stop is relative
        CheckEigen(new double[,] { { 2e20, 1e20 }, { 1e20, 2e20 } }, [1e20, 3e20]);        // large entries
        CheckEigen(new double[,] { { 2, 1 }, { 1, 3 } }, [(5 - Math.Sqrt(5)) / 2, (5 + Math.Sqrt(5)) / 2]);
        CheckEigen(new double[,] { { 1, 0, 1 }, { 0, 1, 0 }, { 1, 0, 1 } }, [0, 1, 2]);   // a zero off-diagonal with equal diagonal entries
        CheckEigen(new double[,] { { 4, 1, 0 }, { 1, 4, 1 }, { 0, 1, 4 } }, [4 - Math.Sqrt(2), 4, 4 + Math.Sqrt(2)]);
    }

    private static void CheckEigen(double[,] a, double[] expected)
    {
        var (values, vectors) = SmallMath.SymmetricEigen(a);
        var n = expected.Length;
        var scale = expected.Max(x => Math.Abs(x));
        var what = $"eigen of {string.Join(", ", a.Cast<double>())}";
        Expect.Close(expected.Select(x => x / scale).ToArray(), values.Order().Select(x => x / scale).ToArray(), 1e-12, what);
        for (var j = 0; j < n; j++)
        {
            // A·v = λ·v and ‖v‖ = 1
            var v = Enumerable.Range(0, n).Select(i => vectors[i, j]).ToArray();
            Expect.Close(1, SmallMath.Dot(v, v), 1e-12, what);
            var av = SmallMath.Multiply(a, v);
            Expect.Close(v.Select(x => values[j] * x / scale).ToArray(), av.Select(x => x / scale).ToArray(), 1e-12, what);
        }
    }
}
