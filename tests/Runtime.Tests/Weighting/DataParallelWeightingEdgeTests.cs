using Mtl.Runtime.Tests.Distributed;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;
using static Mtl.Torch.torch.distributed;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// FAMO's and GradNorm's data-parallel steps at their edges, two ranks as threads of one process,
/// each step worked out by hand: losses of the order of FAMO's ε, a task labelled in an earlier
/// micro-batch of a step but on no rank in the last, a last shared layer of two parameters with a
/// rank that holds no task, and a step in which no rank holds any task.
/// </summary>
public sealed class DataParallelWeightingEdgeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-dp-edge-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private T[] TwoRanks<T>(Func<ProcessGroupGloo, T> body) => Ranks.Run(Path.Combine(_folder, "store"), 2, Timeout, body);

    private static WeightingContext ScalarContext(Parameter theta, ProcessGroupGloo? group) => new()
    {
        TaskNames = ["a", "b"], SharedParameters = [theta], TaskParameters = [], Random = new Random(1), Parallel = group,
    };

    [Fact]
    public void Famo_over_ranks_adds_its_epsilon_to_averaged_losses_of_the_order_of_epsilon()
    {
        // Losses of the order of ε = 1e-8, where L̄ + ε and L̄ − ε differ by a factor of 3 or 5/3.
        // Rank 0: (1e-8, 4e-8), rank 1: (3e-8, none); averaged over the ranks that hold each task:
        // L̄ = (2e-8, 4e-8). z = (½, ½), c = Σ zᵢ/(L̄ᵢ + ε) = ½(1/3e-8 + 1/5e-8), zᵢ/c = (15/8)·1e-8.
        // Weights zᵢ/(c·(L̄ᵢ + ε)) = (5/8, 3/8); the objective reported on both ranks is
        // Σ zᵢ/c·log(L̄ᵢ + ε). θ's gradient: rank 0 5/8·1e-8 + 3/8·4e-8 = 2.125e-8, rank 1
        // 5/8·3e-8 = 1.875e-8 (their mean, 2e-8, is one process's on the union batch).
        var ranks = TwoRanks(group =>
        {
            using var scope = NewDisposeScope();
            using var theta = new Parameter(tensor(new double[] { 1 }));
            using var method = TaskWeighting.Create("famo", [1, 1]);
            Tensor?[] losses = group.rank == 0 ? [theta[0] * 1e-8, theta[0] * 4e-8] : [theta[0] * 3e-8, null];
            var value = method.Backward(losses, ScalarContext(theta, group));
            return (Value: value, Weights: method.Weights.ToArray(), Grad: theta.grad!.data<double>().ToArray()[0]);
        });
        var objective = 15.0 / 8 * 1e-8 * (Math.Log(3e-8) + Math.Log(5e-8));
        Expect.Close(objective, ranks[0].Value, 1e-12);
        Expect.Close(objective, ranks[1].Value, 1e-12);
        Expect.Close([5.0 / 8, 3.0 / 8], ranks[0].Weights, 1e-12);
        Expect.Close([5.0 / 8, double.NaN], ranks[1].Weights, 1e-12);
        Expect.Close(2.125e-8, ranks[0].Grad, 1e-20);
        Expect.Close(1.875e-8, ranks[1].Grad, 1e-20);
    }

    [Fact]
    public void Famo_over_ranks_takes_no_decrease_for_a_task_that_no_rank_holds_after_the_step()
    {
        // Two micro-batches of one optimizer step (gradient accumulation), then the losses after the
        // step, which the trainer takes on the last micro-batch. Task b is labelled in the first only.
        //   micro-batch 1: rank 0 (4, 2), rank 1 (2, none)   → L̄ = (3, 2)
        //   micro-batch 2: rank 0 (1, none), rank 1 (3, none) → L̄ = (2, none)
        //   after the step: rank 0 (1.5, none), rank 1 (2.5, none) → (2, none)
        // L(before) = (2.5, 2), δ = (log 2.5 − log 2, 0) (no loss after: no decrease), z = (½, ½),
        // d = z(δ − Σzδ) = (δ₀/4, −δ₀/4); Adam's first step (lr 0.1; γ·ξ = 0 at ξ = 0):
        // ξ = −0.1·d/(|d| + 1e-8). One process fed the union's losses takes the same step.
        static IReadOnlyList<double> Step(ProcessGroupGloo? group, double?[][] micro, double?[] after)
        {
            using var scope = NewDisposeScope();
            using var theta = new Parameter(tensor(new double[] { 1 }));
            using var method = (FAMO)TaskWeighting.Create("famo", [1, 1], new Dictionary<string, object> { ["lr"] = 0.1 });
            var context = ScalarContext(theta, group);
            foreach (var losses in micro) method.Backward(losses.Select(l => l is { } v ? theta[0] * v : null).ToArray(), context);
            method.AfterStep(after, context);
            return method.Logits.ToArray();
        }
        var ranks = TwoRanks(group => group.rank == 0
            ? Step(group, [[4, 2], [1, null]], [1.5, null])
            : Step(group, [[2, null], [3, null]], [2.5, null]));
        var single = Step(null, [[3, 2], [2, null]], [2, null]);

        var delta0 = Math.Log(2.5 + 1e-8) - Math.Log(2 + 1e-8);
        double[] d = [delta0 / 4, -delta0 / 4];
        var logits = d.Select(x => -0.1 * x / (Math.Abs(x) + 1e-8)).ToArray();
        Expect.Close(logits, ranks[0], 1e-12);
        Expect.Close(logits, ranks[1], 1e-12);
        Expect.Close(logits, single, 1e-12);
    }

    /// <summary>
    /// A last shared layer of two parameters, W (2 entries) and b (1), and a head scalar per task:
    /// L_a = 3W₀ + 4b + h_a and L_b = W₁ + h_b, at W = (1, 1), b = 1, h = 0: L = (7, 1), and the
    /// gradients at (W, b) are (3, 0, 4) and (0, 1, 0), of norms 5 and 1. All float64.
    /// </summary>
    private sealed class TwoParameterLayer : IDisposable
    {
        public readonly Parameter W = new(tensor(new double[] { 1, 1 }));
        public readonly Parameter B = new(tensor(new double[] { 1 }));
        public readonly Parameter Heads = new(tensor(new double[] { 0, 0 }));

        public WeightingContext Context(ProcessGroupGloo? group) => new()
        {
            TaskNames = ["a", "b"], SharedParameters = [W, B], TaskParameters = [Heads], LastSharedLayer = [W, B],
            Random = new Random(1), Parallel = group,
        };

        /// <summary>Both losses, or none (no label in this shard).</summary>
        public Tensor?[] Losses(bool held) => held
            ? [W[0] * 3.0 + B[0] * 4.0 + Heads[0], W[1] + Heads[1]]
            : [null, null];

        public void Dispose()
        {
            W.Dispose();
            B.Dispose();
            Heads.Dispose();
        }
    }

    /// <summary>
    /// GradNorm's weights after the first step with L = (7, 1) and gradient norms (5, 1) at the last
    /// shared layer: w = (1, 1), G = (5, 1), Ḡ = 3; the first losses, so r = (1, 1) and both targets
    /// are 3: ∇_w L_grad = (sign(5 − 3)·5, sign(1 − 3)·1) = (5, −1). Adam's first step (lr 0.1):
    /// w = 1 − 0.1·g/(|g| + 1e-8), then renormalised to Σw = 2.
    /// </summary>
    private static double[] GradNormWeightsAfterTheFirstStep()
    {
        var w0 = 1 - 0.1 * 5 / (5 + 1e-8);
        var w1 = 1 + 0.1 * 1 / (1 + 1e-8);
        var scale = 2 / (w0 + w1);
        return [w0 * scale, w1 * scale];
    }

    /// <summary>GradNorm over the steps <paramref name="held"/> (whether this rank's shard labels the tasks in each), with this rank's weights and objective of each step.</summary>
    private static (double Value, double[] Weights)[] GradNormSteps(ProcessGroupGloo? group, params bool[] held)
    {
        using var scope = NewDisposeScope();
        using var layer = new TwoParameterLayer();
        using var method = TaskWeighting.Create("gradnorm", [1, 1], new Dictionary<string, object> { ["lr"] = 0.1 });
        var context = layer.Context(group);
        var steps = new (double, double[])[held.Length];
        for (var step = 0; step < held.Length; step++)
        {
            context.Step = step;
            var value = method.Backward(layer.Losses(held[step]), context);
            steps[step] = (value, method.Weights.ToArray());
        }
        return steps;
    }

    [Fact]
    public void Gradnorm_over_ranks_with_a_last_shared_layer_of_two_parameters_and_a_rank_without_tasks()
    {
        // Rank 0 holds both tasks in both steps, rank 1 none: its empty rows of gradients must be as
        // wide as rank 0's (3 entries, W's and b's) for the sum over the ranks. The averaged rows are
        // rank 0's; step 1 uses the weights of step 0's update.
        var ranks = TwoRanks(group => group.rank == 0 ? GradNormSteps(group, true, true) : GradNormSteps(group, false, false));
        var weights = GradNormWeightsAfterTheFirstStep();
        Expect.Close([1.0, 1.0], ranks[0][0].Weights, 1e-12);
        Expect.Close(8, ranks[0][0].Value, 1e-12);
        Expect.Close(weights, ranks[0][1].Weights, 1e-12);
        Expect.Close(7 * weights[0] + weights[1], ranks[0][1].Value, 1e-12);
        Assert.True(weights[0] < 0.91 && weights[1] > 1.09);
        foreach (var step in ranks[1])
        {
            Expect.Close([double.NaN, double.NaN], step.Weights);
            Assert.Equal(0, step.Value);
        }
    }

    [Fact]
    public void Gradnorm_over_ranks_passes_a_step_in_which_no_rank_holds_a_task_as_one_process_does()
    {
        // One process given a batch without any label backpropagates nothing, reports an objective of 0
        // and NaN weights, and takes no weight gradient. Over two ranks likewise: in step 0 both
        // ranks hold L = (7, 1), in step 1 neither holds a task, in step 2 both hold L = (7, 1)
        // again and use the weights of step 0's update, as one process does over the same steps.
        var ranks = TwoRanks(group => GradNormSteps(group, true, false, true));
        var single = GradNormSteps(null, true, false, true);
        var weights = GradNormWeightsAfterTheFirstStep();
        foreach (var steps in new[] { ranks[0], ranks[1], single })
        {
            Expect.Close([1.0, 1.0], steps[0].Weights, 1e-12);
            Expect.Close(8, steps[0].Value, 1e-12);
            Expect.Close([double.NaN, double.NaN], steps[1].Weights);
            Assert.Equal(0, steps[1].Value);
            Expect.Close(weights, steps[2].Weights, 1e-12);
            Expect.Close(7 * weights[0] + weights[1], steps[2].Value, 1e-12);
        }
    }
}
