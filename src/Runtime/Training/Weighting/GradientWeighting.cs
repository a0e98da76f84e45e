using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// A method that combines the per-task gradients of the shared parameters. It takes gᵢ = ∇θ Lᵢ
/// for each task with a loss, combines them into one shared gradient and adds it into the shared
/// parameters' <c>.grad</c>; the task parameters get the gradient of Σ hᵢLᵢ, where hᵢ = 1 for the
/// gradient-surgery methods (as in their papers and official code) and the method's weights where
/// it scales the losses (<see cref="WeightsScaleTaskLosses"/>).
/// </summary>
/// <remarks>
/// Most methods produce a linear combination Σ wᵢgᵢ whose coefficients follow from the Gram
/// matrix gᵢ·gⱼ alone: they derive from <see cref="GramWeighting"/>.
/// </remarks>
public abstract class GradientWeighting : TaskWeighting
{
    protected GradientWeighting(string name, IReadOnlyList<double> fixedWeights) : base(name, fixedWeights) { }

    /// <summary>Whether the task parameters get Σ wᵢLᵢ with the method's weights (else Σ Lᵢ).</summary>
    protected virtual bool WeightsScaleTaskLosses => false;

    /// <summary>
    /// The combined shared gradient from the task gradients of the present <paramref name="tasks"/>
    /// (one row each, in their order) and the weights to report (on the rows);
    /// <paramref name="losses"/> are the losses the rows are the gradients of.
    /// </summary>
    protected abstract (Tensor Combined, double[] Weights) CombineRows(Tensor rows, Tensor[] losses, int[] tasks, WeightingContext context);

    /// <summary>
    /// MGDA-UB: take the task gradients with respect to the shared representation z instead of the
    /// shared parameters; the combined gradient then reaches the shared parameters through
    /// backpropagating Σ hᵢLᵢ, so the method must also set <see cref="WeightsScaleTaskLosses"/>.
    /// </summary>
    protected virtual bool UsesRepresentation => false;

    /// <summary>
    /// The losses the method works on, from the present tasks' losses (already scaled by the fixed
    /// weights), and the factor each puts on the gradient of its task's loss (null: all 1). The
    /// task gradients, the combination and what the task and the method's own parameters are
    /// differentiated through all use these losses (IMTL-L scales them by learned factors).
    /// </summary>
    protected virtual (Tensor[] Losses, double[]? Factors) Transform(int[] tasks, Tensor[] losses) => (losses, null);

    /// <summary>
    /// Weights wᵢ to use this step without taking task gradients (Nash-MTL between two solves), or
    /// null to take them: Σ wᵢLᵢ is then backpropagated into every shared, task and own
    /// parameter in one pass.
    /// </summary>
    protected virtual double[]? WeightsWithoutGradients(int[] tasks, WeightingContext context) => null;

    public override double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context)
    {
        using var scope = NewDisposeScope();
        var (tasks, scaled) = Present(losses);
        if (tasks.Length == 0)
        {
            ReportWeights(losses.Count, tasks, []);
            return 0;
        }
        var (work, factors) = Transform(tasks, scaled);
        Tensor objective;
        double[] weights;
        if (WeightsWithoutGradients(tasks, context) is { } reused)
        {
            weights = reused;
            objective = WeightedSum(work, weights);
            TaskGradients.Accumulate(objective, AllParameters(context));
        }
        else if (UsesRepresentation)
        {
            var z = context.SharedRepresentation ?? throw new InvalidOperationException($"{Name}: the trainer set no shared representation for this step");
            (_, weights) = CombineRows(TaskGradients.PerTask(work, [z]), work, tasks, context);
            objective = HeadObjective(work, weights);
            TaskGradients.Accumulate(objective, AllParameters(context));
        }
        else
        {
            // The passes that take the shared gradients take the task and own parameters' too, so
            // Σ hᵢLᵢ needs no backward pass of its own: its gradient is Σ hᵢ times theirs.
            Parameter[] others = [.. context.TaskParameters, .. parameters()];
            var (rows, othersGrads) = TaskGradients.PerTask(work, context.SharedParameters, others);
            Tensor combined;
            (combined, weights) = CombineRows(rows, work, tasks, context);
            TaskGradients.AddToGrad(context.SharedParameters, combined);
            TaskGradients.AddWeighted(others, othersGrads, HeadWeights(weights));
            using (no_grad()) objective = HeadObjective(work, weights);
        }
        ReportWeights(losses.Count, tasks, factors is null ? weights : weights.Select((w, k) => w * factors[k]).ToArray());
        return objective.to(float64).item<double>();
    }

    /// <summary>Σ hᵢLᵢ, what the task parameters are differentiated through.</summary>
    private Tensor HeadObjective(Tensor[] losses, double[] weights) => WeightedSum(losses, HeadWeights(weights));

    /// <summary>The hᵢ of Σ hᵢLᵢ.</summary>
    private double[] HeadWeights(double[] weights) => WeightsScaleTaskLosses ? weights : Enumerable.Repeat(1.0, weights.Length).ToArray();
}
