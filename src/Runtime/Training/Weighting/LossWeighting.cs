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
        if (context.Parallel is { } group && ReadsOverRanks)
        {
            var (local, localWeights, value) = ObjectiveOverRanks(group, losses.Count, tasks, scaled, context);
            if (local is not null) TaskGradients.AccumulateAll(local);
            ReportWeights(losses.Count, tasks, localWeights);
            return value;
        }
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

    /// <summary>
    /// Whether the method reads more of a step than the losses' gradients, which the trainer
    /// averages over data-parallel ranks (gradient norms, loss values): then every rank takes
    /// <see cref="ObjectiveOverRanks"/> instead of <see cref="Objective"/>, with the same collectives
    /// whatever its shard labels.
    /// </summary>
    protected virtual bool ReadsOverRanks => false;

    /// <summary>
    /// A data-parallel step of a method that <see cref="ReadsOverRanks"/>: the objective over this
    /// rank's present <paramref name="tasks"/> (null when it has none), linear in their losses with
    /// weights found from what is reduced over the ranks, so that the gradients averaged over the
    /// ranks are those one process gets on the union batch; the weights on this rank's tasks; and
    /// the objective's value as one process reports it.
    /// </summary>
    protected virtual (Tensor? Objective, double[] Weights, double Value) ObjectiveOverRanks(
        Mtl.Torch.torch.distributed.ProcessGroupGloo group, int taskCount, int[] tasks, Tensor[] losses, WeightingContext context) =>
        throw new NotSupportedException($"{Name} reads nothing over the ranks");
}
