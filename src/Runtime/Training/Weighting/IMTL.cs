using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// Impartial Multi-Task Learning (Liu, Li, Kuang, Xue, Chen, Yang, Liao and Zhang, "Towards
/// Impartial Multi-task Learning", ICLR 2021): the hybrid IMTL by default, or either half alone.
/// </summary>
/// <remarks>
/// <para>IMTL-L (loss balance): each task loss Lᵢ becomes the scaled loss e^{sᵢ}Lᵢ − sᵢ with a
/// learned scale sᵢ (starting at 0). Its derivative in sᵢ, e^{sᵢ}Lᵢ − 1, drives e^{sᵢ}Lᵢ towards
/// 1, so every task's scaled loss is kept at the same scale. The sᵢ are
/// <see cref="parameters"/>, stepped by the trainer's optimizer like the network.</para>
/// <para>IMTL-G (gradient balance): the shared update g = Σ αᵢgᵢ with Σ αᵢ = 1 has equal
/// projections onto every unit gradient uᵢ = gᵢ/‖gᵢ‖. With D = [g₁ − g₂, …, g₁ − g_K]ᵀ and
/// U = [u₁ − u₂, …, u₁ − u_K]ᵀ, the closed form is α₂..K = g₁Uᵀ(DUᵀ)⁻¹ and α₁ = 1 − Σ α₂..K;
/// every inner product comes from the Gram matrix. Should the system be singular (a zero or
/// repeated task gradient), the weights fall back to 1/K for that step. The paper takes gᵢ at the
/// shared representation for speed; here, as in LibMTL by default, at the shared parameters.</para>
/// <para><c>mode</c>: <c>hybrid</c> (the paper's IMTL, Algorithm 1): gᵢ are the gradients of the
/// scaled losses, the shared parameters get Σ αᵢgᵢ, the task parameters and the scales the
/// gradient of Σ (e^{sᵢ}Lᵢ − sᵢ). <c>gradient</c>: IMTL-G on the plain losses, task parameters
/// get Σ Lᵢ (no scales). <c>loss</c>: IMTL-L alone, Σ (e^{sᵢ}Lᵢ − sᵢ) backpropagated into every
/// parameter in one pass (no task gradients). The reported weight of a task is the factor on
/// its ∇Lᵢ in the shared update: αᵢe^{sᵢ}, αᵢ or e^{sᵢ}.</para>
/// </remarks>
public sealed class IMTL : GramWeighting
{
    public const string Hybrid = "hybrid";
    public const string Gradient = "gradient";
    public const string Loss = "loss";

    private Parameter? _scales;

    public IMTL(IReadOnlyList<double> fixedWeights, string mode = Hybrid, string gradients = WeightingCatalog.Parameters) : base("imtl", fixedWeights, gradients)
    {
        Mode = CheckOption("imtl", "mode", mode, nameof(mode));
        if (Mode != Gradient) _scales = new Parameter(zeros([fixedWeights.Count], dtype: float32));
    }

    /// <summary><c>hybrid</c>, <c>gradient</c> (IMTL-G) or <c>loss</c> (IMTL-L).</summary>
    public string Mode { get; }

    /// <summary>The learned scales sᵢ (null in <c>gradient</c> mode).</summary>
    public Parameter? Scales => _scales;

    /// <summary>Puts sᵢ on the shared parameters' device and dtype; call before building the optimizer.</summary>
    public override void Attach(WeightingContext context)
    {
        if (_scales is null || context.SharedParameters.Count == 0) return;
        var like = context.SharedParameters[0];
        if (like.device == _scales.device && like.dtype == _scales.dtype) return;
        using var scope = NewDisposeScope();
        var moved = new Parameter(_scales.to(like.dtype, like.device));
        _scales.Dispose();
        _scales = moved;
    }

    public override IEnumerable<Parameter> parameters() => _scales is null ? [] : [_scales];

    protected override (Tensor[] Losses, double[]? Factors) Transform(int[] tasks, Tensor[] losses)
    {
        if (_scales is null) return (losses, null);
        var s = _scales.detach().to(float64).data<double>();
        var scaled = new Tensor[tasks.Length];
        var factors = new double[tasks.Length];
        for (var k = 0; k < tasks.Length; k++)
        {
            var si = _scales[tasks[k]];
            scaled[k] = si.exp() * losses[k] - si;
            factors[k] = Math.Exp(s[tasks[k]]);
        }
        return (scaled, factors);
    }

    /// <summary>
    /// In <c>hybrid</c> mode the scales are applied to the gradients: each task's pass starts from
    /// its plain loss with e^{sᵢ} as the loss's gradient (the gradient of e^{sᵢ}Lᵢ − sᵢ everywhere
    /// but at sᵢ), and the scales get e^{sᵢ}Lᵢ − 1 from the losses' values, so the graph has none
    /// of the per-task select, exp, multiply and subtract of <see cref="Transform"/>.
    /// </summary>
    protected override LossScaling? ScalingAtGradients(int[] tasks) =>
        _scales is null || Mode != Hybrid ? null : new ScalesAtGradients(_scales, tasks);

    private sealed class ScalesAtGradients : LossScaling
    {
        private readonly Parameter _scales;
        private readonly Tensor? _index;  // the present tasks' positions in sᵢ; null when all are present, in order
        private readonly Tensor _s;       // sᵢ of the present tasks, detached

        public ScalesAtGradients(Parameter scales, int[] tasks)
        {
            _scales = scales;
            var all = scales.detach();
            // The present tasks come in increasing order (TaskWeighting.Present), so all of them are 0 … K − 1.
            var allPresent = tasks.Length == all.size(0);
            _index = allPresent ? null : tensor(tasks.Select(t => (long)t).ToArray()).to(all.device);
            _s = _index is null ? all : all.index_select(0, _index);
            Factors = _s.exp();
            var s = _s.to(float64).data<double>();
            Reported = s.Select(Math.Exp).ToArray();
        }

        public override Tensor Factors { get; }

        public override double[] Reported { get; }

        /// <summary>e^{sᵢ}Lᵢ, without a graph.</summary>
        private Tensor Scaled(Tensor[] losses)
        {
            using var mode = no_grad();
            return Factors * stack(losses);
        }

        public override Tensor[] Values(Tensor[] losses)
        {
            var values = Scaled(losses) - _s;
            return [.. Enumerable.Range(0, losses.Length).Select(k => values[k])];
        }

        public override void AddOwnGradients(Tensor[] losses, double[] headWeights)
        {
            // The heads and the scales take Σ (e^{sᵢ}Lᵢ − sᵢ): IMTL's hᵢ are all 1 (its weights do not scale the task losses).
            System.Diagnostics.Debug.Assert(headWeights.All(h => h == 1), "IMTL's head weights are 1");
            var grad = Scaled(losses) - 1;
            if (_index is not null) grad = zeros_like(_scales).index_put_(_index, grad);  // distinct positions
            TaskGradients.AddToGrad(_scales, grad);
        }
    }

    protected override double[]? WeightsWithoutGradients(int[] tasks, WeightingContext context) =>
        Mode == Loss ? Enumerable.Repeat(1.0, tasks.Length).ToArray() : null;

    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var k = tasks.Length;
        var uniform = Enumerable.Repeat(1.0 / k, k).ToArray();
        if (k == 1) return uniform;
        var norm = Enumerable.Range(0, k).Select(i => Math.Sqrt(gram[i, i])).ToArray();
        if (norm.Any(n => n == 0)) return uniform;
        double GU(int a, int b) => gram[a, b] / norm[b];  // gₐ·u_b
        // x·(DUᵀ) = g₁Uᵀ for the row vector x = α₂..K, solved as (DUᵀ)ᵀxᵀ = (g₁Uᵀ)ᵀ
        var n = k - 1;  // the unknowns α₂..K
        var system = new double[n, n];
        var rhs = new double[n];
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

    public override void Dispose()
    {
        _scales?.Dispose();
        base.Dispose();
    }
}
