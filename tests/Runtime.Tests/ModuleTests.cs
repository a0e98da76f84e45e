using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>Registration, modes, device/dtype moves and state dictionaries of nn.Module.</summary>
public sealed class ModuleTests
{
    /// <summary>A trunk (Sequential), a head (Linear) and a buffer, registered by RegisterComponents.</summary>
    private sealed class Net : nn.Module<Tensor, Tensor>
    {
        public Net() : base(nameof(Net))
        {
            trunk = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5));
            head = nn.Linear(8, 2);
            scale = ones(2);
            RegisterComponents();
        }

        public Sequential trunk { get; }

        public Linear head { get; }

        public Tensor scale { get; }

        /// <summary>Not a component: RegisterComponents must skip it.</summary>
        public int width { get; } = 8;

        public override Tensor forward(Tensor input)
        {
            using var features = trunk.forward(input);
            using var logits = head.forward(features);
            return logits.mul(scale);
        }
    }

    private static readonly string[] NetParameters = ["trunk.0.weight", "trunk.0.bias", "trunk.1.weight", "trunk.1.bias", "head.weight", "head.bias"];

    private static readonly string[] NetBuffers = ["scale", "trunk.1.running_mean", "trunk.1.running_var", "trunk.1.num_batches_tracked"];

    [Fact]
    public void RegisterComponents_names_parameters_buffers_and_children_by_member_name()
    {
        using var scope = NewDisposeScope();
        using var net = new Net();
        Assert.Equal(NetParameters, net.named_parameters().Select(p => p.name));
        Assert.Equal(NetBuffers, net.named_buffers().Select(b => b.name));
        Assert.Equal(["trunk", "head"], net.named_children().Select(c => c.name));
        Assert.Equal(["", "trunk", "trunk.0", "trunk.1", "trunk.2", "trunk.3", "head"], net.named_modules().Select(m => m.name));
        Assert.Same(net.head.weight, net.named_parameters().Single(p => p.name == "head.weight").parameter);
        Assert.Equal(["scale"], net.named_buffers(recurse: false).Select(b => b.name));
        Assert.Empty(net.named_parameters(recurse: false));
    }

    /// <summary>A subclass adding a head to <see cref="Net"/>-like base members.</summary>
    private class Backbone : nn.Module<Tensor, Tensor>
    {
        public Backbone() : base(nameof(Backbone))
        {
            stem = nn.Linear(3, 4);
        }

        public Linear stem { get; }

        public override Tensor forward(Tensor input) => stem.forward(input);
    }

    private sealed class Classifier : Backbone
    {
        public Classifier()
        {
            classifier = nn.Linear(4, 2);
            RegisterComponents();
        }

        public Linear classifier { get; }
    }

    [Fact]
    public void RegisterComponents_lists_base_class_members_first()
    {
        using var scope = NewDisposeScope();
        using var model = new Classifier();
        Assert.Equal(["stem.weight", "stem.bias", "classifier.weight", "classifier.bias"], model.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void Containers_name_children_by_index_or_by_key()
    {
        using var scope = NewDisposeScope();
        using var list = nn.ModuleList(nn.Linear(2, 2), nn.Linear(2, 1, hasBias: false));
        Assert.Equal(["0.weight", "0.bias", "1.weight"], list.named_parameters().Select(p => p.name));
        using var dict = nn.ModuleDict(("encoder", (nn.Module)nn.Linear(2, 2)), ("norm", nn.LayerNorm(2)));
        Assert.Equal(["encoder.weight", "encoder.bias", "norm.weight", "norm.bias"], dict.named_parameters().Select(p => p.name));
        using var sequential = nn.Sequential(("proj", nn.Linear(2, 2)), ("act", nn.ReLU()));
        Assert.Equal(["proj.weight", "proj.bias"], sequential.named_parameters().Select(p => p.name));
        Assert.Throws<ArgumentException>(() => sequential.register_module("proj", nn.Identity()));
        Assert.Throws<ArgumentException>(() => sequential.register_module("a.b", nn.Identity()));
    }

    [Fact]
    public void A_shared_parameter_is_listed_once()
    {
        using var scope = NewDisposeScope();
        var shared = nn.Linear(3, 3);
        using var net = nn.Sequential(shared, nn.Tanh(), shared);
        Assert.Equal(["0.weight", "0.bias"], net.named_parameters().Select(p => p.name));
    }

    /// <summary>A layer that hands its argument back (as a PyTorch module may: <c>return input</c>).</summary>
    private sealed class PassThrough() : nn.Module<Tensor, Tensor>(nameof(PassThrough))
    {
        public override Tensor forward(Tensor input) => input;
    }

    [Fact]
    public void Sequential_never_disposes_the_callers_input()
    {
        using var scope = NewDisposeScope();
        using var model = nn.Sequential(new PassThrough(), nn.Tanh(), new PassThrough(), nn.Sigmoid());
        var x = randn(2, 3);
        var y = model.forward(x);
        Assert.False(x.IsDisposed, "Sequential disposed the tensor its caller passed in");
        Assert.True(y.allclose(x.tanh().sigmoid()));
    }

    /// <summary>A nested Sequential with Dropout and BatchNorm deep inside.</summary>
    private static Sequential Nested(out Dropout dropout, out BatchNorm1d norm)
    {
        dropout = nn.Dropout(0.9);
        norm = nn.BatchNorm1d(20);
        return nn.Sequential(("block", nn.Sequential(("inner", nn.Sequential(dropout)), ("norm", norm))), ("act", nn.Tanh()));
    }

    [Fact]
    public void Eval_reaches_every_descendant_and_train_restores_them()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = Nested(out var dropout, out var norm);
        var x = randn(64, 20);

        model.eval();
        Assert.All(model.modules(), m => Assert.False(m.training, $"{m} is still in training mode after eval()"));
        using (var y = dropout.forward(x))
        {
            Assert.True(y.equal(x), "Dropout in eval mode is the identity");
        }
        using (var before = norm.running_mean!.clone())
        using (var y = model.forward(x))
        {
            Assert.True(norm.running_mean.equal(before), "BatchNorm in eval mode leaves its running mean alone");
            Assert.Equal(0L, norm.num_batches_tracked!.item<long>());
            // Eval BatchNorm uses running stats (0, 1): y = tanh(x / sqrt(1 + eps)).
            Assert.True(y.allclose(x.div(Math.Sqrt(1 + 1e-5)).tanh(), rtol: 1e-5, atol: 1e-6));
        }

        model.train();
        Assert.All(model.modules(), m => Assert.True(m.training, $"{m} is still in eval mode after train()"));
        using (var y = dropout.forward(x))
        {
            var zeros = y.eq(0.0).to(ScalarType.Float32).mean().item<float>();
            Assert.InRange(zeros, 0.8f, 0.97f);
        }
        model.forward(x).Dispose();
        Assert.Equal(1L, norm.num_batches_tracked!.item<long>());
    }

    public static TheoryData<string> RecurrentWithDropout => new(["LSTM", "GRU"]);

    /// <summary>Dropout between recurrent layers follows the module's mode: random in train, off in eval.</summary>
    [Theory]
    [MemberData(nameof(RecurrentWithDropout))]
    public void Eval_turns_off_dropout_between_recurrent_layers(string kind)
    {
        using var scope = NewDisposeScope();
        manual_seed(14);
        using var model = nn.Sequential(("rnn", new LastOutput(kind)));
        var x = randn(5, 3, 4);

        Assert.False(model.forward(x).equal(model.forward(x)), $"{kind} with dropout 0.5 gave the same output twice in training mode");
        model.eval();
        Assert.True(model.forward(x).equal(model.forward(x)), $"{kind} is not deterministic in eval mode");
    }

    /// <summary>A 2-layer LSTM or GRU with dropout 0.5, returning its output sequence.</summary>
    private sealed class LastOutput : nn.Module<Tensor, Tensor>
    {
        private readonly LSTM? _lstm;
        private readonly GRU? _gru;

        public LastOutput(string kind) : base(nameof(LastOutput))
        {
            if (kind == "LSTM")
            {
                _lstm = nn.LSTM(4, 6, num_layers: 2, dropout: 0.5);
                register_module("rnn", _lstm);
            }
            else
            {
                _gru = nn.GRU(4, 6, num_layers: 2, dropout: 0.5);
                register_module("rnn", _gru);
            }
        }

        public override Tensor forward(Tensor input) => _lstm is not null ? _lstm.forward(input).output : _gru!.forward(input).output;
    }

    [Fact]
    public void Train_false_is_eval()
    {
        using var scope = NewDisposeScope();
        using var model = Nested(out _, out _);
        model.train(false);
        Assert.All(model.modules(), m => Assert.False(m.training));
    }

    [Fact]
    public void To_float64_keeps_parameter_identity_and_an_earlier_optimizer_updates_them()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        using var net = new Net();
        var parameters = net.parameters().ToArray();
        var buffers = net.buffers().ToArray();
        using var optimizer = optim.SGD(net.parameters(), lr: 0.5);

        net.to(ScalarType.Float64);

        Assert.Equal(parameters, net.parameters(), ReferenceEqualityComparer.Instance);
        Assert.Equal(buffers, net.buffers(), ReferenceEqualityComparer.Instance);
        Assert.All(parameters, p => Assert.Equal(ScalarType.Float64, p.dtype));
        Assert.All(parameters, p => Assert.True(p.requires_grad && p.is_leaf, "a converted parameter is still a leaf that requires grad"));
        var norm = (BatchNorm1d)net.trunk[1];
        Assert.Equal(ScalarType.Float64, norm.running_mean!.dtype);
        Assert.Equal(ScalarType.Int64, norm.num_batches_tracked!.dtype);

        AssertOptimizerUpdates(net, optimizer, randn([6, 4], ScalarType.Float64));
    }

    [Fact]
    public void To_cpu_keeps_parameter_identity_and_an_earlier_optimizer_updates_them()
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        using var net = new Net();
        var parameters = net.parameters().ToArray();
        using var optimizer = optim.SGD(net.parameters(), lr: 0.5);

        net.to(Device.CPU);

        Assert.Equal(parameters, net.parameters(), ReferenceEqualityComparer.Instance);
        Assert.All(parameters, p => Assert.Equal(DeviceType.CPU, p.device_type));
        AssertOptimizerUpdates(net, optimizer, randn(6, 4));
    }

    [Fact]
    public void To_float64_converts_existing_gradients_too()
    {
        using var scope = NewDisposeScope();
        using var linear = nn.Linear(3, 2);
        linear.forward(ones(1, 3)).sum().backward();
        linear.to(ScalarType.Float64);
        var grad = linear.weight.grad!;
        Assert.Equal(ScalarType.Float64, grad.dtype);
        Assert.True(grad.equal(ones([2, 3], ScalarType.Float64)), "d(sum(W x + b))/dW is 1 for x = 1");
    }

    [Fact]
    public void To_an_integer_dtype_is_rejected_before_anything_is_converted()
    {
        using var scope = NewDisposeScope();
        // Without affine parameters, BatchNorm holds only buffers: nothing else would stop the conversion.
        using var norm = nn.BatchNorm1d(2, affine: false);
        var error = Assert.Throws<ArgumentException>(() => norm.to(ScalarType.Int64));
        Assert.Contains("floating-point", error.Message);
        Assert.Throws<ArgumentException>(() => norm.to(ScalarType.Int32, Device.CPU));
        Assert.Equal(ScalarType.Float32, norm.running_mean!.dtype);
        Assert.Equal(ScalarType.Float32, norm.running_var!.dtype);
    }

    /// <summary>One SGD step must move every parameter by exactly -lr · grad.</summary>
    private static void AssertOptimizerUpdates(Net net, Optimizer optimizer, Tensor input)
    {
        var before = net.parameters().Select(p => p.detach().clone()).ToArray();
        optimizer.zero_grad();
        net.forward(input).pow(2.0).sum().backward();
        optimizer.step();
        var parameters = net.parameters().ToArray();
        for (var i = 0; i < parameters.Length; i++)
        {
            var grad = parameters[i].grad;
            Assert.NotNull(grad);
            Assert.True(grad.abs().sum().item<double>() > 0, $"{NetParameters[i]} got no gradient");
            Assert.True(parameters[i].allclose(before[i] - grad * 0.5, rtol: 1e-6, atol: 1e-7), $"{NetParameters[i]} was not updated by the optimizer");
        }
    }

    [Fact]
    public void State_dict_lists_parameters_then_buffers_per_module_in_registration_order()
    {
        using var scope = NewDisposeScope();
        using var bn = nn.BatchNorm1d(3);
        Assert.Equal(["weight", "bias", "running_mean", "running_var", "num_batches_tracked"], bn.state_dict().Keys);

        using var net = new Net();
        string[] expected = ["scale", "trunk.0.weight", "trunk.0.bias", "trunk.1.weight", "trunk.1.bias",
            "trunk.1.running_mean", "trunk.1.running_var", "trunk.1.num_batches_tracked", "head.weight", "head.bias"];
        var state = net.state_dict();
        Assert.Equal(expected, state.Keys);
        Assert.Same(net.head.weight, state["head.weight"]);
    }

    /// <summary>PyTorch lists a shared submodule's state under every name it is registered as (tied weights).</summary>
    [Fact]
    public void State_dict_lists_a_shared_submodule_under_every_name()
    {
        using var scope = NewDisposeScope();
        var shared = nn.Linear(3, 3);
        using var net = nn.Sequential(shared, nn.Tanh(), shared);
        var state = net.state_dict();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], state.Keys);
        Assert.Same(shared.weight, state["2.weight"]);
        Assert.Equal(["", "0", "1"], net.named_modules().Select(m => m.name));
        Assert.Equal(["", "0", "1", "2"], net.named_modules(remove_duplicate: false).Select(m => m.name));

        using var copy = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3));
        copy.load_state_dict(state);
        Assert.True(((Linear)copy[2]).weight.equal(shared.weight), "2.weight was not loaded");
        var (missing, unexpected) = net.load_state_dict(copy.state_dict());
        Assert.Empty(missing);
        Assert.Empty(unexpected);
    }

    [Fact]
    public void Non_persistent_buffers_are_left_out_of_the_state_dict()
    {
        using var scope = NewDisposeScope();
        using var linear = nn.Linear(2, 2);
        linear.register_buffer("cache", zeros(2), persistent: false);
        Assert.Contains("cache", linear.named_buffers().Select(b => b.name));
        Assert.Equal(["weight", "bias"], linear.state_dict().Keys);
    }

    [Fact]
    public void Load_state_dict_copies_values_and_keeps_identity()
    {
        using var scope = NewDisposeScope();
        manual_seed(21);
        using var source = new Net();
        source.forward(randn(5, 4)).Dispose();  // running stats and num_batches_tracked move away from their defaults
        using var target = new Net();
        var identities = target.state_dict();

        var (missing, unexpected) = target.load_state_dict(source.state_dict());

        Assert.Empty(missing);
        Assert.Empty(unexpected);
        foreach (var (key, value) in target.state_dict())
        {
            Assert.Same(identities[key], value);
            Assert.True(value.equal(source.state_dict()[key]), $"{key} was not copied");
            Assert.NotSame(source.state_dict()[key], value);
        }
        Assert.Equal(1L, target.state_dict()["trunk.1.num_batches_tracked"].item<long>());

        // A copy, not an alias: changing the source later leaves the target alone.
        source.head.weight.zero_();
        Assert.False(target.head.weight.eq(0.0).all().item<bool>(), "the target shares storage with the source");
    }

    [Fact]
    public void Load_state_dict_strict_names_missing_and_unexpected_keys()
    {
        using var scope = NewDisposeScope();
        using var source = new Net();
        using var target = new Net();
        var state = new Dictionary<string, Tensor>(source.state_dict());
        state.Remove("head.bias");
        state.Remove("trunk.1.running_var");
        state["extra.weight"] = zeros(1);
        using var before = target.head.weight.clone();

        var error = Assert.Throws<ArgumentException>(() => target.load_state_dict(state));
        Assert.Contains("missing keys: trunk.1.running_var, head.bias", error.Message);
        Assert.Contains("unexpected keys: extra.weight", error.Message);
        Assert.True(target.head.weight.equal(before), "a failed strict load must not copy anything");

        var (missing, unexpected) = target.load_state_dict(state, strict: false);
        Assert.Equal(["trunk.1.running_var", "head.bias"], missing);
        Assert.Equal(["extra.weight"], unexpected);
        Assert.True(target.head.weight.equal(source.head.weight), "a non-strict load copies the keys both sides have");
    }

    [Fact]
    public void Load_state_dict_shape_mismatch_names_the_key_and_both_shapes()
    {
        using var scope = NewDisposeScope();
        using var source = new Net();
        using var target = new Net();
        var state = new Dictionary<string, Tensor>(source.state_dict()) { ["head.weight"] = zeros(3, 8) };
        using var before = target.trunk.parameters().First().clone();

        foreach (var strict in new[] { true, false })
        {
            var error = Assert.Throws<ArgumentException>(() => target.load_state_dict(state, strict));
            Assert.Contains("'head.weight'", error.Message);
            Assert.Contains("[2, 8]", error.Message);
            Assert.Contains("[3, 8]", error.Message);
        }
        Assert.True(target.trunk.parameters().First().equal(before), "nothing is copied when a shape does not match");
    }

    [Fact]
    public void BatchNorm_updates_running_stats_in_train_mode_and_counts_batches()
    {
        using var scope = NewDisposeScope();
        using var bn = nn.BatchNorm1d(2, momentum: 0.1);
        var x = tensor(new float[] { 1, 2, 3, 6 }, [2, 2]);

        bn.forward(x).Dispose();
        // Batch means [2, 4]; unbiased variances [((1-2)² + (3-2)²) / 1, ((2-4)² + (6-4)²) / 1] = [2, 8].
        // running = 0.9 · running + 0.1 · batch: mean [0.2, 0.4], var [0.9 + 0.2, 0.9 + 0.8].
        Assert.Equal([0.2f, 0.4f], bn.running_mean!.data<float>(), new FloatTolerance(1e-6f));
        Assert.Equal([1.1f, 1.7f], bn.running_var!.data<float>(), new FloatTolerance(1e-6f));
        Assert.Equal(1L, bn.num_batches_tracked!.item<long>());

        bn.forward(x).Dispose();
        // mean: 0.9 · 0.2 + 0.1 · 2 = 0.38, 0.9 · 0.4 + 0.1 · 4 = 0.76; var: 0.9 · 1.1 + 0.2 = 1.19, 0.9 · 1.7 + 0.8 = 2.33.
        Assert.Equal([0.38f, 0.76f], bn.running_mean.data<float>(), new FloatTolerance(1e-6f));
        Assert.Equal([1.19f, 2.33f], bn.running_var.data<float>(), new FloatTolerance(1e-6f));
        Assert.Equal(2L, bn.num_batches_tracked.item<long>());

        bn.eval();
        using var y = bn.forward(x);
        Assert.Equal(2L, bn.num_batches_tracked.item<long>());
        Assert.Equal([0.38f, 0.76f], bn.running_mean.data<float>(), new FloatTolerance(1e-6f));
        // Eval normalises with the running stats: (1 - 0.38) / sqrt(1.19 + 1e-5).
        Assert.Equal((1 - 0.38) / Math.Sqrt(1.19 + 1e-5), y[0][0].item<float>(), 1e-5);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
