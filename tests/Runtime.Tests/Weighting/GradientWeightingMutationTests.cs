using Mtl.Runtime.Tests.Distributed;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// A data-parallel step with the task gradients at the shared representation where a task is held
/// by one rank only: the summed Gram matrix is divided by hₐh_b, the numbers of ranks holding each
/// pair, before the weights are found. Worked out by hand for MGDA on two ranks.
/// </summary>
public sealed class GradientWeightingMutationTests
{
    [Fact]
    public void Over_two_ranks_the_summed_gram_matrix_is_divided_by_the_holder_counts()
    {
        // z = 2θ on each rank, Lᵢ = aᵢʳ·z + hᵢ: ∇z Lᵢ = aᵢʳ. Rank 0 holds tasks 0 and 1
        // (a₀ = (1, 0), a₁ = (0, 1)), rank 1 task 0 alone (a₀ = (1, 0)): h = (2, 1).
        // Summed: M₀₀ = 2, M₀₁ = 0, M₁₁ = 1; divided: (2/4, 0/2, 1/1) = (½, 0, 1).
        // MGDA's two-task min norm: α₀ = (M₁₁ − M₀₁)/(M₀₀ − 2M₀₁ + M₁₁) = 1/1.5 = ⅔.
        var folder = Directory.CreateTempSubdirectory("mtl-gram-").FullName;
        try
        {
            var weights = Ranks.Run(Path.Combine(folder, "store"), 2, TimeSpan.FromSeconds(30), group =>
            {
                using var scope = NewDisposeScope();
                using var theta = new Parameter(tensor(new double[] { 1, 1 }));
                using var heads = new Parameter(tensor(new double[] { 0, 0 }));
                using var method = TaskWeighting.Create("mgda", [1, 1], new Dictionary<string, object> { ["gradients"] = "representation" });
                var z = theta * 2.0;
                var context = new WeightingContext
                {
                    TaskNames = ["a", "b"], SharedParameters = [theta], TaskParameters = [heads], Random = new Random(1),
                    Parallel = group, SharedRepresentation = z,
                };
                Tensor?[] losses = group.rank == 0
                    ? [z.dot(tensor(new double[] { 1, 0 })) + heads[0], z.dot(tensor(new double[] { 0, 1 })) + heads[1]]
                    : [z.dot(tensor(new double[] { 1, 0 })) + heads[0], null];
                method.Backward(losses, context);
                return method.Weights.ToArray();
            });
            Expect.Close([2.0 / 3, 1.0 / 3], weights[0], 1e-12);
            Expect.Close([2.0 / 3, double.NaN], weights[1], 1e-12);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
