using Mtl.Catalog;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// Gradient Sign Dropout (Chen, Ngiam, Huang, Luong, Kretzschmar, Chai and Anguelov, "Just Pick
/// a Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout", NeurIPS 2020).
/// </summary>
/// <remarks>
/// Per element of the shared gradient: the positive sign purity P = ½(1 + Σᵢgᵢ / Σᵢ|gᵢ|) (
/// 1e-7 is added to the denominator, as common implementations do, so an element where every
/// task's gradient is zero gets P = ½), one uniform draw U, and the masks
/// Mᵢ = 𝟙[P &gt; U]·𝟙[gᵢ &gt; 0] + 𝟙[P &lt; U]·𝟙[gᵢ &lt; 0]. The update is the paper's
/// Σᵢ (ℓ + (1 − ℓ)Mᵢ)·gᵢ with the leak ℓ = <c>leak</c>: ℓ = 0 (the default) keeps only the
/// chosen sign, ℓ = 1 is the plain sum Σᵢgᵢ. The paper allows a leak per task (ℓᵢ = 1 for a main
/// task whose gradient should pass whole); here one leak applies to every task.
/// With <c>gradients: parameters</c> (the default) it applies to the shared parameters' gradients,
/// one element per parameter value. With <c>gradients: representation</c> it applies, as in the
/// paper (section 3.3) and LibMTL, at the activations z [B, F…] with the batch-sign correction:
/// the purity and the masks are taken per feature from Gᵢ = Σ_b sign(z)∘∇z Lᵢ (summed over the
/// batch), and Mᵢ, one per feature, multiplies every sample's ∇z Lᵢ. The draws come from
/// <see cref="WeightingContext.Random"/>, one per element (per parameter value, or per feature of
/// z) every step, in order, whatever the leak. The update is no linear combination of task
/// gradients unless ℓ = 1, so the reported weights are NaN (1 each for ℓ = 1); task parameters
/// get Σ Lᵢ.
/// </remarks>
public sealed class GradDrop : GradientWeighting
{
    private readonly double _leak;

    public GradDrop(IReadOnlyList<double> fixedWeights, double leak = 0.0, string gradients = WeightingCatalog.Parameters) : base("graddrop", fixedWeights, gradients)
    {
        _leak = CheckOption("graddrop", "leak", leak, nameof(leak));
    }

    /// <summary>ℓ, the share of every task gradient that passes whatever its sign.</summary>
    public double Leak => _leak;

    protected override (Tensor Combined, double[] Weights) CombineRows(Tensor rows, Tensor[] losses, int[] tasks, WeightingContext context)
    {
        if (UsesRepresentation) return AtActivations(rows, context.SharedRepresentation!, tasks.Length, context.Random);
        var purity = 0.5 * (1 + rows.sum(0) / (rows.abs().sum(0) + 1e-7));
        var draws = new double[rows.size(1)];
        for (var e = 0; e < draws.Length; e++) draws[e] = context.Random.NextDouble();
        // s = sign(P − U) is the sign kept (0 when P = U: none); Mᵢgᵢ = s·relu(s·gᵢ), exactly.
        var kept = purity.sub_(tensor(draws).to(rows.dtype, rows.device)).sign();
        var signed = (rows * kept).relu_();
        var combined = _leak == 0
            ? signed.sum(0).mul_(kept)
            : (rows * (_leak + (1 - _leak) * (signed > 0).to(rows.dtype))).sum(0);
        return (combined, Reported(tasks.Length));
    }

    /// <summary>The paper's GradDrop at the activations z: purity, draws and masks per feature, from the batch-summed, sign-corrected gradients.</summary>
    private (Tensor Combined, double[] Weights) AtActivations(Tensor rows, Tensor z, int k, Random random)
    {
        var batch = z.dim() == 0 ? 1 : z.size(0);
        var perSample = rows.view(k, batch, -1);  // [K, B, F]
        var summed = (perSample * z.detach().reshape(1, batch, -1).sign().to(rows.dtype)).sum(1);  // Gᵢ, [K, F]
        var purity = 0.5 * (1 + summed.sum(0) / (summed.abs().sum(0) + 1e-7));
        var draws = new double[summed.size(1)];
        for (var e = 0; e < draws.Length; e++) draws[e] = random.NextDouble();
        // s = sign(P − U) per feature; Mᵢ = 𝟙[s·Gᵢ > 0], the same for every sample of the batch
        var kept = purity.sub_(tensor(draws).to(rows.dtype, rows.device)).sign();
        var mask = (summed * kept > 0).to(rows.dtype);
        var factor = _leak == 0 ? mask : _leak + (1 - _leak) * mask;  // [K, F]
        var combined = (perSample * factor.unsqueeze(1)).sum(0).flatten();
        return (combined, Reported(k));
    }

    private double[] Reported(int k) => Enumerable.Repeat(_leak == 1 ? 1.0 : double.NaN, k).ToArray();
}
