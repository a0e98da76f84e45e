using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// A method that combines the task losses into one objective Σ wᵢLᵢ and backpropagates it into
/// every shared and task parameter (and its own parameters, if it has any).
/// </summary>
public abstract class LossWeighting : TaskWeighting
{
    protected LossWeighting(string name, IReadOnlyList<double> fixedWeights) : base(name, fixedWeights) { }

    /// <summary>
    /// The objective for the present <paramref name="tasks"/> (their <paramref name="losses"/> already
    /// scaled by the fixed weights) and the factor it puts on each loss, for <see cref="TaskWeighting.Weights"/>.
    /// </summary>
    protected abstract (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context);

    public sealed override double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context)
    {
        using var scope = NewDisposeScope();
        var (tasks, scaled) = Present(losses);
        if (tasks.Length == 0)
        {
            ReportWeights(losses.Count, tasks, []);
            return 0;
        }
        var (objective, weights) = Objective(tasks, scaled, context);
        TaskGradients.AccumulateAll(objective);
        ReportWeights(losses.Count, tasks, weights);
        return objective.to(float64).item<double>();
    }
}
