namespace Mtl.Training.Weighting;

/// <summary>
/// Multiple-gradient descent as multi-objective optimisation (Sener and Koltun, "Multi-Task
/// Learning as Multi-Objective Optimization", NeurIPS 2018).
/// </summary>
/// <remarks>
/// The weights α solve min ‖Σ αᵢgᵢ‖² over the simplex (the min-norm point of the convex
/// hull of the task gradients), by Frank–Wolfe in its pairwise form: each step
/// moves weight from the active task with the largest (Gα)ᵢ to the task with the smallest, with
/// the exact two-point line search of the paper (for two tasks this is the closed form
/// α₁ = clip((g₂−g₁)·g₂ / ‖g₁−g₂‖², 0, 1) in one step). The official code clips the line search
/// to [0.001, 0.999]; here it is exact. No gradient normalisation is applied. Then, as in the
/// official code, Σ αᵢLᵢ is backpropagated into shared and task parameters.
/// With <c>ub</c> (MGDA-UB) the gradients are taken with respect to the shared
/// representation z (<see cref="WeightingContext.SharedRepresentation"/>) instead of the shared
/// parameters, which needs one backward pass through the trunk instead of K.
/// </remarks>
public sealed class MGDA(IReadOnlyList<double> fixedWeights, bool ub = false) : GramWeighting("mgda", fixedWeights)
{
    /// <summary>Whether this is MGDA-UB: gradients at the shared representation.</summary>
    public bool UB => ub;

    protected override bool WeightsScaleTaskLosses => true;

    protected override bool UsesRepresentation => ub;

    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context) => MinNorm(gram);

    /// <summary>The α on the simplex minimising αᵀMα, by pairwise Frank–Wolfe.</summary>
    internal static double[] MinNorm(double[,] m, int maxIterations = 10_000)
    {
        var k = m.GetLength(0);
        var alpha = Enumerable.Repeat(1.0 / k, k).ToArray();
        var scale = 0.0;
        for (var i = 0; i < k; i++) scale = Math.Max(scale, m[i, i]);
        if (k == 1 || scale == 0) return alpha;
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var grad = SmallMath.Multiply(m, alpha);  // ½∇(αᵀMα)
            var toward = 0;
            var away = -1;
            for (var i = 0; i < k; i++)
            {
                if (grad[i] < grad[toward]) toward = i;
                if (alpha[i] > 0 && (away < 0 || grad[i] > grad[away])) away = i;
            }
            var gap = grad[away] - grad[toward];
            if (toward == away || gap <= 1e-15 * scale) break;
            // f(α + γ(e_t − e_a)) = f(α) − 2γ·gap + γ²·curvature
            var curvature = m[toward, toward] + m[away, away] - 2 * m[toward, away];
            var step = curvature > 0 ? Math.Min(gap / curvature, alpha[away]) : alpha[away];
            alpha[toward] += step;
            alpha[away] -= step;
            if (alpha[away] < 1e-15) alpha[away] = 0;
        }
        return alpha;
    }
}
