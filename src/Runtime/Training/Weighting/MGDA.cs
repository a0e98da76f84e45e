using Mtl.Catalog;
using Mtl.Torch;
using static Mtl.Torch.torch;

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
/// to [0.001, 0.999]; here it is exact. Then, as in the official code, Σ αᵢLᵢ is
/// backpropagated into shared and task parameters.
/// With <c>ub</c> (MGDA-UB), the paper's name for <c>gradients: representation</c>, the gradients
/// are taken with respect to the shared representation z
/// (<see cref="WeightingContext.SharedRepresentation"/>) instead of the shared parameters, which
/// needs one backward pass through the trunk instead of K (see <see cref="GradientWeighting"/>).
/// The constructor takes the representation when either <c>ub</c> is true or
/// <c>gradients</c> is <c>representation</c>; <c>TaskWeighting.Create</c> rejects the two
/// written to say different things, as the language does.
/// <c>normalization</c> is the official code's <c>gradient_normalizers</c>, which its comment
/// calls optional and not part of the paper: α is solved for the normalised gradients gᵢ/nᵢ
/// (the Gram matrix becomes Gᵢⱼ/(nᵢnⱼ)) and then applied to the losses as they are, as there;
/// nᵢ = 1 (<c>none</c>, the paper's algorithm and the default), ‖gᵢ‖ (<c>l2</c>), Lᵢ
/// (<c>loss</c>) or Lᵢ‖gᵢ‖ (<c>loss_plus</c>, the code's <c>loss+</c>), with Lᵢ the task's
/// loss (times its fixed weight) this step. A zero gradient keeps nᵢ = 1 (it stays zero); the
/// loss normalisations need positive losses.
/// </remarks>
public sealed class MGDA : GramWeighting
{
    public const string None = "none";
    public const string L2 = "l2";
    public const string Loss = "loss";
    public const string LossPlus = "loss_plus";

    public MGDA(IReadOnlyList<double> fixedWeights, bool ub = false, string normalization = None, string gradients = WeightingCatalog.Parameters)
        : base("mgda", fixedWeights, ub ? WeightingCatalog.Representation : gradients)
    {
        Normalization = CheckOption("mgda", "normalization", normalization, nameof(normalization));
    }

    /// <summary>Whether this is MGDA-UB: gradients at the shared representation (<c>ub: true</c> or <c>gradients: representation</c>).</summary>
    public bool UB => UsesRepresentation;

    /// <summary><c>none</c>, <c>l2</c>, <c>loss</c> or <c>loss_plus</c>: what each task gradient is divided by before solving.</summary>
    public string Normalization { get; }

    protected override bool WeightsScaleTaskLosses => true;

    protected override double[,] SolverMatrix(double[,] gram, Tensor[] losses, int[] tasks, WeightingContext context)
    {
        if (Normalization == None) return gram;
        var k = tasks.Length;
        var n = new double[k];
        for (var i = 0; i < k; i++)
        {
            var norm = Math.Sqrt(gram[i, i]);
            var loss = 1.0;
            if (Normalization is Loss or LossPlus)
            {
                loss = losses[i].detach().to(float64).item<double>();
                if (!(loss > 0) || double.IsInfinity(loss)) throw new InvalidOperationException($"mgda normalization '{Normalization}' needs positive losses; task {context.TaskNames[tasks[i]]} has {loss}");
            }
            n[i] = Normalization switch
            {
                L2 => norm,
                Loss => loss,
                _ => loss * norm,
            };
            if (n[i] == 0) n[i] = 1;
        }
        var normalized = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) normalized[i, j] = gram[i, j] / (n[i] * n[j]);
        }
        return normalized;
    }

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
