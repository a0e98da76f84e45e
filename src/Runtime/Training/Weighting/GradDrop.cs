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
/// Mᵢ = 𝟙[P &gt; U]·𝟙[gᵢ &gt; 0] + 𝟙[P &lt; U]·𝟙[gᵢ &lt; 0]; the update is Σ Mᵢgᵢ (leak 0).
/// The paper applies it to gradients at activations (with a batch-sign correction); here it is
/// applied to the shared parameters' gradients. The draws come from
/// <see cref="WeightingContext.Random"/>, one per element every step, in parameter order. The
/// update is no linear combination of task gradients, so the reported weights are NaN; task
/// parameters get Σ Lᵢ.
/// </remarks>
public sealed class GradDrop(IReadOnlyList<double> fixedWeights) : GradientWeighting("graddrop", fixedWeights)
{
    protected override (Tensor Combined, double[] Weights) CombineRows(Tensor rows, int[] tasks, WeightingContext context)
    {
        var purity = 0.5 * (1 + rows.sum(0) / (rows.abs().sum(0) + 1e-7));
        var draws = new double[rows.size(1)];
        for (var e = 0; e < draws.Length; e++) draws[e] = context.Random.NextDouble();
        var u = tensor(draws).to(rows.dtype, rows.device);
        var keepPositive = purity > u;
        var keepNegative = purity < u;
        var mask = (keepPositive.unsqueeze(0) & (rows > 0)) | (keepNegative.unsqueeze(0) & (rows < 0));
        var combined = (rows * mask.to(rows.dtype)).sum(0);
        return (combined, Enumerable.Repeat(double.NaN, tasks.Length).ToArray());
    }
}
