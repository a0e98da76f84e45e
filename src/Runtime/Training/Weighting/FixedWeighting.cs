using Mtl.Torch;

namespace Mtl.Training.Weighting;

/// <summary>Fixed weights: L = Σ wᵢLᵢ with the per-task <c>weight</c> values of the .mtl file.</summary>
public sealed class FixedWeighting(IReadOnlyList<double> fixedWeights) : LossWeighting("fixed", fixedWeights)
{
    protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
    {
        var ones = Enumerable.Repeat(1.0, losses.Length).ToArray();
        var total = losses[0];
        for (var k = 1; k < losses.Length; k++) total = total + losses[k];
        return (total, ones);
    }
}
