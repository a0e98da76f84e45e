using Mtl.Torch;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

public sealed class GradientSurgeryTests
{
    private static readonly Dictionary<string, object> NoOptions = [];

    private static readonly Dictionary<string, object> Gradient = new() { ["mode"] = "gradient" };

    private static TaskWeighting Run(string name, LinearTasks tasks, IReadOnlyDictionary<string, object>? options = null, int seed = 7)
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
        using var method = TaskWeighting.Create("mgda", [1, 1], new Dictionary<string, object> { ["ub"] = true });
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
    [InlineData("cagrad")]
    [InlineData("imtl")]
    [InlineData("aligned_mtl")]
    [InlineData("nash_mtl")]
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

        tasks.ZeroGrad();
        method.Backward(tasks.Losses(absent: 1), context);
        Assert.True(double.IsNaN(method.Weights[1]));
        Assert.Equal(0, tasks.HeadGrad[1]);
        var w = method.Weights;
        Expect.Close(tasks.Combination([w[0], 0, w[2]]), tasks.ThetaGrad, 1e-9);
    }

    [Fact]
    public void CAGrad_with_c_zero_is_the_average_gradient()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [-1, 1], [0.5, 2]]);
        using var method = Run("cagrad", tasks, new Dictionary<string, object> { ["c"] = 0 });
        Expect.Close([1.0 / 3, 1.0 / 3, 1.0 / 3], method.Weights, 1e-7);
        Expect.Close([0.5 / 3, 1], tasks.ThetaGrad, 1e-7);
        Expect.Close([1, 1, 1], tasks.HeadGrad);
    }

    [Fact]
    public void CAGrad_two_tasks_match_a_direct_search_of_the_dual()
    {
        using var scope = NewDisposeScope();
        double[][] a = [[1, 0], [-0.8, 0.6]];
        const double c = 0.5;
        using var tasks = new LinearTasks(a);
        using var method = Run("cagrad", tasks, new Dictionary<string, object> { ["c"] = c });

        // The dual over w = (x, 1 − x): F(x) = g_w·g₀ + c‖g₀‖·‖g_w‖, minimised by golden-section search.
        double[] Gw(double x) => [x * a[0][0] + (1 - x) * a[1][0], x * a[0][1] + (1 - x) * a[1][1]];
        double[] g0 = [(a[0][0] + a[1][0]) / 2, (a[0][1] + a[1][1]) / 2];
        var sqrtPhi = c * Math.Sqrt(g0[0] * g0[0] + g0[1] * g0[1]);
        double F(double x) { var g = Gw(x); return g[0] * g0[0] + g[1] * g0[1] + sqrtPhi * Math.Sqrt(g[0] * g[0] + g[1] * g[1]); }
        double lo = 0, hi = 1;
        var r = (Math.Sqrt(5) - 1) / 2;
        for (var i = 0; i < 200; i++)
        {
            var x1 = hi - r * (hi - lo);
            var x2 = lo + r * (hi - lo);
            if (F(x1) < F(x2)) hi = x2; else lo = x1;
        }
        var gw = Gw((lo + hi) / 2);
        var lambda = sqrtPhi / Math.Sqrt(gw[0] * gw[0] + gw[1] * gw[1]);
        double[] d = [(g0[0] + lambda * gw[0]) / (1 + c * c), (g0[1] + lambda * gw[1]) / (1 + c * c)];
        Expect.Close(d, tasks.ThetaGrad, 1e-6);
        // the conflict-averse direction improves the worse task more than the average does
        var worst = Math.Min(a[0][0] * d[0] + a[0][1] * d[1], a[1][0] * d[0] + a[1][1] * d[1]);
        var worstOfMean = Math.Min(a[0][0] * g0[0] + a[0][1] * g0[1], a[1][0] * g0[0] + a[1][1] * g0[1]) / (1 + c * c);
        Assert.True(worst > worstOfMean);
    }

    [Fact]
    public void Imtl_aggregate_has_equal_projections_on_every_unit_gradient()
    {
        using var scope = NewDisposeScope();
        using (var two = new LinearTasks([[1, 0], [0, 2]]))
        using (var method = Run("imtl", two, Gradient))
        {
            // α₁·1 = α₂·2 with α₁ + α₂ = 1
            Expect.Close([2.0 / 3, 1.0 / 3], method.Weights, 1e-12);
            Expect.Close([2.0 / 3, 2.0 / 3], two.ThetaGrad, 1e-12);
            Expect.Close([1, 1], two.HeadGrad);
        }
        double[][] a = [[1, 0.5, 0], [-2, 1, 0.3], [0.2, -0.4, 3]];
        using var tasks = new LinearTasks(a);
        using var three = Run("imtl", tasks, Gradient);
        Expect.Close(1, three.Weights.Sum(), 1e-12);
        var g = tasks.ThetaGrad;
        var projections = a.Select(ai => ai.Zip(g, (x, y) => x * y).Sum() / Math.Sqrt(ai.Sum(x => x * x))).ToArray();
        Expect.Close([projections[0], projections[0]], projections[1..], 1e-9);
        Expect.Close(tasks.Combination(three.Weights), g, 1e-12);
    }

    [Fact]
    public void GradDrop_keeps_one_sign_per_element_by_purity_and_a_uniform_draw()
    {
        double[][] a = [[1, -2, 3, 0.5, -1], [-1, -1, 1, 0.5, 0], [2, 1, -3, 0.5, 0]];
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(a);
        using var method = Run("graddrop", tasks, seed: 21);

        var random = new Random(21);
        var expected = new double[5];
        for (var e = 0; e < 5; e++)
        {
            var sum = a.Sum(g => g[e]);
            var abs = a.Sum(g => Math.Abs(g[e]));
            var purity = 0.5 * (1 + sum / (abs + 1e-7));
            var u = random.NextDouble();
            foreach (var g in a)
            {
                if ((purity > u && g[e] > 0) || (purity < u && g[e] < 0)) expected[e] += g[e];
            }
        }
        Expect.Close(expected, tasks.ThetaGrad, 1e-12);
        Expect.Close([1.5, -1], expected[3..]);  // all positive: P ≈ 1 keeps every one; only a negative: P ≈ 0 keeps it
        Assert.All(method.Weights, w => Assert.True(double.IsNaN(w)));
        Expect.Close([1, 1, 1], tasks.HeadGrad);
    }

    [Fact]
    public void GradDrop_with_one_task_present_keeps_its_gradient_and_accumulates()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, -2, 0.5], [-1, 3, 2]]);
        using var method = TaskWeighting.Create("graddrop", [1, 1], NoOptions);
        var context = tasks.Context();
        // alone, every element has purity 1 (positive) or 0 (negative): its own sign always wins
        method.Backward(tasks.Losses(absent: 1), context);
        Expect.Close([1, -2, 0.5], tasks.ThetaGrad, 1e-6);
        method.Backward(tasks.Losses(absent: 1), context);
        Expect.Close([2, -4, 1], tasks.ThetaGrad, 1e-6);
        Expect.Close([2, 0], tasks.HeadGrad);
        Assert.True(double.IsNaN(method.Weights[0]) && double.IsNaN(method.Weights[1]));
    }

    [Fact]
    public void A_wrong_number_of_losses_is_an_error()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);
        foreach (var name in TaskWeighting.Names)
        {
            using var method = TaskWeighting.Create(name, [1, 1, 1], NoOptions);
            Assert.Throws<ArgumentException>(() => method.Backward(tasks.Losses(), tasks.Context()));
        }
    }

    [Fact]
    public void GradVac_moves_the_cosine_up_to_its_ema_target()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [-1, 1]]);
        using var method = (GradVac)TaskWeighting.Create("gradvac", [1, 1], new Dictionary<string, object> { ["beta"] = 0.1 });
        var context = tasks.Context();
        method.Backward(tasks.Losses(), context);
        // φ̂ = 0 at first, φ = −1/√2: g1' = g1 + 0.5·g2 = (0.5, 0.5), g2' = g2 + 1·g1 = (0, 1), as PCGrad
        Expect.Close([0.5, 1.5], tasks.ThetaGrad, 1e-12);
        Expect.Close([2, 1.5], method.Weights, 1e-12);
        var phi = -1 / Math.Sqrt(2);
        Expect.Close(0.1 * phi, method.Target(0, 1), 1e-12);
        Expect.Close(0.1 * phi, method.Target(1, 0), 1e-12);

        // φ̂ = −0.0707…: g1' is turned until cos(g1', g2) = φ̂, not beyond
        tasks.ZeroGrad();
        method.Backward(tasks.Losses(), context);
        var target = 0.1 * phi;
        var w1 = Math.Sqrt(1) * (target * Math.Sqrt(1 - phi * phi) - phi * Math.Sqrt(1 - target * target)) / (Math.Sqrt(2) * Math.Sqrt(1 - target * target));
        double[] g1 = [1 - w1, w1];
        var cos = (-g1[0] + g1[1]) / (Math.Sqrt(g1[0] * g1[0] + g1[1] * g1[1]) * Math.Sqrt(2));
        Expect.Close(target, cos, 1e-12);
        var w2 = Math.Sqrt(2) * (target * Math.Sqrt(1 - phi * phi) - phi * Math.Sqrt(1 - target * target)) / (1 * Math.Sqrt(1 - target * target));
        Expect.Close([1 + w2, 1 + w1], method.Weights, 1e-12);
        Expect.Close(0.9 * target + 0.1 * phi, method.Target(0, 1), 1e-12);
    }

    [Fact]
    public void Aligned_mtl_makes_the_gradients_orthogonal_with_equal_norms()
    {
        using var scope = NewDisposeScope();
        using (var two = new LinearTasks([[1, 0], [0, 2]]))
        using (var method = Run("aligned_mtl", two))
        {
            // σ = (1, 2): W = diag(1, ½), the aligned columns (1, 0) and (0, 1)
            Expect.Close([1, 0.5], method.Weights, 1e-12);
            Expect.Close([1, 1], two.ThetaGrad, 1e-12);
            Expect.Close([1, 1], two.HeadGrad);
        }
        double[][] a = [[1, 0.5, 0, 2], [-2, 1, 0.3, 0], [0.2, -0.4, 3, 1]];
        var m = Gram(a);
        var w = AlignedMTL.Alignment(m);
        // (GW)ᵀ(GW) = W·M·W = σ_min²·I
        var wmw = Multiply(Multiply(w, m), w);
        var sigmaMin2 = wmw[0, 0];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++) Expect.Close(i == j ? sigmaMin2 : 0, wmw[i, j], 1e-9, $"WMW[{i},{j}]");
        }
        using var tasks = new LinearTasks(a);
        using var three = Run("aligned_mtl", tasks);
        Expect.Close(Enumerable.Range(0, 3).Select(i => w[i, 0] + w[i, 1] + w[i, 2]).ToArray(), three.Weights, 1e-9);
        Expect.Close(tasks.Combination(three.Weights), tasks.ThetaGrad, 1e-9);
        // σ_min² is M's smallest eigenvalue, so it lies in (0, min Mᵢᵢ]
        Assert.True(sigmaMin2 > 0 && sigmaMin2 <= Enumerable.Range(0, 3).Min(i => m[i, i]));
    }

    [Fact]
    public void Nash_mtl_solves_the_bargaining_equation()
    {
        using var scope = NewDisposeScope();
        using (var two = new LinearTasks([[1, 0], [0, 2]]))
        using (var method = Run("nash_mtl", two))
        {
            // orthogonal: αᵢ = 1/‖gᵢ‖ for GᵀG; normalised by ‖GᵀG‖_F = √17, α scales by 17^¼
            var s = Math.Pow(17, 0.25);
            Expect.Close([s, s / 2], method.Weights, 1e-7);
            Expect.Close([s, s], two.ThetaGrad, 1e-7);
            Expect.Close([s, s / 2], two.HeadGrad, 1e-7);
        }
        var random = new Random(3);
        for (var trial = 0; trial < 20; trial++)
        {
            var k = 2 + trial % 3;
            var g = Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, 5).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
            var m = Gram(g);
            var alpha = NashMTL.Bargaining(m);
            for (var i = 0; i < k; i++)
            {
                Assert.True(alpha[i] > 0);
                var ma = Enumerable.Range(0, k).Sum(j => m[i, j] * alpha[j]);
                Expect.Close(1 / alpha[i], ma, 1e-9, $"trial {trial}, (Mα)[{i}]");
            }
        }
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(1.0)]
    public void GradDrop_leak_lets_that_share_of_every_gradient_through(double leak)
    {
        // the paper's update Σᵢ (ℓ + (1 − ℓ)Mᵢ)gᵢ, with the masks and draws of the leak-free test
        double[][] a = [[1, -2, 3, 0.5, -1], [-1, -1, 1, 0.5, 0], [2, 1, -3, 0.5, 0]];
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks(a);
        using var method = (GradDrop)Run("graddrop", tasks, new Dictionary<string, object> { ["leak"] = leak }, seed: 21);
        Assert.Equal(leak, method.Leak);

        var random = new Random(21);
        var expected = new double[5];
        for (var e = 0; e < 5; e++)
        {
            var purity = 0.5 * (1 + a.Sum(g => g[e]) / (a.Sum(g => Math.Abs(g[e])) + 1e-7));
            var u = random.NextDouble();
            foreach (var g in a)
            {
                var mask = (purity > u && g[e] > 0) || (purity < u && g[e] < 0) ? 1 : 0;
                expected[e] += (leak + (1 - leak) * mask) * g[e];
            }
        }
        Expect.Close(expected, tasks.ThetaGrad, 1e-12);
        if (leak == 1)
        {
            Expect.Close([2, -2, 1, 1.5, -1], tasks.ThetaGrad, 1e-12);  // the plain sum
            Expect.Close([1, 1, 1], method.Weights);
        }
        else
        {
            Assert.All(method.Weights, w => Assert.True(double.IsNaN(w)));
        }
        Expect.Close([1, 1, 1], tasks.HeadGrad);
    }

    [Fact]
    public void Nash_mtl_update_every_reuses_the_last_weights_between_solves()
    {
        using var scope = NewDisposeScope();
        using var first = new LinearTasks([[1, 0], [0, 2]]);
        using var second = new LinearTasks([[1, 0], [0, 1]]);
        using var method = (NashMTL)TaskWeighting.Create("nash_mtl", [1, 1], new Dictionary<string, object> { ["update_every"] = 2 });
        Assert.Equal(2, method.UpdateEvery);
        var s = Math.Pow(17, 0.25);
        var context = first.Context();

        // step 0 solves on g = (1, 0), (0, 2): α = (s, s/2), as in the one-step test
        method.Backward(first.Losses(), context);
        Expect.Close([s, s / 2], method.Weights, 1e-7);

        // step 1 reuses α on other gradients: Σ αᵢaᵢ and αᵢ on the heads, no solve
        context = second.Context();
        context.Step = 1;
        method.Backward(second.Losses(), context);
        Expect.Close([s, s / 2], method.Weights, 1e-7);
        Expect.Close([s, s / 2], second.ThetaGrad, 1e-7);
        Expect.Close([s, s / 2], second.HeadGrad, 1e-7);

        // step 2 solves again, now on (1, 0), (0, 1): M = I/√2, αᵢ = 2^¼
        second.ZeroGrad();
        context.Step = 2;
        method.Backward(second.Losses(), context);
        Expect.Close([Math.Pow(2, 0.25), Math.Pow(2, 0.25)], method.Weights, 1e-7);
        Expect.Close([Math.Pow(2, 0.25), Math.Pow(2, 0.25)], second.ThetaGrad, 1e-7);
    }

    [Fact]
    public void Nash_mtl_solves_when_a_task_has_no_weight_yet_and_resumes_mid_cycle()
    {
        using var scope = NewDisposeScope();
        using var first = new LinearTasks([[1, 0], [0, 2]]);
        using var second = new LinearTasks([[1, 0], [0, 1]]);
        var options = new Dictionary<string, object> { ["update_every"] = 3 };
        using var method = TaskWeighting.Create("nash_mtl", [1, 1], options);
        var context = first.Context();
        method.Backward(first.Losses(absent: 1), context);  // step 0: only task 0 gets an α
        Expect.Close(1, method.Weights[0], 1e-7);           // alone: M = (1 + 1e-8), α = 1/√M
        context.Step = 1;
        method.Backward(first.Losses(), context);           // task 1 has none: solve off-cycle
        var s = Math.Pow(17, 0.25);
        Expect.Close([s, s / 2], method.Weights, 1e-7);

        // a resumed copy reuses the saved α at step 2 and solves at step 3, as the original does
        using var resumed = TaskWeighting.Create("nash_mtl", [1, 1], options);
        resumed.load_state_dict(method.state_dict());
        foreach (var m in new[] { method, resumed })
        {
            var c = second.Context();
            c.Step = 2;
            m.Backward(second.Losses(), c);
            Expect.Close([s, s / 2], m.Weights, 1e-7);
            c.Step = 3;
            m.Backward(second.Losses(), c);
            Expect.Close([Math.Pow(2, 0.25), Math.Pow(2, 0.25)], m.Weights, 1e-7);
        }
        Assert.Equal(method.state_dict(), resumed.state_dict());
    }

    /// <summary>IMTL on θ = (1, 1), heads (1, 1), a = ((1, 0), (0, 2)) with fixed weights (1, 2): L = (2, 6) after the fixed weights.</summary>
    private static (IMTL Method, LinearTasks Tasks, double Value) ImtlStep(string mode, double[] s)
    {
        var tasks = new LinearTasks([[1, 0], [0, 2]], theta: [1, 1], heads: [1, 1]);
        var method = (IMTL)TaskWeighting.Create("imtl", [1, 2], new Dictionary<string, object> { ["mode"] = mode });
        var context = tasks.Context();
        method.Attach(context);
        using (no_grad()) method.Scales!.copy_(tensor(s));
        var value = method.Backward(tasks.Losses(), context);
        return (method, tasks, value);
    }

    [Fact]
    public void Imtl_hybrid_balances_the_gradients_of_the_learned_loss_scales()
    {
        using var scope = NewDisposeScope();
        double[] s = [0.5, -0.2];
        var (method, tasks, value) = ImtlStep("hybrid", s);
        using var _ = method;
        using var __ = tasks;
        Assert.Equal("hybrid", method.Mode);
        double[] l = [2, 6];
        double[] e = [Math.Exp(s[0]), Math.Exp(s[1])];
        // scaled losses eˢⁱLᵢ − sᵢ; their θ-gradients g'₁ = e^{s₁}(1, 0), g'₂ = e^{s₂}·2·(0, 2) are
        // orthogonal, so equal projections αᵢ‖g'ᵢ‖ with Σα = 1 give αᵢ ∝ 1/‖g'ᵢ‖
        double[] norm = [e[0], 4 * e[1]];
        var total = 1 / norm[0] + 1 / norm[1];
        double[] alpha = [1 / norm[0] / total, 1 / norm[1] / total];
        Expect.Close([alpha[0] * e[0], 0 + alpha[1] * e[1] * 2 * 2], tasks.ThetaGrad, 1e-12);
        Expect.Close([alpha[0] * e[0], alpha[1] * e[1] * 2], method.Weights, 1e-12);  // factors on ∇Lᵢ of the unscaled losses
        Expect.Close([e[0], 2 * e[1]], tasks.HeadGrad, 1e-12);                     // heads: Σ (eˢⁱLᵢ − sᵢ)
        Expect.Close([e[0] * l[0] - 1, e[1] * l[1] - 1], method.Scales!.grad!.data<double>(), 1e-12);
        Expect.Close(e[0] * l[0] - s[0] + e[1] * l[1] - s[1], value, 1e-12);
        Assert.Same(method.Scales, Assert.Single(method.parameters()));
    }

    [Fact]
    public void Imtl_loss_mode_backpropagates_the_scaled_losses_and_gradient_mode_has_no_scales()
    {
        using var scope = NewDisposeScope();
        double[] s = [0.5, -0.2];
        var (method, tasks, value) = ImtlStep("loss", s);
        using var _ = method;
        using var __ = tasks;
        double[] l = [2, 6];
        double[] e = [Math.Exp(s[0]), Math.Exp(s[1])];
        Expect.Close([e[0] * 1, e[1] * 2 * 2], tasks.ThetaGrad, 1e-12);
        Expect.Close([e[0], 2 * e[1]], method.Weights, 1e-12);
        Expect.Close([e[0], 2 * e[1]], tasks.HeadGrad, 1e-12);
        Expect.Close([e[0] * l[0] - 1, e[1] * l[1] - 1], method.Scales!.grad!.data<double>(), 1e-12);
        Expect.Close(e[0] * l[0] - s[0] + e[1] * l[1] - s[1], value, 1e-12);

        using var gradient = (IMTL)TaskWeighting.Create("imtl", [1, 2], Gradient);
        Assert.Null(gradient.Scales);
        Assert.Empty(gradient.parameters());
    }

    [Fact]
    public void Imtl_hybrid_at_zero_scales_is_imtl_g_and_the_scales_settle_where_every_scaled_loss_is_one()
    {
        using var scope = NewDisposeScope();
        double[][] a = [[1, 0.5, 0], [-2, 1, 0.3], [0.2, -0.4, 3]];
        using var tasks = new LinearTasks(a, theta: [1, 1, 1], heads: [3, 3, 3]);
        using var hybrid = (IMTL)TaskWeighting.Create("imtl", [1, 1, 1], NoOptions);
        using var gradient = TaskWeighting.Create("imtl", [1, 1, 1], Gradient);
        var context = tasks.Context();
        hybrid.Attach(context);
        gradient.Backward(tasks.Losses(), context);
        var expected = gradient.Weights.ToArray();
        tasks.ZeroGrad();
        hybrid.Backward(tasks.Losses(), context);
        Expect.Close(expected, hybrid.Weights, 1e-12);

        // gradient descent on s alone (θ fixed): ∂/∂sᵢ = eˢⁱLᵢ − 1 vanishes at sᵢ = −log Lᵢ
        for (var step = 0; step < 300; step++)
        {
            hybrid.Scales!.zero_grad();
            hybrid.Backward(tasks.Losses(), context);
            using (no_grad()) hybrid.Scales.sub_(hybrid.Scales.grad! * 0.1);
        }
        using var losses = stack(tasks.Losses().Select(l => l!).ToArray()).detach();
        Expect.Close(losses.data<double>().Select(l => -Math.Log(l)).ToArray(), hybrid.Scales!.detach().data<double>(), 1e-9);
    }

    /// <summary>MGDA's closed form for two gradients: α₁ = clip((g₂ − g₁)·g₂ / ‖g₁ − g₂‖², 0, 1).</summary>
    private static double[] TwoTaskMinNorm(double[] g1, double[] g2)
    {
        var d = g2.Zip(g1, (x, y) => x - y).ToArray();
        var a1 = Math.Clamp(d.Zip(g2, (x, y) => x * y).Sum() / d.Sum(x => x * x), 0, 1);
        return [a1, 1 - a1];
    }

    [Theory]
    [InlineData("none")]
    [InlineData("l2")]
    [InlineData("loss")]
    [InlineData("loss_plus")]
    public void Mgda_normalization_solves_on_normalised_gradients_and_weights_the_plain_losses(string normalization)
    {
        // θ = (1, 1), heads (1, 1): L = (2, 2.5), g = (1, 0), (0.5, 1)
        using var scope = NewDisposeScope();
        double[][] a = [[1, 0], [0.5, 1]];
        using var tasks = new LinearTasks(a, theta: [1, 1], heads: [1, 1]);
        using var method = (MGDA)Run("mgda", tasks, new Dictionary<string, object> { ["normalization"] = normalization });
        Assert.Equal(normalization, method.Normalization);
        double[] l = [2, 2.5];
        double[] norm = [1, Math.Sqrt(1.25)];
        var n = normalization switch
        {
            "none" => new[] { 1.0, 1.0 },
            "l2" => norm,
            "loss" => l,
            _ => [l[0] * norm[0], l[1] * norm[1]],
        };
        var alpha = TwoTaskMinNorm(a[0].Select(x => x / n[0]).ToArray(), a[1].Select(x => x / n[1]).ToArray());
        Expect.Close(alpha, method.Weights, 1e-12);
        Expect.Close(tasks.Combination(alpha), tasks.ThetaGrad, 1e-12);
        Expect.Close(alpha, tasks.HeadGrad, 1e-12);
        var byHand = normalization switch
        {
            "none" => new[] { 0.6, 0.4 },   // ((g₂ − g₁)·g₂)/‖g₁ − g₂‖² = 0.75/1.25
            "l2" => [0.5, 0.5],             // unit vectors: always the midpoint
            "loss" => [0.4, 0.6],           // ĝ = (0.5, 0), (0.2, 0.4): 0.1/0.25
            _ => alpha,
        };
        Expect.Close(byHand, alpha, 1e-12);
    }

    [Fact]
    public void Mgda_loss_normalization_needs_positive_losses()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0.5, 1]]);  // θ = 0, heads 0: L = (0, 0)
        using var method = TaskWeighting.Create("mgda", [1, 1], new Dictionary<string, object> { ["normalization"] = "loss_plus" });
        Assert.Contains("positive losses", Assert.Throws<InvalidOperationException>(() => method.Backward(tasks.Losses(), tasks.Context())).Message);
        using var l2 = TaskWeighting.Create("mgda", [1, 1], new Dictionary<string, object> { ["normalization"] = "l2" });
        l2.Backward(tasks.Losses(), tasks.Context());  // l2 does not look at the losses
        Expect.Close([0.5, 0.5], l2.Weights, 1e-12);
    }

    private static double[,] Gram(double[][] g)
    {
        var m = new double[g.Length, g.Length];
        for (var i = 0; i < g.Length; i++)
        {
            for (var j = 0; j < g.Length; j++) m[i, j] = g[i].Zip(g[j], (x, y) => x * y).Sum();
        }
        return m;
    }

    private static double[,] Multiply(double[,] x, double[,] y)
    {
        var n = x.GetLength(0);
        var r = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                for (var k = 0; k < n; k++) r[i, j] += x[i, k] * y[k, j];
            }
        }
        return r;
    }
}
