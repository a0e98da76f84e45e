using Mtl.Catalog;

namespace Mtl.Training.Weighting;

/// <summary>
/// Aligned-MTL (Senushkin, Patakin, Kuznetsov and Konushin, "Independent Component Alignment
/// for Multi-Task Learning", CVPR 2023), and the official code's <c>procrustes_solver</c>.
/// </summary>
/// <remarks>
/// With G the n×K matrix of task gradients, the eigen-decomposition GᵀG = VΛVᵀ (K×K, here by
/// Jacobi rotations in doubles) gives the singular values σ = √λ; eigenvalues up to
/// λ_max·K·ε, ε the float32 machine epsilon as in the official code, count as zero and their
/// directions are dropped (the rank). The aligned matrix
/// Ĝ = G·W with W = σ_min·VΣ⁻¹Vᵀ (scale "min" of the official code) has orthogonal columns
/// of equal norm σ_min, so the condition number of the system is 1. The update is Σ of Ĝ's columns,
/// i.e. G·(W·1), and the reported weights are W·1. Task parameters get Σ Lᵢ.
/// </remarks>
public sealed class AlignedMTL(IReadOnlyList<double> fixedWeights, string gradients = WeightingCatalog.Parameters) : GramWeighting("aligned_mtl", fixedWeights, gradients)
{
    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var w = Alignment(gram);
        var k = tasks.Length;
        var weights = new double[k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) weights[i] += w[i, j];
        }
        return weights;
    }

    private const double Float32Epsilon = 1.1920928955078125e-7;  // torch.finfo(torch.float32).eps, 2⁻²³

    /// <summary>W = σ_min·V_r Σ_r⁻¹ V_rᵀ over the non-zero part of the spectrum of <paramref name="gram"/>.</summary>
    internal static double[,] Alignment(double[,] gram)
    {
        var k = gram.GetLength(0);
        var (values, vectors) = SmallMath.SymmetricEigen(gram);
        var max = values.Max();
        var w = new double[k, k];
        if (!(max > 0)) return w;
        var tolerance = max * k * Float32Epsilon;
        var kept = Enumerable.Range(0, k).Where(i => values[i] > tolerance).ToArray();
        var sigmaMin = Math.Sqrt(kept.Min(i => values[i]));
        foreach (var e in kept)
        {
            var scale = sigmaMin / Math.Sqrt(values[e]);
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < k; j++) w[i, j] += scale * vectors[i, e] * vectors[j, e];
            }
        }
        return w;
    }
}
