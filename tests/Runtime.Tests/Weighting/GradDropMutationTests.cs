using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>GradDrop's activation form on activations and gradients chosen so that each feature meets one edge case.</summary>
public sealed class GradDropMutationTests
{
    [Fact]
    public void The_activation_form_on_a_zero_sum_a_zero_activation_a_tiny_gradient_and_a_draw_equal_to_the_purity()
    {
        // z = 2θ viewed as [B = 2, F = 4]; Lᵢ = Σ Aᵢ∘z + hᵢ, so ∇z Lᵢ = Aᵢ. Per feature f:
        // Gᵢ[f] = Σ_b sign(z[b, f])·Aᵢ[b, f], P = ½(1 + ΣᵢGᵢ/(Σᵢ|Gᵢ| + 1e-7)), s = sign(P − U),
        // Mᵢ = 𝟙[s·Gᵢ > 0], d[b, f] = Σᵢ Mᵢ[f]·Aᵢ[b, f].
        // f = 0: z = (1, 1), A = (1, −1) and (2, 1): G = (0, 3), U = ½, s = 1: task 0 has G = 0 and is dropped; d = (2, 1).
        // f = 1: z = (1, 0), A = (1, 5) twice: the zero activation counts for nothing, G = (1, 1), s = 1; d = (2, 10).
        // f = 2: z = (1, 1), A = (h, 0) twice with h = 1e-7/2: P = ½(1 + 1e-7/2e-7) = ¾, U = 0.8, s = −1; d = 0.
        // f = 3: z = (1, 1), A = (1, 0) and (−1, 0): G = (1, −1), P = ½ = U, s = 0 keeps no sign; d = 0.
        // ∇θ = 2·d.
        const double h = 1e-7 / 2;
        double[] a0 = [1, 1, h, 1, -1, 5, 0, 0];
        double[] a1 = [2, 1, h, -1, 1, 5, 0, 0];
        using var scope = NewDisposeScope();
        using var theta = new Parameter(tensor(new[] { 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0.5 }));
        using var heads = new Parameter(tensor(new double[2]));
        using var method = TaskWeighting.Create("graddrop", [1, 1], new Dictionary<string, object> { [WeightingCatalog.Gradients] = WeightingCatalog.Representation });
        var context = new WeightingContext
        {
            TaskNames = ["a", "b"], SharedParameters = [theta], TaskParameters = [heads], LastSharedLayer = [theta],
            Random = new ScriptedRandom(0.5, 0.5, 0.8, 0.5),
        };
        method.Attach(context);
        var z = (theta * 2.0).view(2, 4);
        context.SharedRepresentation = z;
        Tensor?[] losses = [(z * tensor(a0).view(2, 4)).sum() + heads[0], (z * tensor(a1).view(2, 4)).sum() + heads[1]];
        method.Backward(losses, context);
        Expect.Close([4, 4, 0, 0, 2, 20, 0, 0], theta.grad!.data<double>().ToArray(), 1e-15);
        Expect.Close([1, 1], heads.grad!.data<double>().ToArray(), 1e-15);
    }

    [Fact]
    public void A_scalar_representation_is_one_sample_with_one_feature()
    {
        // z = 2θ summed to a scalar (2 at θ = 1), Lᵢ = aᵢz + hᵢ with a = (1, −2): G = (1, −2),
        // P = ½(1 − 1/(3 + 1e-7)) ≈ ⅓ < U = 0.9, s = −1: only task 1 passes, ∇θ = 2·(−2)
        using var scope = NewDisposeScope();
        using var theta = new Parameter(tensor(new[] { 1.0 }));
        using var heads = new Parameter(tensor(new double[2]));
        using var method = TaskWeighting.Create("graddrop", [1, 1], new Dictionary<string, object> { [WeightingCatalog.Gradients] = WeightingCatalog.Representation });
        var context = new WeightingContext
        {
            TaskNames = ["a", "b"], SharedParameters = [theta], TaskParameters = [heads], LastSharedLayer = [theta],
            Random = new ScriptedRandom(0.9),
        };
        var z = (theta * 2.0).sum();
        context.SharedRepresentation = z;
        method.Backward([z * 1.0 + heads[0], z * -2.0 + heads[1]], context);
        Expect.Close([-4], theta.grad!.data<double>().ToArray(), 1e-15);
        Expect.Close([1, 1], heads.grad!.data<double>().ToArray(), 1e-15);
    }
}
