using Mtl.Torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// Random Loss Weighting (Lin, Ye, Xu, Shi and Zhang, "Reasonable Effectiveness of Random
/// Weighting: A Litmus Test for Multi-Task Learning", TMLR 2022): λ = softmax(ε), ε ~ N(0, I),
/// drawn afresh at every <see cref="TaskWeighting.Backward"/>; L = Σ λᵢLᵢ.
/// </summary>
/// <remarks>
/// The normal draws come from the trainer's seeded <see cref="WeightingContext.Random"/>
/// (Box–Muller), one per task every step, whether or not the task has a loss, so the sequence
/// does not depend on which labels a batch holds; a task without a loss simply drops out (the
/// others keep their share, as the softmax is over all K tasks).
/// </remarks>
public sealed class RandomLossWeighting(IReadOnlyList<double> fixedWeights) : LossWeighting("rlw", fixedWeights)
{
    protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
    {
        var all = SmallMath.Softmax(Enumerable.Range(0, FixedWeights.Count).Select(_ => StandardNormal(context.Random)).ToArray());
        var weights = tasks.Select(i => all[i]).ToArray();
        return (WeightedSum(losses, weights), weights);
    }

    internal static double StandardNormal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();  // (0, 1]: log is finite
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
