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
/// task parameters, as in the official code (without its clipping of the shared parameters'
/// gradient to norm 1).
/// With <c>update_every</c> = k (the official code's <c>update_weights_every</c>, 1 by default
/// there and here), α is solved only at the optimizer steps whose number
/// (<see cref="WeightingContext.Step"/>, from 0) is a multiple of k; the steps in between reuse
/// the last α and skip the K task gradients: Σ αᵢLᵢ is backpropagated in one pass. Each
/// micro-batch of a solving step solves on its own gradients, as with k = 1. A task that has no α
/// yet (it had no loss at any solve) makes the step solve. The last α is part of the state.
/// </remarks>
public sealed class NashMTL : GramWeighting
{
    private const double Ridge = 1e-8;

    private readonly long _updateEvery;
    private readonly double[] _alpha;  // the last solved αᵢ per task; NaN: none yet

    public NashMTL(IReadOnlyList<double> fixedWeights, long updateEvery = 1) : base("nash_mtl", fixedWeights)
    {
        _updateEvery = CheckOption("nash_mtl", "update_every", updateEvery, nameof(updateEvery));
        _alpha = Enumerable.Repeat(double.NaN, fixedWeights.Count).ToArray();
    }

    /// <summary>k: α is solved every k-th optimizer step and reused in between.</summary>
    public long UpdateEvery => _updateEvery;

    protected override bool WeightsScaleTaskLosses => true;

    protected override double[]? WeightsWithoutGradients(int[] tasks, WeightingContext context)
    {
        if (context.Step % _updateEvery == 0) return null;
        var alpha = tasks.Select(i => _alpha[i]).ToArray();
        return alpha.Any(double.IsNaN) ? null : alpha;
    }

    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var alpha = Nash(gram, tasks.Length);
        for (var k = 0; k < tasks.Length; k++) _alpha[tasks[k]] = alpha[k];
        return alpha;
    }

    private static double[] Nash(double[,] gram, int k)
    {
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

    public override IReadOnlyDictionary<string, double> state_dict()
    {
        var state = new Dictionary<string, double>();
        for (var i = 0; i < _alpha.Length; i++) state[$"alpha.{i}"] = _alpha[i];
        return state;
    }

    public override void load_state_dict(IReadOnlyDictionary<string, double> state)
    {
        for (var i = 0; i < _alpha.Length; i++) _alpha[i] = Get(state, $"alpha.{i}");
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
