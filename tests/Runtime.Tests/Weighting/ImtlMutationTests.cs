using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// IMTL's cases the other tests leave open: hybrid IMTL with the last task absent (the present
/// tasks 0, 1 are in order but not all of sᵢ), and the fall-back to the uniform 1/K for a zero
/// task gradient. Values worked out by hand on <see cref="LinearTasks"/>.
/// </summary>
public sealed class ImtlMutationTests
{
    [Fact]
    public void Hybrid_with_the_last_task_absent_scales_and_balances_the_present_ones_only()
    {
        // a = (1, 0), (0, 2), (1, 1); θ = (1, 1), heads 1: L₀ = 2, L₁ = 3, task 2 absent.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 2], [1, 1]], theta: [1, 1], heads: [1, 1, 1]);
        using var method = (IMTL)TaskWeighting.Create("imtl", [1, 1, 1], new Dictionary<string, object>());
        var context = tasks.Context();
        method.Attach(context);
        double[] s = [0.5, -0.2, 0.3];
        using (no_grad()) method.Scales!.copy_(tensor(s));
        var value = method.Backward(tasks.Losses(absent: 2), context);

        double[] e = [Math.Exp(s[0]), Math.Exp(s[1])];
        // g'₀ = e₀(1, 0) and g'₁ = e₁(0, 2) are orthogonal: equal projections αᵢ‖g'ᵢ‖ with
        // α₀ + α₁ = 1 give αᵢ ∝ 1/‖g'ᵢ‖, ‖g'‖ = (e₀, 2e₁).
        var total = 1 / e[0] + 1 / (2 * e[1]);
        double[] alpha = [1 / e[0] / total, 1 / (2 * e[1]) / total];
        Expect.Close([alpha[0] * e[0], alpha[1] * e[1] * 2], tasks.ThetaGrad, 1e-12);
        Expect.Close([alpha[0] * e[0], alpha[1] * e[1], double.NaN], method.Weights, 1e-12);
        Expect.Close([e[0], e[1], 0], tasks.HeadGrad, 1e-12);
        // ∂/∂sᵢ (eˢⁱLᵢ − sᵢ) = eˢⁱLᵢ − 1 for the present tasks; the absent one's scale gets 0.
        Expect.Close([e[0] * 2 - 1, e[1] * 3 - 1, 0], method.Scales.grad!.data<double>(), 1e-12);
        Expect.Close(e[0] * 2 - s[0] + e[1] * 3 - s[1], value, 1e-12);
    }

    [Fact]
    public void A_zero_task_gradient_gives_every_task_one_kth()
    {
        // ‖g₂‖ = 0: u₂ is undefined, so the step falls back to αᵢ = ⅓.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 2], [0, 0]]);
        using var method = TaskWeighting.Create("imtl", [1, 1, 1], new Dictionary<string, object> { ["mode"] = "gradient" });
        var context = tasks.Context();
        method.Attach(context);
        method.Backward(tasks.Losses(), context);
        Expect.Close([1.0 / 3, 1.0 / 3, 1.0 / 3], method.Weights, 1e-15);
        Expect.Close([1.0 / 3, 2.0 / 3], tasks.ThetaGrad, 1e-15);
        Expect.Close([1, 1, 1], tasks.HeadGrad, 1e-15);
    }
}
