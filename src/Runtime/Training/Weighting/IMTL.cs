namespace Mtl.Training.Weighting;

/// <summary>
/// Impartial Multi-Task Learning, gradient part IMTL-G (Liu, Li, Kuang, Xue, Chen, Yang, Liao and
/// Zhang, "Towards Impartial Multi-task Learning", ICLR 2021).
/// </summary>
/// <remarks>
/// The aggregated gradient g = Σ αᵢgᵢ with Σ αᵢ = 1 has equal projections onto every unit
/// gradient uᵢ = gᵢ/‖gᵢ‖. With D = [g₁ − g₂, …, g₁ − g_K]ᵀ and U = [u₁ − u₂, …, u₁ − u_K]ᵀ, the
/// closed form is α₂..K = g₁Uᵀ(DUᵀ)⁻¹ and α₁ = 1 − Σ α₂..K; every inner product comes from the
/// Gram matrix. The loss part IMTL-L is not applied: task parameters get Σ Lᵢ, as with IMTL-G
/// alone. Should the system be singular (a zero or repeated task gradient), the weights fall
/// back to 1/K for that step.
/// </remarks>
public sealed class IMTL(IReadOnlyList<double> fixedWeights) : GramWeighting("imtl", fixedWeights)
{
    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var k = tasks.Length;
        var uniform = Enumerable.Repeat(1.0 / k, k).ToArray();
        if (k == 1) return uniform;
        var norm = Enumerable.Range(0, k).Select(i => Math.Sqrt(gram[i, i])).ToArray();
        if (norm.Any(n => n == 0)) return uniform;
        double GU(int a, int b) => gram[a, b] / norm[b];  // gₐ·u_b
        // x·(DUᵀ) = g₁Uᵀ for the row vector x = α₂..K, solved as (DUᵀ)ᵀxᵀ = (g₁Uᵀ)ᵀ
        var system = new double[k - 1, k - 1];
        var rhs = new double[k - 1];
        for (var c = 1; c < k; c++)
        {
            rhs[c - 1] = GU(0, 0) - GU(0, c);
            for (var r = 1; r < k; r++)
            {
                system[c - 1, r - 1] = GU(0, 0) - GU(0, c) - GU(r, 0) + GU(r, c);  // (g₁ − g_r)·(u₁ − u_c)
            }
        }
        double[] rest;
        try
        {
            rest = SmallMath.Solve(system, rhs);
        }
        catch (ArithmeticException)
        {
            return uniform;
        }
        return [1 - rest.Sum(), .. rest];
    }
}
