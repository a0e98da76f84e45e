using Mtl.Torch;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

public sealed class GradientSurgeryTests
{
    private static readonly Dictionary<string, double> NoOptions = [];

    private static TaskWeighting Run(string name, LinearTasks tasks, IReadOnlyDictionary<string, double>? options = null, int seed = 7)
    {
        var method = TaskWeighting.Create(name, Enumerable.Repeat(1.0, tasks.K).ToArray(), options ?? NoOptions);
        var context = tasks.Context(seed);
        method.Attach(context);
        method.Backward(tasks.Losses(), context);
        return method;
    }

    [Fact]
    public void PCGrad_projects_each_gradient_onto_the_normal_plane_of_a_conflicting_one()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [-1, 1]]);
        using var method = Run("pcgrad", tasks);
        // g1·g2 = −1: g1' = g1 − (−1/2)·g2 = (0.5, 0.5); g2' = g2 − (−1/1)·g1 = (0, 1)
        Expect.Close([0.5, 1.5], tasks.ThetaGrad);
        Expect.Close([2, 1.5], method.Weights);  // g1 appears in g1' and g2'; g2 with ½ and 1
        Expect.Close([1, 1], tasks.HeadGrad);
    }

    [Fact]
    public void PCGrad_leaves_agreeing_gradients_alone_and_with_three_tasks_projects_only_the_conflicting_pair()
    {
        using var scope = NewDisposeScope();
        using (var agreeing = new LinearTasks([[1, 0], [1, 1]]))
        using (var method = Run("pcgrad", agreeing))
        {
            Expect.Close([2, 1], agreeing.ThetaGrad);
            Expect.Close([1, 1], method.Weights);
        }
        using var tasks = new LinearTasks([[1, 0, 0], [-1, 1, 0], [0, 0, 1]]);
        using var three = Run("pcgrad", tasks);
        Expect.Close([0.5, 1.5, 1], tasks.ThetaGrad);
    }

    [Fact]
    public void PCGrad_projections_depend_on_the_random_order()
    {
        // g1 conflicts with both g2 and g3, which do not conflict with each other: projecting onto
        // g2 first or g3 first gives different g1'.
        double[][] a = [[1, 0], [-1, 0.2], [-0.3, -1]];
        var results = new HashSet<string>();
        for (var seed = 0; seed < 20; seed++)
        {
            using var scope = NewDisposeScope();
            using var tasks = new LinearTasks(a);
            using var method = Run("pcgrad", tasks, seed: seed);
            results.Add(string.Join(",", tasks.ThetaGrad.Select(v => Math.Round(v, 9))));
        }
        Assert.True(results.Count > 1);
    }

    [Fact]
    public void Mgda_two_tasks_match_the_closed_form()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0.5, 1]]);
        using var method = Run("mgda", tasks);
        // α₁ = ((g2 − g1)·g2)/‖g1 − g2‖² = (−0.25 + 1)/1.25 = 0.6
        Expect.Close([0.6, 0.4], method.Weights, 1e-12);
        Expect.Close([0.8, 0.4], tasks.ThetaGrad, 1e-12);
        Expect.Close([0.6, 0.4], tasks.HeadGrad, 1e-12);

        using var clipped = new LinearTasks([[1, 0], [2, 0]]);
        using var other = Run("mgda", clipped);  // ((g2 − g1)·g2)/‖g1 − g2‖² = 2 → 1
        Expect.Close([1, 0], other.Weights, 1e-12);
        Expect.Close([1, 0], clipped.ThetaGrad, 1e-12);
    }

    [Fact]
    public void Mgda_finds_the_min_norm_point_of_three_gradients()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1], [1, 1]]);
        using var method = Run("mgda", tasks);
        Expect.Close([0.5, 0.5, 0], method.Weights, 1e-9);
        Expect.Close([0.5, 0.5], tasks.ThetaGrad, 1e-9);
    }

    [Fact]
    public void Mgda_min_norm_satisfies_the_optimality_conditions_on_random_gram_matrices()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 50; trial++)
        {
            var k = 2 + trial % 4;
            var g = Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, 3).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
            var m = new double[k, k];
            for (var i = 0; i < k; i++)
            {
                for (var j = 0; j < k; j++) m[i, j] = g[i].Zip(g[j], (x, y) => x * y).Sum();
            }
            var alpha = MGDA.MinNorm(m);
            Expect.Close(1, alpha.Sum(), 1e-12);
            Assert.All(alpha, a => Assert.True(a >= 0));
            // KKT: (Mα)ᵢ ≥ αᵀMα for every i, with equality where αᵢ > 0
            var ma = Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Sum(j => m[i, j] * alpha[j])).ToArray();
            var value = alpha.Zip(ma, (x, y) => x * y).Sum();
            for (var i = 0; i < k; i++)
            {
                Assert.True(ma[i] >= value - 1e-9, $"trial {trial}: (Mα)[{i}] = {ma[i]} < {value}");
                if (alpha[i] > 1e-9) Assert.True(Math.Abs(ma[i] - value) <= 1e-9, $"trial {trial}: active {i}: {ma[i]} vs {value}");
            }
        }
    }

    [Fact]
    public void Mgda_ub_takes_the_gradients_at_the_shared_representation()
    {
        // z = 3θ, Lᵢ = aᵢ·z + hᵢ: ∇z Lᵢ = aᵢ decides α; θ then gets Σ αᵢ·3aᵢ.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0.5, 1]]);
        using var method = TaskWeighting.Create("mgda", [1, 1], new Dictionary<string, double> { ["ub"] = 1 });
        var context = tasks.Context();
        var z = tasks.Theta * 3.0;
        context.SharedRepresentation = z;
        Tensor?[] losses = [z.dot(tensor(tasks.A[0])) + tasks.Heads[0], z.dot(tensor(tasks.A[1])) + tasks.Heads[1]];
        method.Backward(losses, context);
        Expect.Close([0.6, 0.4], method.Weights, 1e-12);
        Expect.Close([3 * 0.8, 3 * 0.4], tasks.ThetaGrad, 1e-12);
        Expect.Close([0.6, 0.4], tasks.HeadGrad, 1e-12);

        context.SharedRepresentation = null;
        Assert.Throws<InvalidOperationException>(() => method.Backward(tasks.Losses(), context));
    }

    [Theory]
    [InlineData("pcgrad")]
    [InlineData("mgda")]
    public void Gradient_methods_accumulate_and_ignore_absent_tasks(string name)
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [-1, 1], [0.5, 2]]);
        using var method = TaskWeighting.Create(name, [1, 1, 1], NoOptions);
        var context = tasks.Context();
        method.Attach(context);
        method.Backward(tasks.Losses(), context);
        var once = tasks.ThetaGrad;
        var heads = tasks.HeadGrad;
        context = tasks.Context();
        method.Backward(tasks.Losses(), context);
        Expect.Close(once.Select(v => 2 * v).ToArray(), tasks.ThetaGrad, 1e-9);
        Expect.Close(heads.Select(v => 2 * v).ToArray(), tasks.HeadGrad, 1e-9);

        // Without task 1 the method sees tasks 0 and 2 only, which agree: both count once.
        tasks.ZeroGrad();
        method.Backward(tasks.Losses(absent: 1), context);
        Assert.True(double.IsNaN(method.Weights[1]));
        Assert.Equal(0, tasks.HeadGrad[1]);
        var w = method.Weights;
        Expect.Close(tasks.Combination([w[0], 0, w[2]]), tasks.ThetaGrad, 1e-9);
    }
}
