namespace Mtl.Training.Weighting;

/// <summary>
/// Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik and Fetaya, "Multi-Task
/// Learning as a Bargaining Game", ICML 2022).
/// </summary>
/// <remarks>
/// The Nash bargaining solution is the α &gt; 0 with GᵀGα = 1/α elementwise (the paper's characterisation of the bargaining solution).
/// As in the official code the Gram matrix is first divided by its Frobenius norm (which scales α
/// by √‖GᵀG‖ and makes the step size independent of the gradients' scale). Instead of the
/// official sequence of convex approximations (CVXPY), α is found by damped Newton on the strictly
/// convex φ(α) = ½αᵀMα − Σ log αᵢ, whose stationary point is exactly Mα = 1/α; steps are halved
/// until α stays positive and φ decreases (Armijo). A ridge of 1e-8·I on the normalised matrix
/// keeps φ bounded when the gradients are linearly dependent (then no exact solution exists; the
/// official code keeps the previous α instead). Σ αᵢLᵢ is then backpropagated into shared and
/// task parameters, as in the official code (no update every-n-steps, no extra clipping).
/// </remarks>
public sealed class NashMTL(IReadOnlyList<double> fixedWeights) : GramWeighting("nash_mtl", fixedWeights)
{
    private const double Ridge = 1e-8;

    protected override bool WeightsScaleTaskLosses => true;

    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var k = tasks.Length;
        var frobenius = 0.0;
        foreach (var v in gram) frobenius += v * v;
        frobenius = Math.Sqrt(frobenius);
        if (frobenius == 0) return Enumerable.Repeat(1.0, k).ToArray();
        var m = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) m[i, j] = gram[i, j] / frobenius + (i == j ? Ridge : 0);
        }
        return Bargaining(m);
    }

    /// <summary>The α &gt; 0 with Mα = 1/α for a positive definite <paramref name="m"/>, by damped Newton.</summary>
    internal static double[] Bargaining(double[,] m, int maxIterations = 200)
    {
        var k = m.GetLength(0);
        double Phi(double[] a) => 0.5 * SmallMath.Quadratic(m, a) - a.Sum(Math.Log);
        // Start where each task alone would be solved: αᵢ = 1/√Mᵢᵢ.
        var alpha = Enumerable.Range(0, k).Select(i => 1 / Math.Sqrt(m[i, i])).ToArray();
        var phi = Phi(alpha);
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var ma = SmallMath.Multiply(m, alpha);
            var residual = Enumerable.Range(0, k).Select(i => ma[i] - 1 / alpha[i]).ToArray();
            if (Enumerable.Range(0, k).All(i => Math.Abs(residual[i]) * alpha[i] <= 1e-13)) break;
            var hessian = (double[,])m.Clone();
            for (var i = 0; i < k; i++) hessian[i, i] += 1 / (alpha[i] * alpha[i]);
            var direction = SmallMath.Solve(hessian, residual.Select(r => -r).ToArray());
            var slope = SmallMath.Dot(residual, direction);
            var t = 1.0;
            while (true)
            {
                var candidate = alpha.Zip(direction, (a, d) => a + t * d).ToArray();
                if (candidate.All(a => a > 0))
                {
                    var next = Phi(candidate);
                    if (next <= phi + 1e-4 * t * slope || t < 1e-12)
                    {
                        alpha = candidate;
                        phi = next;
                        break;
                    }
                }
                t /= 2;
            }
        }
        return alpha;
    }
}
