namespace Mtl.Training.Weighting;

/// <summary>
/// Conflict-Averse Gradient descent (Liu, Liu, Jin, Stone and Liu, "Conflict-Averse Gradient
/// Descent for Multi-task Learning", NeurIPS 2021), as in the official code.
/// </summary>
/// <remarks>
/// With g₀ = (1/K)Σgᵢ the average gradient, the update d maximises minᵢ gᵢ·d within the ball
/// ‖d − g₀‖ ≤ c‖g₀‖. Its dual is min over the simplex of
/// F(w) = g_wᵀg₀ + √φ·‖g_w‖ with g_w = Σ wᵢgᵢ and √φ = c‖g₀‖, solved here by projected gradient
/// descent with backtracking on the Gram matrix (the official code uses scipy's SLSQP on the same
/// objective, with the same 1e-8 guards). Then d = g₀ + (√φ/‖g_w‖)·g_w, and, as in the
/// official code (rescale = 1), d/(1 + c²). The reported weights are the coefficients of d on the
/// task gradients, (1/K + λwᵢ)/(1 + c²). Task parameters get Σ Lᵢ. c = 0.4 by default: the value
/// of the official run scripts for NYUv2 and Cityscapes (the training script's own default is
/// 0.5); c lies in [0, 1), the range of the paper's convergence result.
/// </remarks>
public sealed class CAGrad : GramWeighting
{
    private readonly double _c;

    public CAGrad(IReadOnlyList<double> fixedWeights, double c = 0.4) : base("cagrad", fixedWeights)
    {
        _c = CheckOption("cagrad", "c", c, nameof(c));
    }

    /// <summary>c, the radius of the ball around the average gradient, relative to its norm.</summary>
    public double C => _c;

    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var k = tasks.Length;
        var mean = 0.0;
        foreach (var v in gram) mean += v / (k * k);
        var sqrtPhi = _c * Math.Sqrt(mean + 1e-8) + 1e-8;
        var w = Dual(gram, sqrtPhi);
        var lambda = sqrtPhi / (Math.Sqrt(SmallMath.Quadratic(gram, w)) + 1e-8);
        return w.Select(wi => (1.0 / k + lambda * wi) / (1 + _c * _c)).ToArray();
    }

    /// <summary>The w on the simplex minimising wᵀM·(1/K) + √φ·√(wᵀMw + 1e-8).</summary>
    internal static double[] Dual(double[,] m, double sqrtPhi, int maxIterations = 5000)
    {
        var k = m.GetLength(0);
        var b = Enumerable.Repeat(1.0 / k, k).ToArray();
        var mb = SmallMath.Multiply(m, b);
        double Objective(double[] x) => SmallMath.Dot(x, mb) + sqrtPhi * Math.Sqrt(SmallMath.Quadratic(m, x) + 1e-8);

        var w = (double[])b.Clone();
        var f = Objective(w);
        var step = 1.0;
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var mw = SmallMath.Multiply(m, w);
            var norm = Math.Sqrt(SmallMath.Dot(w, mw) + 1e-8);
            var grad = mb.Zip(mw, (x, y) => x + sqrtPhi * y / norm).ToArray();
            step *= 2;
            var next = w;  // both are set before the loop below breaks
            var fNext = f;
            while (true)
            {
                next = ProjectOntoSimplex(w.Zip(grad, (x, g) => x - step * g).ToArray());
                fNext = Objective(next);
                var moved = next.Zip(w, (x, y) => x - y).ToArray();
                // sufficient decrease for a step of 1/L: f(x⁺) ≤ f(x) + ∇f·(x⁺ − x) + ‖x⁺ − x‖²/(2·step)
                if (fNext <= f + SmallMath.Dot(grad, moved) + SmallMath.Dot(moved, moved) / (2 * step) + 1e-15 * Math.Abs(f) || step < 1e-20) break;
                step /= 2;
            }
            var change = next.Zip(w, (x, y) => Math.Abs(x - y)).Max();
            w = next;
            f = fNext;
            if (change < 1e-13) break;
        }
        return w;
    }

    /// <summary>The Euclidean projection onto the probability simplex (sort-based).</summary>
    internal static double[] ProjectOntoSimplex(double[] v)
    {
        var sorted = v.OrderByDescending(x => x).ToArray();
        var cumulative = 0.0;
        var theta = 0.0;
        for (var i = 0; i < sorted.Length; i++)
        {
            cumulative += sorted[i];
            var t = (cumulative - 1) / (i + 1);
            if (sorted[i] - t > 0) theta = t;
        }
        return v.Select(x => Math.Max(x - theta, 0)).ToArray();
    }
}
