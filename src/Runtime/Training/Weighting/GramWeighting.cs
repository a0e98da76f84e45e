using Mtl.Catalog;
using Mtl.Torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// A gradient method whose shared update is a linear combination Σ wᵢgᵢ of the task gradients
/// with coefficients that follow from their Gram matrix gᵢ·gⱼ alone; <see cref="Solve"/> finds
/// them on that K×K matrix in doubles, and they are the reported weights.
/// </summary>
public abstract class GramWeighting : GradientWeighting
{
    protected GramWeighting(string name, IReadOnlyList<double> fixedWeights, string gradients = WeightingCatalog.Parameters) : base(name, fixedWeights, gradients) { }

    /// <summary>The weights wₖ of the present tasks (in the order of <paramref name="tasks"/>) from their Gram matrix.</summary>
    protected abstract double[] Solve(double[,] gram, int[] tasks, WeightingContext context);

    /// <summary>
    /// The matrix <see cref="Solve"/> sees, from the Gram matrix of the task gradients and the
    /// losses they are the gradients of: the Gram matrix itself unless the method normalises the
    /// gradients first (MGDA). The weights apply to the gradients as they are.
    /// </summary>
    protected virtual double[,] SolverMatrix(double[,] gram, Tensor[] losses, int[] tasks, WeightingContext context) => gram;

    /// <summary>
    /// The weights of the present <paramref name="tasks"/> from the Gram matrix of their gradients,
    /// as <see cref="CombineRows"/> finds them. A gradient holding NaN or ∞ has no solution (a
    /// solver fed one may not stop, or fails on its own terms): the weights are NaN, so the
    /// combined gradient is NaN and the trainer's gradient-norm check reports the divergence, the
    /// same for every method.
    /// </summary>
    internal double[] WeightsOfGram(double[,] gram, Tensor[] losses, int[] tasks, WeightingContext context)
    {
        foreach (var v in gram)
        {
            if (!double.IsFinite(v)) return Enumerable.Repeat(double.NaN, tasks.Length).ToArray();
        }
        return Solve(SolverMatrix(gram, losses, tasks, context), tasks, context);
    }

    protected sealed override (Tensor Combined, double[] Weights) CombineRows(Tensor rows, Tensor[] losses, int[] tasks, WeightingContext context)
    {
        var weights = WeightsOfGram(TaskGradients.Gram(rows), losses, tasks, context);
        return (TaskGradients.Combine(rows, weights), weights);
    }
}
