using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// GradVac's rule on two tasks (one other task each, so no random draw), by hand: a correction
/// only when φ &lt; φ̂, none for a zero gradient (and its target left alone), none for a target of 1
/// (no finite step reaches it), and φ taken from the Gram matrix where gᵢ·gⱼ is not ±1.
/// </summary>
public sealed class GradVacMutationTests
{
    private static GradVac Create(double beta) =>
        (GradVac)TaskWeighting.Create("gradvac", [1, 1], new Dictionary<string, object> { ["beta"] = beta });

    [Fact]
    public void Conflicting_gradients_are_turned_to_the_target_cosine_zero()
    {
        // g₀ = (2, 0), g₁ = (−1, 1): g₀·g₁ = −2, φ = −2/(2·√2) = −1/√2 < φ̂ = 0.
        // g₀' = g₀ + ‖g₀‖(0 − φ)/‖g₁‖·g₁ = g₀ + 2·(1/√2)/√2·g₁ = g₀ + g₁ = (1, 1) ⟂ g₁;
        // g₁' = g₁ + √2·(1/√2)/2·g₀ = g₁ + ½g₀ = (0, 1) ⟂ g₀.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[2, 0], [-1, 1]]);
        using var method = Create(0.5);
        method.Backward(tasks.Losses(), tasks.Context());
        Expect.Close([1.5, 2], method.Weights, 1e-12);
        Expect.Close([1, 2], tasks.ThetaGrad, 1e-12);
        Expect.Close([1, 1], tasks.HeadGrad, 1e-12);
        Expect.Close(-0.5 / Math.Sqrt(2), method.Target(0, 1), 1e-12);
        Expect.Close(-0.5 / Math.Sqrt(2), method.Target(1, 0), 1e-12);
    }

    [Fact]
    public void Agreeing_gradients_above_the_target_are_left_alone()
    {
        // g₀ = (1, 0), g₁ = (1, 1): φ = 1/√2 > φ̂ = 0, no correction; φ̂ ← ½·0 + ½φ.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [1, 1]]);
        using var method = Create(0.5);
        method.Backward(tasks.Losses(), tasks.Context());
        Expect.Close([1, 1], method.Weights, 1e-15);
        Expect.Close([2, 1], tasks.ThetaGrad, 1e-15);
        Expect.Close(0.5 / Math.Sqrt(2), method.Target(0, 1), 1e-12);
        Expect.Close(0.5 / Math.Sqrt(2), method.Target(1, 0), 1e-12);
    }

    [Fact]
    public void A_zero_gradient_is_skipped_and_its_targets_stay()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 0]]);
        using var method = Create(0.5);
        method.Backward(tasks.Losses(), tasks.Context());
        Expect.Close([1, 1], method.Weights, 0);
        Expect.Close([1, 0], tasks.ThetaGrad, 0);
        Assert.Equal(0, method.Target(0, 1));
        Assert.Equal(0, method.Target(1, 0));
    }

    [Fact]
    public void A_target_of_one_asks_for_no_correction_and_still_moves()
    {
        // φ̂ = 1 (from a state): φ = 0 < 1, but √(1 − φ̂²) = 0 leaves no finite step; φ̂ ← ½·1 + ½·0.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);
        using var method = Create(0.5);
        method.load_state_dict(new Dictionary<string, double> { ["target.0.0"] = 0, ["target.0.1"] = 1, ["target.1.0"] = 1, ["target.1.1"] = 0 });
        method.Backward(tasks.Losses(), tasks.Context());
        Expect.Close([1, 1], method.Weights, 0);
        Expect.Close([1, 1], tasks.ThetaGrad, 0);
        Expect.Close(0.5, method.Target(0, 1), 1e-15);
        Expect.Close(0.5, method.Target(1, 0), 1e-15);
    }
}
