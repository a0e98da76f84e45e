namespace Mtl.Training.Weighting;

/// <summary>
/// Projecting Conflicting Gradients (Yu, Kumar, Gupta, Levine, Hausman and Finn, "Gradient
/// Surgery for Multi-Task Learning", NeurIPS 2020), Algorithm 1.
/// </summary>
/// <remarks>
/// For each task i, g'ᵢ starts as gᵢ; for every other task j in a random order (from
/// <see cref="WeightingContext.Random"/>, drawn afresh for each i), when g'ᵢ·gⱼ &lt; 0,
/// g'ᵢ ← g'ᵢ − (g'ᵢ·gⱼ/‖gⱼ‖²)·gⱼ (against the original gⱼ as in the official code). The shared
/// update is Σᵢ g'ᵢ. Each g'ᵢ stays a linear combination of the original gradients, so the
/// projections are carried out on those coefficients with the Gram matrix, and the reported
/// weight of task j is its total coefficient in the sum. Task parameters get Σ Lᵢ.
/// </remarks>
public sealed class PCGrad(IReadOnlyList<double> fixedWeights) : GramWeighting("pcgrad", fixedWeights)
{
    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var k = tasks.Length;
        var weights = new double[k];
        for (var i = 0; i < k; i++)
        {
            var c = new double[k];  // g'ᵢ = Σₘ c[m]·gₘ
            c[i] = 1;
            foreach (var j in Shuffled(Others(k, i), context.Random))
            {
                var dot = 0.0;
                for (var m = 0; m < k; m++) dot += c[m] * gram[m, j];
                if (dot < 0 && gram[j, j] > 0) c[j] -= dot / gram[j, j];
            }
            for (var m = 0; m < k; m++) weights[m] += c[m];
        }
        return weights;
    }

    internal static int[] Others(int k, int i) => Enumerable.Range(0, k).Where(j => j != i).ToArray();

    /// <summary>A Fisher–Yates shuffle of <paramref name="items"/> in place.</summary>
    internal static int[] Shuffled(int[] items, Random random)
    {
        for (var n = items.Length - 1; n > 0; n--)
        {
            var r = random.Next(n + 1);
            (items[n], items[r]) = (items[r], items[n]);
        }
        return items;
    }
}
