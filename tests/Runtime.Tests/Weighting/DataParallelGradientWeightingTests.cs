using Mtl.Runtime.Tests.Distributed;
using Mtl.Runtime.Tests.Training;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// Data-parallel steps of <see cref="GradientWeighting"/> that the two-rank training comparisons
/// do not reach: a rank whose shard labels no task in a step that reuses the weights, and a step at
/// the shared representation for a model that returns none.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class DataParallelGradientWeightingTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-dp-weighting-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private sealed record Step(double[] Weights, double Objective, double[]? Theta, double[]? Heads);

    private static double[]? Grad(Parameter p) => p.grad?.data<double>().ToArray();

    /// <summary>
    /// Nash-MTL with <c>update_every: 2</c> on two ranks, by hand. Step 0 solves on both ranks'
    /// gradients: Lᵢ = aᵢ·θ + hᵢ with a₀ = (1, 0), a₁ = (0, 2) on each rank, so the averaged rows are
    /// a₀, a₁, the Gram matrix diag(1, 4), its Frobenius norm √17, and the bargaining solution of the
    /// diagonal M = diag(1/√17, 4/√17) + 10⁻⁸I is αᵢ = 1/√Mᵢᵢ. Step 1 reuses α: rank 0 holds both
    /// tasks (L₀ = (3, 1)·θ + h₀, L₁ = (−1, 2)·θ + h₁ at θ = (1, 1), h = 0: values 4 and 1) and
    /// backpropagates Σ αᵢLᵢ (θ gets 3α₀ − α₁, α₀ + 2α₁, the heads α); rank 1 holds none: it reports
    /// no weight, returns 0 and leaves every gradient as it was (none), while still taking part in
    /// the step's collective.
    /// </summary>
    [Fact]
    public void Nash_mtl_reusing_its_weights_on_a_rank_that_holds_no_task_adds_no_gradient()
    {
        var alpha0 = 1 / Math.Sqrt(1 / Math.Sqrt(17) + 1e-8);
        var alpha1 = 1 / Math.Sqrt(4 / Math.Sqrt(17) + 1e-8);
        var steps = Ranks.Run(Path.Combine(_folder, "store"), 2, Timeout, group =>
        {
            using var scope = NewDisposeScope();
            using var method = TaskWeighting.Create("nash_mtl", [1, 1], new Dictionary<string, object> { ["update_every"] = 2 });
            Step Take(long step, double[][] rows)
            {
                using var theta = new Parameter(tensor(new double[] { 1, 1 }));
                using var heads = new Parameter(tensor(new double[] { 0, 0 }));
                var context = new WeightingContext
                {
                    TaskNames = ["a", "b"], SharedParameters = [theta], TaskParameters = [heads], Random = new Random(1),
                    Parallel = group, Step = step,
                };
                var losses = rows.Select((a, i) => a.Length == 0 ? null : theta.dot(tensor(a)) + heads[i]).ToArray();
                var objective = method.Backward(losses, context);
                return new Step(method.Weights.ToArray(), objective, Grad(theta), Grad(heads));
            }
            var solved = Take(0, [[1, 0], [0, 2]]);
            var reused = group.rank == 0 ? Take(1, [[3, 1], [-1, 2]]) : Take(1, [[], []]);
            return (solved, reused);
        });

        foreach (var (solved, _) in steps)
        {
            Expect.Close([alpha0, alpha1], solved.Weights, 1e-12, "solved α");
            Expect.Close([alpha0, 2 * alpha1], solved.Theta!, 1e-12, "θ at the solve");
            Expect.Close([alpha0, alpha1], solved.Heads!, 1e-12, "heads at the solve");
        }
        var (_, holding) = steps[0];
        Expect.Close([alpha0, alpha1], holding.Weights, 1e-12, "rank 0's reused α");
        Expect.Close(4 * alpha0 + alpha1, holding.Objective, 1e-12, "rank 0's Σ αᵢLᵢ");
        Expect.Close([3 * alpha0 - alpha1, alpha0 + 2 * alpha1], holding.Theta!, 1e-12, "rank 0's θ gradient");
        Expect.Close([alpha0, alpha1], holding.Heads!, 1e-12, "rank 0's head gradients");
        var (_, empty) = steps[1];
        Expect.Close([double.NaN, double.NaN], empty.Weights, 0, "rank 1's weights");
        Assert.Equal(0.0, empty.Objective);
        Assert.Null(empty.Theta);
        Assert.Null(empty.Heads);
    }

    [Theory]
    [InlineData("mgda")]
    [InlineData("imtl")]
    [InlineData("aligned_mtl")]
    public void Over_two_ranks_gradients_at_the_representation_of_a_model_that_returns_none_is_an_error_naming_the_method(string method)
    {
        using var data = TwoTaskData.Make(32, seed: 3);
        manual_seed(1);
        var models = new[] { new MixtureTwoTaskModel(2), new MixtureTwoTaskModel(2) };
        var error = Assert.Throws<InvalidOperationException>(() => Ranks.Run(Path.Combine(_folder, "store"), 2, Timeout, group =>
        {
            using var optimizer = optim.Adam(models[group.rank].parameters(), lr: 1e-2);
            var weighting = TaskWeighting.Create(method, TwoTaskData.Tasks.Select(t => t.Weight).ToList(), new Dictionary<string, object> { ["gradients"] = "representation" });
            using var trainer = new Trainer(models[group.rank], TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8, Seed = 5, Weighting = weighting, Parallel = group });
            return trainer.Fit(data, data).Count;
        }));
        foreach (var model in models) model.Dispose();
        Assert.Equal("a rank failed", error.Message);
        var inner = Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(
            $"{method}: gradients at the shared representation, but the model returned none for this step (MultiTaskOutput.Shared is null, as when the tasks read different blocks' outputs): return the output of the one shared block every task reads as Shared, or use gradients: parameters",
            inner.Message);
    }
}
