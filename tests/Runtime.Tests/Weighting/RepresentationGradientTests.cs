using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// <c>gradients: representation</c>: the task gradients are those of the shared representation z,
/// the method combines them into a gradient d of z, the trunk gets (∂z/∂θ)ᵀd from one backward
/// pass and the heads Σ hᵢ∇Lᵢ. Checked on a float64 network (trunk tanh(XWᵀ + b), three linear
/// heads with squared errors) against the same method run on a leaf copy of z, whose gradient is
/// d, backpropagated through the trunk by hand; and, on a trunk where z is its weights laid out
/// again (z = XWᵀ with X = I), against parameter mode, which must then agree. GradDrop is the
/// exception: at z it is the paper's activation form (per feature, batch-sign corrected), checked
/// by hand on its own.
/// </summary>
public sealed class RepresentationGradientTests
{
    private static readonly string[] Methods = [.. WeightingCatalog.RepresentationMethods];

    /// <summary>Every method but GradDrop, with the options whose code paths the defaults do not take.</summary>
    public static TheoryData<string, string, object?> Cases()
    {
        var data = new TheoryData<string, string, object?>();
        foreach (var name in Methods.Where(n => n != "graddrop")) data.Add(name, "", null);
        data.Add("imtl", "mode", "gradient");
        data.Add("imtl", "mode", "loss");
        data.Add("mgda", "normalization", "l2");
        data.Add("mgda", "normalization", "loss_plus");
        return data;
    }

    private static Dictionary<string, object> Options(string option, object? value, string gradients)
    {
        var options = new Dictionary<string, object> { [WeightingCatalog.Gradients] = gradients };
        if (value is not null) options[option] = value;
        return options;
    }

    /// <summary>tanh(XWᵀ + b) → [5, 4], three heads zvᵢ + cᵢ with Lᵢ = mean((zvᵢ + cᵢ − yᵢ)²) + 1.</summary>
    private sealed class Net : IDisposable
    {
        public readonly Parameter W = new(randn([4, 3], dtype: float64));
        public readonly Parameter B = new(randn([4], dtype: float64));
        public readonly Parameter[] V = [.. Enumerable.Range(0, 3).Select(_ => new Parameter(randn([4, 1], dtype: float64)))];
        public readonly Parameter[] C = [.. Enumerable.Range(0, 3).Select(_ => new Parameter(randn([1], dtype: float64)))];
        public readonly Tensor X = randn([5, 3], dtype: float64).DetachFromDisposeScope();
        public readonly Tensor[] Y = [.. Enumerable.Range(0, 3).Select(_ => randn([5, 1], dtype: float64).DetachFromDisposeScope())];

        public Parameter[] Shared => [W, B];

        public Parameter[] Heads => [.. V, .. C];

        public Tensor Trunk() => X.mm(W.t()).add(B).tanh();

        public Tensor?[] Losses(Tensor z) =>
            [.. Enumerable.Range(0, 3).Select(i => (Tensor?)(z.mm(V[i]).add(C[i]).sub(Y[i]).square().mean() + 1))];

        public void Dispose()
        {
            foreach (var p in Shared.Concat(Heads)) p.Dispose();
            X.Dispose();
            foreach (var y in Y) y.Dispose();
        }
    }

    private static WeightingContext Context(IReadOnlyList<Parameter> shared, IReadOnlyList<Parameter> heads, int seed) => new()
    {
        TaskNames = ["a", "b", "c"], SharedParameters = shared, TaskParameters = heads, LastSharedLayer = shared, Random = new Random(seed),
    };

    private static double[] Grad(Tensor p) => p.grad is { } g ? g.to(float64).flatten().data<double>().ToArray() : [];

    private static void ZeroGrad(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters) p.zero_grad();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Representation_mode_is_the_method_on_the_gradients_of_z_backpropagated_through_the_trunk_once(string name, string option, object? value)
    {
        manual_seed(11);
        using var scope = NewDisposeScope();
        using var net = new Net();
        using var method = TaskWeighting.Create(name, [1, 0.5, 2], Options(option, value, WeightingCatalog.Representation));
        using var reference = TaskWeighting.Create(name, [1, 0.5, 2], Options(option, value, WeightingCatalog.Parameters));
        Assert.Equal(WeightingCatalog.Representation, ((GradientWeighting)method).Gradients);
        var context = Context(net.Shared, net.Heads, seed: 3);
        method.Attach(context);
        using var leaf = new Parameter(zeros([5, 4], dtype: float64));
        var referenceContext = Context([leaf], net.Heads, seed: 3);
        reference.Attach(referenceContext);

        // Several steps without updates: GradVac's targets move, Nash-MTL reuses its weights on odd steps.
        for (var step = 0; step < 3; step++)
        {
            ZeroGrad([.. net.Shared, .. net.Heads, .. method.parameters()]);
            var z = net.Trunk();
            context.SharedRepresentation = z;
            var total = method.Backward(net.Losses(z), context);
            var trunk = net.Shared.Select(Grad).ToArray();
            var heads = net.Heads.Select(Grad).ToArray();
            var own = method.parameters().Select(Grad).ToArray();
            var weights = method.Weights.ToArray();

            // The same method in parameter mode on a leaf copy of z: its "shared gradient" is d.
            ZeroGrad([.. net.Shared, .. net.Heads, .. reference.parameters(), leaf]);
            using (no_grad()) leaf.copy_(net.Trunk());
            var referenceTotal = reference.Backward(net.Losses(leaf), referenceContext);
            var d = leaf.grad!.detach().clone();
            var byHand = autograd.grad([net.Trunk()], net.Shared, grad_outputs: [d]);

            Expect.Close(weights, reference.Weights, 1e-12, $"weights, step {step}");
            Assert.Equal(referenceTotal, total, 12);
            for (var j = 0; j < trunk.Length; j++)
            {
                Expect.Close(byHand[j]!.flatten().data<double>().ToArray(), trunk[j], 1e-6, $"trunk {j}, step {step}");
            }
            for (var j = 0; j < heads.Length; j++) Expect.Close(Grad(net.Heads[j]), heads[j], 1e-6, $"head {j}, step {step}");
            var referenceOwn = reference.parameters().Select(Grad).ToArray();
            for (var j = 0; j < own.Length; j++) Expect.Close(referenceOwn[j], own[j], 1e-6, $"own {j}, step {step}");
            context.Step++;
            referenceContext.Step++;
        }
    }

    /// <summary>K = 2 by hand: z's gradients gᵢ from autograd, the method's closed form, then (∂z/∂θ)ᵀd.</summary>
    [Theory]
    [InlineData("mgda")]
    [InlineData("graddrop")]
    public void Two_tasks_by_hand(string name)
    {
        manual_seed(5);
        using var scope = NewDisposeScope();
        using var net = new Net();
        var options = new Dictionary<string, object> { [WeightingCatalog.Gradients] = WeightingCatalog.Representation };
        if (name == "graddrop") options["leak"] = 1.0;
        using var method = TaskWeighting.Create(name, [1, 1], options);
        Parameter[] heads = [net.V[0], net.V[1], net.C[0], net.C[1]];
        var context = new WeightingContext { TaskNames = ["a", "b"], SharedParameters = net.Shared, TaskParameters = heads, Random = new Random(1) };
        var z = net.Trunk();
        context.SharedRepresentation = z;
        var losses = net.Losses(z);
        method.Backward([losses[0], losses[1]], context);

        var z2 = net.Trunk();
        var again = net.Losses(z2);
        var g1 = autograd.grad(again[0]!, [z2], retain_graph: true)[0]!.flatten().data<double>().ToArray();
        var g2 = autograd.grad(again[1]!, [z2], retain_graph: true)[0]!.flatten().data<double>().ToArray();
        double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
        double[] w;
        double[] h;  // the heads' factors
        switch (name)
        {
            case "mgda":
                // α₁ = clip((g₂−g₁)·g₂ / ‖g₁−g₂‖², 0, 1); heads get Σ αᵢ∇Lᵢ
                var a1 = Math.Clamp((Dot(g2, g2) - Dot(g1, g2)) / (Dot(g1, g1) - 2 * Dot(g1, g2) + Dot(g2, g2)), 0, 1);
                w = [a1, 1 - a1];
                h = w;
                break;
            default:
                // leak 1: every gradient passes whole, d = g₁ + g₂
                w = [1, 1];
                h = [1, 1];
                break;
        }
        Expect.Close(w, method.Weights, 1e-9, "weights");
        var d = g1.Zip(g2, (x, y) => w[0] * x + w[1] * y).ToArray();
        var expected = autograd.grad([z2], net.Shared, grad_outputs: [tensor(d).reshape(5, 4)], retain_graph: true);
        Expect.Close(expected[0]!.flatten().data<double>().ToArray(), Grad(net.W), 1e-6, "W");
        Expect.Close(expected[1]!.flatten().data<double>().ToArray(), Grad(net.B), 1e-6, "b");
        var headObjective = again[0]! * h[0] + again[1]! * h[1];
        var headGrads = autograd.grad(headObjective, heads);
        for (var j = 0; j < heads.Length; j++) Expect.Close(headGrads[j]!.flatten().data<double>().ToArray(), Grad(heads[j]), 1e-6, $"head {j}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Where_z_is_the_trunks_weights_laid_out_again_both_modes_agree(string name, string option, object? value)
    {
        // z = XWᵀ with X = I₄ and W of shape [1, 4]: ∂Lᵢ/∂W[0, k] = ∂Lᵢ/∂z[k, 0], the same values
        // in the same order, so every method sees the same rows in both modes.
        using var scope = NewDisposeScope();
        using var w = new Parameter(tensor([0.3, -1.2, 0.7, 0.1]).reshape(1, 4));
        Parameter[] heads = [.. Enumerable.Range(0, 3).Select(i => new Parameter(tensor([1.0 - i, 0.5 * i - 0.2])))];
        var y = tensor([1.0, -2.0, 0.5, 3.0]).reshape(4, 1);
        var x = eye(4, dtype: float64);
        Tensor?[] Losses(Tensor z) => [.. heads.Select((h, i) => (Tensor?)(z.mul(h[0]).add(h[1]).sub(y * (i + 1.0)).square().mean() + 1))];
        var results = new List<double[][]>();
        foreach (var gradients in new[] { WeightingCatalog.Parameters, WeightingCatalog.Representation })
        {
            using var method = TaskWeighting.Create(name, [1, 0.5, 2], Options(option, value, gradients));
            var context = Context([w], heads, seed: 8);
            method.Attach(context);
            var steps = new List<double[]>();
            for (var step = 0; step < 3; step++)
            {
                ZeroGrad([w, .. heads, .. method.parameters()]);
                var z = x.mm(w.t());
                context.SharedRepresentation = z;
                steps.Add([method.Backward(Losses(z), context), .. method.Weights.Select(v => double.IsNaN(v) ? -1 : v), .. Grad(w), .. heads.SelectMany(Grad), .. method.parameters().SelectMany(Grad)]);
                context.Step++;
            }
            results.Add([.. steps]);
        }
        for (var step = 0; step < 3; step++) Expect.Close(results[0][step], results[1][step], 1e-12, $"step {step}");
        foreach (var h in heads) h.Dispose();
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Graddrop_at_the_representation_is_the_papers_activation_form_by_hand(double leak)
    {
        manual_seed(17);
        using var scope = NewDisposeScope();
        using var net = new Net();
        using var method = TaskWeighting.Create("graddrop", [1, 1, 1], new Dictionary<string, object> { ["leak"] = leak, [WeightingCatalog.Gradients] = WeightingCatalog.Representation });
        var context = Context(net.Shared, net.Heads, seed: 21);
        var z = net.Trunk();
        context.SharedRepresentation = z;
        method.Backward(net.Losses(z), context);
        Assert.All(method.Weights, w => Assert.True(double.IsNaN(w)));

        // By hand, in doubles: gᵢ = ∂Lᵢ/∂z [5, 4]; Gᵢ[f] = Σ_b sign(z[b, f])·gᵢ[b, f];
        // P[f] = ½(1 + ΣᵢGᵢ[f] / (Σᵢ|Gᵢ[f]| + 1e-7)); one draw U[f] per feature, in order;
        // Mᵢ[f] = 𝟙[P > U]·𝟙[Gᵢ > 0] + 𝟙[P < U]·𝟙[Gᵢ < 0]; d[b, f] = Σᵢ (ℓ + (1 − ℓ)Mᵢ[f])·gᵢ[b, f].
        var z2 = net.Trunk();
        var again = net.Losses(z2);
        var zv = z2.detach().data<double>().ToArray();
        var g = again.Select(l => autograd.grad(l!, [z2], retain_graph: true)[0]!.data<double>().ToArray()).ToArray();
        var random = new Random(21);
        var d = new double[20];
        var masked = 0;
        for (var f = 0; f < 4; f++)
        {
            var G = g.Select(gi => Enumerable.Range(0, 5).Sum(b => Math.Sign(zv[b * 4 + f]) * gi[b * 4 + f])).ToArray();
            var p = 0.5 * (1 + G.Sum() / (G.Sum(Math.Abs) + 1e-7));
            var u = random.NextDouble();
            for (var i = 0; i < 3; i++)
            {
                var m = (p > u && G[i] > 0) || (p < u && G[i] < 0) ? 1.0 : 0.0;
                if (m == 0) masked++;
                for (var b = 0; b < 5; b++) d[b * 4 + f] += (leak + (1 - leak) * m) * g[i][b * 4 + f];
            }
        }
        Assert.True(masked > 0, "the draws should drop some task's gradient somewhere");
        var expected = autograd.grad([z2], net.Shared, grad_outputs: [tensor(d).reshape(5, 4)], retain_graph: true);
        Expect.Close(expected[0]!.flatten().data<double>().ToArray(), Grad(net.W), 1e-6, "W");
        Expect.Close(expected[1]!.flatten().data<double>().ToArray(), Grad(net.B), 1e-6, "b");
        var heads = autograd.grad(again[0]! + again[1]! + again[2]!, net.Heads);
        for (var j = 0; j < net.Heads.Length; j++) Expect.Close(heads[j]!.flatten().data<double>().ToArray(), Grad(net.Heads[j]), 1e-6, $"head {j}");
    }

    [Fact]
    public void Without_a_representation_the_step_is_an_error_naming_the_method()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);
        using var method = TaskWeighting.Create("aligned_mtl", [1, 1], new Dictionary<string, object> { [WeightingCatalog.Gradients] = WeightingCatalog.Representation });
        var error = Assert.Throws<InvalidOperationException>(() => method.Backward(tasks.Losses(), tasks.Context()));
        Assert.Equal("aligned_mtl: gradients at the shared representation, but the model returned none for this step (MultiTaskOutput.Shared is null, as when the tasks read different blocks' outputs): return the output of the one shared block every task reads as Shared, or use gradients: parameters", error.Message);
    }
}
