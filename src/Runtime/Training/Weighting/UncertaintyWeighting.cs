using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// Homoscedastic uncertainty weighting (Kendall, Gal and Cipolla, "Multi-Task Learning Using
/// Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR 2018).
/// </summary>
/// <remarks>
/// The paper's Gaussian-likelihood loss L = Σᵢ 1/(2σᵢ²)·Lᵢ + log σᵢ, learned through sᵢ = log σᵢ² for numerical
/// stability (as the paper recommends): L = Σᵢ ½·exp(−sᵢ)·Lᵢ + ½·sᵢ. This is the exact
/// Gaussian-likelihood (regression) form for every task; the classification form (1/σ² instead
/// of 1/(2σ²)) only doubles a task's weight and is absorbed by sᵢ (shifted by log 2), so
/// one form serves both. sᵢ starts at 0 (weights ½) and is stepped by the trainer's optimizer
/// through <see cref="parameters"/>. Lᵢ here is the task loss scaled by its fixed weight.
/// </remarks>
public sealed class UncertaintyWeighting : LossWeighting
{
    private Parameter _logVariances;

    public UncertaintyWeighting(IReadOnlyList<double> fixedWeights) : base("uncertainty", fixedWeights)
    {
        _logVariances = new Parameter(zeros([fixedWeights.Count], dtype: float32));
    }

    /// <summary>The learnable sᵢ = log σᵢ².</summary>
    public Parameter LogVariances => _logVariances;

    /// <summary>Puts sᵢ on the shared parameters' device and dtype; call before building the optimizer.</summary>
    public override void Attach(WeightingContext context)
    {
        if (context.SharedParameters.Count == 0) return;
        var like = context.SharedParameters[0];
        if (like.device == _logVariances.device && like.dtype == _logVariances.dtype) return;
        using var scope = NewDisposeScope();
        var moved = new Parameter(_logVariances.to(like.dtype, like.device));
        _logVariances.Dispose();
        _logVariances = moved;
    }

    public override IEnumerable<Parameter> parameters() => [_logVariances];

    protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
    {
        // One vector of terms, summed once: the same terms as one per task, in fewer operations.
        var s = tasks.Length == _logVariances.size(0)
            ? _logVariances
            : _logVariances.index_select(0, tensor(tasks.Select(t => (long)t).ToArray()).to(_logVariances.device));
        var total = (0.5 * (-s).exp() * stack(losses) + 0.5 * s).sum();
        var values = _logVariances.detach().to(float64).data<double>();
        return (total, tasks.Select(t => 0.5 * Math.Exp(-values[t])).ToArray());
    }

    public override void Dispose()
    {
        _logVariances.Dispose();
        base.Dispose();
    }
}
