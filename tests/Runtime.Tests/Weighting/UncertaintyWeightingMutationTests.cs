using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>Uncertainty weighting in a step where a task has no loss.</summary>
public sealed class UncertaintyWeightingMutationTests
{
    [Fact]
    public void A_task_without_a_loss_takes_no_term_and_its_log_variance_no_gradient()
    {
        // L = (a·θ + hᵢ) = (2, 3, 5) at θ = (2, 3), h = 0; task 1 has no loss. With
        // s = (½, −1, ¼): L = Σ over tasks 0 and 2 of ½e^{−sᵢ}Lᵢ + ½sᵢ, so ∂L/∂sᵢ = ½ − ½e^{−sᵢ}Lᵢ
        // for them and 0 for task 1, and ∇θ = w₀a₀ + w₂a₂ with wᵢ = ½e^{−sᵢ}.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1], [1, 1]], theta: [2, 3]);
        using var method = (UncertaintyWeighting)TaskWeighting.Create("uncertainty", [1, 1, 1], new Dictionary<string, object>());
        var context = tasks.Context();
        method.Attach(context);
        double[] s = [0.5, -1, 0.25];
        using (no_grad()) method.LogVariances.copy_(tensor(s));
        var value = method.Backward(tasks.Losses(1), context);

        var w0 = 0.5 * Math.Exp(-s[0]);
        var w2 = 0.5 * Math.Exp(-s[2]);
        Expect.Close([w0, double.NaN, w2], method.Weights, 1e-15);
        Expect.Close([0.5 - w0 * 2, 0, 0.5 - w2 * 5], method.LogVariances.grad!.data<double>().ToArray(), 1e-15);
        Expect.Close([w0 + w2, w2], tasks.ThetaGrad, 1e-15);
        Expect.Close(w0 * 2 + 0.5 * s[0] + w2 * 5 + 0.5 * s[2], value, 1e-15);
    }
}
