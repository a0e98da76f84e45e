using Mtl.Torch;
using Mtl.Torch.Modules;

namespace Mtl.Training.Weighting;

/// <summary>
/// Turns per-task losses into gradients. Loss-based methods back-propagate a weighted sum;
/// gradient-based methods combine per-task gradients of the shared parameters. Either way the
/// result is ADDED into <c>.grad</c>, so gradient accumulation over micro-batches works.
/// </summary>
public abstract class TaskWeighting : IDisposable
{
    private double[] _weights = [];

    protected TaskWeighting(string name) => Name = name;

    /// <summary>The method's name in the .mtl language.</summary>
    public string Name { get; }

    /// <summary>The effective per-task weights used in the last <see cref="Backward"/>.</summary>
    public IReadOnlyList<double> Weights => _weights;

    protected void SetWeights(IReadOnlyList<double> weights) => _weights = weights.ToArray();

    /// <summary>Called once before training.</summary>
    public virtual void Attach(WeightingContext context)
    {
    }

    /// <summary>Extra trainable parameters the optimizer must also step.</summary>
    public virtual IEnumerable<Parameter> parameters() => [];

    /// <summary>
    /// Adds this step's gradients into <c>.grad</c> from the per-task losses (a null entry: the task
    /// has no label in this batch and contributes nothing); returns the combined loss for logging.
    /// </summary>
    public abstract double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context);

    /// <summary>Whether the trainer must re-evaluate the batch after the optimizer step (FAMO).</summary>
    public virtual bool NeedsLossesAfterStep => false;

    public virtual void AfterStep(IReadOnlyList<double?> lossesAfterStep, WeightingContext context)
    {
    }

    /// <summary>Called at the end of each epoch with the mean training loss of each task.</summary>
    public virtual void EndEpoch(IReadOnlyList<double> meanTaskLosses, WeightingContext context)
    {
    }

    /// <summary>Everything needed for an exact resume, as numbers.</summary>
    public virtual IReadOnlyDictionary<string, double> state_dict() => new Dictionary<string, double>();

    public virtual void load_state_dict(IReadOnlyDictionary<string, double> state)
    {
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>J = Σ wᵢLᵢ with the weights from the model file (the default).</summary>
public sealed class FixedWeighting : TaskWeighting
{
    private readonly double[] _fixed;

    public FixedWeighting(IReadOnlyList<double> weights) : base("fixed")
    {
        _fixed = weights.ToArray();
        SetWeights(_fixed);
    }

    public override double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context)
    {
        using var scope = torch.NewDisposeScope();
        Tensor? total = null;
        for (var i = 0; i < losses.Count; i++)
        {
            if (losses[i] is not { } loss) continue;
            var term = loss * _fixed[i];
            total = total is null ? term : total + term;
        }
        if (total is null) return 0;
        total.backward();
        return total.item<double>();
    }
}
