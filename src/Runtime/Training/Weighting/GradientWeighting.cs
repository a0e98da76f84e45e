using Mtl.Catalog;
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
/// <para>Most methods produce a linear combination Σ wᵢgᵢ whose coefficients follow from the Gram
/// matrix gᵢ·gⱼ alone: they derive from <see cref="GramWeighting"/>.</para>
/// <para>With <c>gradients: representation</c> (<see cref="Gradients"/>) the task gradients are
/// taken at the shared representation z instead (<see cref="WeightingContext.SharedRepresentation"/>,
/// the output of the shared block every task reads; [B, D] per batch, flattened to B·D values):
/// gᵢ = ∇z Lᵢ, one backward pass per task through its head alone, which also gives the task
/// and own parameters their gradients. The method combines those rows into d, a gradient of z
/// (the same combination it makes of parameter gradients), and d is backpropagated through the
/// trunk once: the shared parameters get (∂z/∂θ)ᵀd and nothing else, the task parameters
/// Σ hᵢ∇Lᵢ as with parameter gradients. For a method that weights the losses (d = Σ wᵢgᵢ) the
/// shared update is the gradient of Σ wᵢLᵢ with weights found at z, as in MGDA-UB (Sener and
/// Koltun 2018); for GradDrop it is the drop done on z's gradients. Only the methods whose papers
/// define the mode have it (<see cref="WeightingCatalog.RepresentationMethods"/>).</para>
/// </remarks>
public abstract class GradientWeighting : TaskWeighting
{
    protected GradientWeighting(string name, IReadOnlyList<double> fixedWeights, string gradients = WeightingCatalog.Parameters) : base(name, fixedWeights)
    {
        // The methods without the option (their papers define them on parameter gradients) take only those.
        Gradients = WeightingCatalog.All[name].Option(WeightingCatalog.Gradients) is not null
            ? CheckOption(name, WeightingCatalog.Gradients, gradients, nameof(gradients))
            : gradients == WeightingCatalog.Parameters ? gradients : throw new ArgumentException(WeightingCatalog.WithoutRepresentation(name), nameof(gradients));
    }

    /// <summary>
    /// <c>parameters</c>: the task gradients are those of the shared parameters; <c>representation</c>:
    /// those of the shared representation z, combined and then backpropagated through the trunk once.
    /// </summary>
    public string Gradients { get; }

    /// <summary>Whether the task parameters get Σ wᵢLᵢ with the method's weights (else Σ Lᵢ).</summary>
    protected virtual bool WeightsScaleTaskLosses => false;

    /// <summary>
    /// The combined shared gradient from the task gradients of the present <paramref name="tasks"/>
    /// (one row each, in their order) and the weights to report (on the rows);
    /// <paramref name="losses"/> are the losses the rows are the gradients of.
    /// </summary>
    protected abstract (Tensor Combined, double[] Weights) CombineRows(Tensor rows, Tensor[] losses, int[] tasks, WeightingContext context);

    /// <summary>Whether the task gradients are taken at the shared representation (<see cref="Gradients"/>).</summary>
    protected bool UsesRepresentation => Gradients == WeightingCatalog.Representation;

    /// <summary>
    /// The losses the method works on, from the present tasks' losses (already scaled by the fixed
    /// weights), and the factor each puts on the gradient of its task's loss (null: all 1). The
    /// task gradients, the combination and what the task and the method's own parameters are
    /// differentiated through all use these losses (IMTL-L scales them by learned factors).
    /// </summary>
    protected virtual (Tensor[] Losses, double[]? Factors) Transform(int[] tasks, Tensor[] losses) => (losses, null);

    /// <summary>
    /// For a method whose <see cref="Transform"/> makes each loss fᵢLᵢ + cᵢ, with cᵢ a term in the
    /// method's own parameters alone (IMTL-L's e^{sᵢ}Lᵢ − sᵢ): the transform as the gradient
    /// passes apply it, or null (the default) to differentiate through <see cref="Transform"/>.
    /// The per-task passes then start from the plain losses with fᵢ as each one's gradient, which
    /// gives the gradients of the transformed losses without the transform's per-task operations
    /// in the graph, and <see cref="LossScaling.AddOwnGradients"/> gives the own parameters theirs.
    /// Asked only for a step that takes task gradients, and not in a data-parallel step.
    /// </summary>
    protected virtual LossScaling? ScalingAtGradients(int[] tasks) => null;

    /// <summary>A transform Lᵢ ↦ fᵢLᵢ + cᵢ(own parameters) of the present tasks' losses (see <see cref="ScalingAtGradients"/>).</summary>
    protected abstract class LossScaling
    {
        /// <summary>fᵢ, one per present task, in the losses' dtype and device: the gradient each per-task pass starts from.</summary>
        public abstract Tensor Factors { get; }

        /// <summary>fᵢ in doubles: the factor on ∇Lᵢ in the reported weights.</summary>
        public abstract double[] Reported { get; }

        /// <summary>The transformed losses fᵢLᵢ + cᵢ, as values without a graph.</summary>
        public abstract Tensor[] Values(Tensor[] losses);

        /// <summary>Adds the gradient of Σ hᵢ(fᵢLᵢ + cᵢ) with respect to the method's own parameters into their <c>.grad</c>.</summary>
        public abstract void AddOwnGradients(Tensor[] losses, double[] headWeights);
    }

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
        if (context.Parallel is { } group) return BackwardOverRanks(group, losses.Count, tasks, scaled, context);
        if (tasks.Length == 0)
        {
            ReportWeights(losses.Count, tasks, []);
            return 0;
        }
        var reused = WeightsWithoutGradients(tasks, context);
        var scaling = reused is null ? ScalingAtGradients(tasks) : null;
        var (work, factors) = scaling is null ? Transform(tasks, scaled) : (scaled, scaling.Reported);
        var values = scaling?.Values(work) ?? work;
        Tensor objective;
        double[] weights;
        if (reused is not null)
        {
            weights = reused;
            objective = WeightedSum(work, weights);
            TaskGradients.Accumulate(objective, AllParameters(context));
        }
        else if (UsesRepresentation)
        {
            var z = context.SharedRepresentation ?? throw NoRepresentation();
            if (context.SharedParameters.Count == 0) throw new InvalidOperationException("no shared parameters to take task gradients of");
            // One pass per task through its head (the trunk is not reached: z is where it stops),
            // which takes the task and own parameters' gradients too; the graph is kept for the
            // trunk's one pass with the combined gradient of z.
            Parameter[] others = [.. context.TaskParameters, .. parameters()];
            var (rows, othersGrads) = TaskGradients.PerTask(work, [z], others, keepGraph: true, seeds: scaling?.Factors);
            Tensor combined;
            (combined, weights) = CombineRows(rows, values, tasks, context);
            TaskGradients.AddWeighted(others, othersGrads, HeadWeights(weights));
            scaling?.AddOwnGradients(work, HeadWeights(weights));
            TaskGradients.Backpropagate(z, combined, context.SharedParameters);
            using (no_grad()) objective = HeadObjective(values, weights);
        }
        else
        {
            // The passes that take the shared gradients take the task and own parameters' too, so
            // Σ hᵢLᵢ needs no backward pass of its own: its gradient is Σ hᵢ times theirs.
            Parameter[] others = [.. context.TaskParameters, .. parameters()];
            var (rows, othersGrads) = TaskGradients.PerTask(work, context.SharedParameters, others, seeds: scaling?.Factors);
            Tensor combined;
            (combined, weights) = CombineRows(rows, values, tasks, context);
            TaskGradients.AddToGrad(context.SharedParameters, combined);
            TaskGradients.AddWeighted(others, othersGrads, HeadWeights(weights));
            scaling?.AddOwnGradients(work, HeadWeights(weights));
            using (no_grad()) objective = HeadObjective(values, weights);
        }
        ReportWeights(losses.Count, tasks, factors is null ? weights : weights.Select((w, k) => w * factors[k]).ToArray());
        return objective.to(float64).item<double>();
    }

    /// <summary>
    /// A data-parallel step (see <see cref="DataParallel"/>): every rank
    /// makes the same collectives whatever its shard labels — even none — and every decision from
    /// the tasks labelled on any rank, so the ranks combine the same averaged rows
    /// (<see cref="TaskRows"/>) into the same shared gradient; each rank's heads get its own tasks'
    /// share, averaged with the rest of the gradients before the optimizer step.
    /// </summary>
    private double BackwardOverRanks(Mtl.Torch.torch.distributed.ProcessGroupGloo group, int taskCount, int[] tasks, Tensor[] scaled, WeightingContext context)
    {
        var (work, factors) = Transform(tasks, scaled);
        var holders = TaskRows.HoldersOverRanks(group, taskCount, tasks);
        var present = TaskRows.Present(holders);
        double[] weights;
        if (present.Length == 0)
        {
            weights = [];
        }
        else if (WeightsWithoutGradients(present, context) is { } reused)
        {
            weights = tasks.Select(t => reused[Array.IndexOf(present, t)]).ToArray();
            if (tasks.Length > 0) TaskGradients.Accumulate(WeightedSum(work, weights), AllParameters(context));
        }
        else if (UsesRepresentation)
        {
            weights = RepresentationOverRanks(group, holders, present, tasks, work, context);
        }
        else
        {
            Parameter[] others = [.. context.TaskParameters, .. parameters()];
            var (rows, othersGrads) = tasks.Length > 0
                ? TaskGradients.PerTask(work, context.SharedParameters, others)
                : (zeros([0, context.SharedParameters.Sum(p => p.numel())], context.SharedParameters[0].dtype), []);
            var ranks = TaskRows.OverRanks(group, holders, tasks, rows, work);
            var (combined, all) = CombineRows(ranks.Rows, ranks.Losses, ranks.Tasks, context);
            weights = ranks.Local.Select(k => all[k]).ToArray();
            TaskGradients.AddToGrad(context.SharedParameters, combined);
            TaskGradients.AddWeighted(others, othersGrads, HeadWeights(weights));
        }
        ReportWeights(taskCount, tasks, factors is null ? weights : weights.Select((w, k) => w * factors[k]).ToArray());
        if (tasks.Length == 0) return 0;
        using (no_grad()) return HeadObjective(work, weights).to(float64).item<double>();
    }

    /// <summary>
    /// A data-parallel step with the task gradients at the shared representation (a
    /// <see cref="GramWeighting"/> method; <see cref="DataParallel"/> refuses the others). The union
    /// batch's z is the ranks' z stacked, and task i's gradient there is each holding rank's own
    /// gᵢʳ = ∇zʳ Lᵢʳ divided by hᵢ, the number of ranks that label it (Lᵢ is the mean of their
    /// losses). Its Gram matrix is then Σᵣ gᵢʳ·gⱼʳ / (hᵢhⱼ): each rank's K×K Gram matrix of its own
    /// rows, summed over the ranks by one all-reduce, gives every rank the weights one process
    /// finds on the union batch, without moving a row. Rank r backpropagates its part of
    /// d = Σ wᵢgᵢ through its trunk, times the world size N (the gradient averaging divides by N):
    /// Σᵢ wᵢ (N/hᵢ) gᵢʳ. The weights on this rank's tasks are returned.
    /// </summary>
    private double[] RepresentationOverRanks(Mtl.Torch.torch.distributed.ProcessGroupGloo group, double[] holders, int[] present, int[] tasks, Tensor[] work, WeightingContext context)
    {
        var method = this as GramWeighting ?? throw new InvalidOperationException($"{Name}: gradients at the shared representation over the ranks need a method that combines by the Gram matrix");
        var taskCount = holders.Length;
        var z = context.SharedRepresentation ?? throw NoRepresentation();
        Parameter[] others = [.. context.TaskParameters, .. parameters()];
        Tensor? rows = null;
        Tensor?[][] othersGrads = [];
        var gram = new double[taskCount * taskCount];
        if (tasks.Length > 0)
        {
            (rows, othersGrads) = TaskGradients.PerTask(work, [z], others, keepGraph: true);
            var local = TaskGradients.Gram(rows);
            for (var a = 0; a < tasks.Length; a++)
            {
                for (var b = 0; b < tasks.Length; b++) gram[tasks[a] * taskCount + tasks[b]] = local[a, b];
            }
        }
        var summed = tensor(gram, [taskCount * taskCount]);
        group.all_reduce(summed);
        var sums = summed.data<double>().ToArray();
        var losses = TaskRows.LossesOverRanks(group, holders, tasks, work.Select(l => l.detach().to(float64).item<double>()).ToArray());
        var union = new double[present.Length, present.Length];
        for (var a = 0; a < present.Length; a++)
        {
            for (var b = 0; b < present.Length; b++) union[a, b] = sums[present[a] * taskCount + present[b]] / (holders[present[a]] * holders[present[b]]);
        }
        var all = method.WeightsOfGram(union, present.Select(t => tensor(losses[t])).ToArray(), present, context);
        var weights = tasks.Select(t => all[Array.IndexOf(present, t)]).ToArray();
        if (rows is not null)
        {
            var scaled = tasks.Select((t, k) => weights[k] * group.size / holders[t]).ToArray();
            TaskGradients.AddWeighted(others, othersGrads, HeadWeights(weights));
            TaskGradients.Backpropagate(z, TaskGradients.Combine(rows, scaled), context.SharedParameters);
        }
        return weights;
    }

    /// <summary>
    /// The error of a step with the task gradients at the shared representation for which the
    /// model gave none (its <see cref="MultiTaskOutput.Shared"/> was null: its tasks do not read one
    /// shared block's output; the language refuses such a model the option, MTL0114).
    /// </summary>
    private InvalidOperationException NoRepresentation() => new(
        $"{Name}: gradients at the shared representation, but the model returned none for this step (MultiTaskOutput.Shared is null, as when the tasks read different blocks' outputs): return the output of the one shared block every task reads as Shared, or use gradients: parameters");

    /// <summary>Σ hᵢLᵢ, what the task parameters are differentiated through.</summary>
    private Tensor HeadObjective(Tensor[] losses, double[] weights) => WeightedSum(losses, HeadWeights(weights));

    /// <summary>The hᵢ of Σ hᵢLᵢ.</summary>
    private double[] HeadWeights(double[] weights) => WeightsScaleTaskLosses ? weights : Enumerable.Repeat(1.0, weights.Length).ToArray();
}
