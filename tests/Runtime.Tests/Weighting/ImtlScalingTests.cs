using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// Hybrid IMTL applies its learned scales at the gradients: each per-task pass starts from the
/// plain loss Lᵢ with e^{sᵢ} as its gradient, and the scales get e^{sᵢ}Lᵢ − 1 from the losses'
/// values, instead of differentiating through e^{sᵢ}Lᵢ − sᵢ. Checked against that definition
/// written out: IMTL-G (<c>mode: gradient</c>, no scales of its own) run on the scaled losses
/// e^{sᵢ}Lᵢ − sᵢ built in the test, and the scales' gradient taken by autograd from
/// Σ (e^{sᵢ}Lᵢ − sᵢ). A float32 network, both gradient modes, all tasks or one missing (the
/// scales of the present tasks only), and a second step without zeroing (the gradients accumulate).
/// The results are equal bit for bit: the passes do the same arithmetic in the same order, the
/// factor e^{sᵢ} entering as the gradient of Lᵢ instead of through the product's backward.
/// </summary>
public sealed class ImtlScalingTests
{
    private static readonly double[] Fixed = [1, 2, 0.5];

    /// <summary>Trunk layer_norm(tanh(XWᵀ + b)) → [6, 5]; three heads zvᵢ + cᵢ with Lᵢ = mean((zvᵢ + cᵢ − yᵢ)²).</summary>
    private sealed class Net : IDisposable
    {
        public readonly Parameter W = new(randn([5, 4]));
        public readonly Parameter B = new(randn([5]));
        public readonly Parameter[] V = [.. Enumerable.Range(0, 3).Select(_ => new Parameter(randn([5, 1])))];
        public readonly Parameter[] C = [.. Enumerable.Range(0, 3).Select(_ => new Parameter(randn([1])))];
        public readonly Tensor X = randn([6, 4]).DetachFromDisposeScope();
        public readonly Tensor[] Y = [.. Enumerable.Range(0, 3).Select(i => (randn([6, 1]) * (i + 1)).DetachFromDisposeScope())];

        public Parameter[] Shared => [W, B];

        public Parameter[] Heads => [.. V, .. C];

        public Tensor Trunk() => nn.functional.layer_norm(X.mm(W.t()).add(B).tanh(), [5]);

        public Tensor?[] Losses(Tensor z, int missing) =>
            [.. Enumerable.Range(0, 3).Select(i => i == missing ? null : (Tensor?)z.mm(V[i]).add(C[i]).sub(Y[i]).square().mean())];

        public void Dispose()
        {
            foreach (var p in Shared.Concat(Heads)) p.Dispose();
            X.Dispose();
            foreach (var y in Y) y.Dispose();
        }
    }

    private static WeightingContext Context(Net net) => new()
    {
        TaskNames = ["a", "b", "c"], SharedParameters = net.Shared, TaskParameters = net.Heads, LastSharedLayer = net.Shared, Random = new Random(1),
    };

    private static double[] Grad(Tensor p) => p.grad is { } g ? g.to(float64).flatten().data<double>().ToArray() : [];

    [Theory]
    [InlineData("parameters", -1)]
    [InlineData("parameters", 1)]
    [InlineData("representation", -1)]
    [InlineData("representation", 0)]
    public void Hybrid_scales_at_the_gradients_equal_differentiating_the_scaled_losses(string gradients, int missing)
    {
        manual_seed(21);
        using var scope = NewDisposeScope();
        using var net = new Net();
        using var hybrid = (IMTL)TaskWeighting.Create("imtl", Fixed, new Dictionary<string, object> { [WeightingCatalog.Gradients] = gradients });
        using var reference = TaskWeighting.Create("imtl", [1, 1, 1], new Dictionary<string, object> { ["mode"] = "gradient", [WeightingCatalog.Gradients] = gradients });
        var context = Context(net);
        hybrid.Attach(context);
        double[] s = [0.4, -0.7, 1.1];
        using (no_grad()) hybrid.Scales!.copy_(tensor(s).to(float32));
        using var scales = new Parameter(tensor(s).to(float32));
        Parameter[] model = [.. net.Shared, .. net.Heads];
        double[][] expectedModel = [.. model.Select(_ => Array.Empty<double>())];
        double[] expectedScales = [];

        // Two steps without zeroing: the second adds onto the first's gradients in both.
        for (var step = 0; step < 2; step++)
        {
            var before = model.Select(p => p.grad?.detach().clone()).ToArray();
            var scalesBefore = scales.grad?.detach().clone();

            // The definition: the scaled losses e^{sᵢ}(wᵢLᵢ) − sᵢ, their gradients by autograd.
            var z = net.Trunk();
            context.SharedRepresentation = z;
            var plain = net.Losses(z, missing);
            var scaled = plain.Select((l, i) => l is null ? null : (Tensor?)(scales[i].exp() * (Fixed[i] == 1 ? l : l * Fixed[i]) - scales[i])).ToArray();
            var present = scaled.Where(l => l is not null).Select(l => l!).ToArray();
            var total = present.Skip(1).Aggregate(present[0], (a, b) => a + b);
            var scalesGrad = autograd.grad([total], [scales], retain_graph: true)[0]!;
            scales.grad = scalesBefore is null ? scalesGrad : scalesBefore + scalesGrad;
            var referenceValue = reference.Backward(scaled, context);
            expectedModel = [.. model.Select(Grad)];
            expectedScales = Grad(scales);
            var referenceWeights = reference.Weights.Select((a, i) => double.IsNaN(a) ? a : a * Math.Exp((float)s[i]) * Fixed[i]).ToArray();

            // The same step with hybrid IMTL, from the same gradients before it.
            for (var j = 0; j < model.Length; j++) model[j].grad = before[j];
            z = net.Trunk();
            context.SharedRepresentation = z;
            var value = hybrid.Backward(net.Losses(z, missing), context);

            for (var j = 0; j < model.Length; j++) Expect.Close(expectedModel[j], Grad(model[j]), 0, $"parameter {j}, step {step}");
            Expect.Close(expectedScales, Grad(hybrid.Scales!), 0, $"scales, step {step}");
            Expect.Close(referenceWeights, hybrid.Weights, 0, $"weights, step {step}");
            Expect.Close(referenceValue, value, 0, $"value, step {step}");
            if (missing >= 0) Assert.Equal(0.0, Grad(hybrid.Scales!)[missing]);
            context.Step++;
        }
    }
}
