using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// Every method on a small float32 network: a shared linear trunk (weight and bias) plus a shared
/// parameter no loss uses, and two linear heads. Whatever the method, the gradient written into
/// the shared parameters must be Σ wᵢ∇Lᵢ with the weights it reports, laid out parameter by
/// parameter, and the heads must get Σ hᵢ∇Lᵢ.
/// </summary>
public sealed class NetworkTests
{
    /// <summary>Methods that give the heads the plain Σ Lᵢ.</summary>
    private static readonly HashSet<string> UnweightedHeads = ["pcgrad", "cagrad", "imtl", "graddrop", "gradvac", "aligned_mtl"];

    public static TheoryData<string> LinearMethods() => [.. TaskWeighting.Names.Where(n => n != "graddrop")];

    private sealed class Net : IDisposable
    {
        public readonly Linear Trunk = nn.Linear(3, 4);
        public readonly Parameter Unused = new(zeros(2));
        public readonly Linear[] Heads = [nn.Linear(4, 1), nn.Linear(4, 1)];
        public readonly Tensor X = randn(5, 3).DetachFromDisposeScope();
        public readonly Tensor[] Y = [randn(5, 1).DetachFromDisposeScope(), randn(5, 1).DetachFromDisposeScope()];

        public Parameter[] Shared => [.. Trunk.parameters(), Unused];

        public Parameter[] TaskParameters => [.. Heads.SelectMany(h => h.parameters())];

        public (Tensor Z, Tensor?[] Losses) Forward()
        {
            var z = Trunk.forward(X).tanh();
            return (z, [nn.functional.mse_loss(Heads[0].forward(z), Y[0]) + 1, nn.functional.mse_loss(Heads[1].forward(z), Y[1]) + 1]);
        }

        public void Dispose()
        {
            Trunk.Dispose();
            Unused.Dispose();
            foreach (var h in Heads) h.Dispose();
            X.Dispose();
            foreach (var y in Y) y.Dispose();
        }
    }

    private static float[] Flat(IEnumerable<Tensor?> grads, IEnumerable<Parameter> parameters) =>
        [.. grads.Zip(parameters, (g, p) => (g ?? zeros_like(p)).flatten().data<float>()).SelectMany(v => v)];

    [Theory]
    [MemberData(nameof(LinearMethods))]
    public void Shared_gradient_is_the_reported_combination_of_the_task_gradients(string name)
    {
        manual_seed(3);
        using var scope = NewDisposeScope();
        using var net = new Net();
        using var method = TaskWeighting.Create(name, [1, 2], new Dictionary<string, object>());
        var context = new WeightingContext
        {
            TaskNames = ["a", "b"], SharedParameters = net.Shared, TaskParameters = net.TaskParameters,
            LastSharedLayer = [net.Trunk.weight], Random = new Random(4),
        };
        method.Attach(context);
        var (z, losses) = net.Forward();
        context.SharedRepresentation = z;
        method.Backward(losses, context);
        var w = method.Weights;
        Assert.All(w, v => Assert.True(double.IsFinite(v)));

        var (_, again) = net.Forward();
        var shared = new double[Flat(net.Shared.Select(p => (Tensor?)null), net.Shared).Length];
        var heads = new double[Flat(net.TaskParameters.Select(p => (Tensor?)null), net.TaskParameters).Length];
        for (var i = 0; i < 2; i++)
        {
            // the reported weights include the fixed weights, so they apply to the unscaled Lᵢ
            var unit = again[i]!;
            var gs = Flat(autograd.grad(unit, net.Shared, retain_graph: true, allow_unused: true), net.Shared);
            var gh = Flat(autograd.grad(unit, net.TaskParameters, retain_graph: true, allow_unused: true), net.TaskParameters);
            var h = UnweightedHeads.Contains(name) ? (i == 0 ? 1 : 2) : w[i];
            for (var e = 0; e < gs.Length; e++) shared[e] += w[i] * gs[e];
            for (var e = 0; e < gh.Length; e++) heads[e] += h * gh[e];
        }
        Expect.Close(shared, Flat(net.Shared.Select(p => p.grad), net.Shared).Select(v => (double)v).ToArray(), 1e-5, "shared");
        Expect.Close(heads, Flat(net.TaskParameters.Select(p => p.grad), net.TaskParameters).Select(v => (double)v).ToArray(), 1e-5, "heads");
        Assert.True(net.Unused.grad is null || net.Unused.grad.abs().sum().item<float>() == 0);
    }
}
