using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// <see cref="FiniteState.Require"/> on its own: every kind of tensor it checks (parameters,
/// buffers, weighting parameters, optimizer state, named by the parameter it belongs to), each
/// non-finite value by name, and the step and epoch it reports.
/// </summary>
public sealed class FiniteStateTests
{
    private const string Tail = "; nothing of this epoch was kept (checkpoint, log and best weights are those of the epoch before). Lower the learning rate or clip gradients.";

    /// <summary><see cref="ScalarTwoTaskModel"/> with a float buffer and a long one (a count, never checked).</summary>
    private sealed class BufferedModel : MultiTaskModule
    {
        private readonly Linear shared = nn.Linear(1, 1, hasBias: false);
        private readonly Linear u = nn.Linear(1, 1, hasBias: false);

        public BufferedModel() : base(nameof(BufferedModel))
        {
            RegisterComponents();
            register_buffer("stats", zeros(2));
            register_buffer("count", zeros([1], dtype: int64));
        }

        public Tensor Stats => named_buffers().Single(b => b.name == "stats").buffer;

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs) =>
            new(new Dictionary<string, Tensor> { ["u"] = u.forward(shared.forward(inputs["x"])) });

        public override IEnumerable<nn.Module> SharedModules() => [shared];
    }

    private static void Fill(Tensor tensor, double value)
    {
        using var mode = no_grad();
        tensor.fill_(value);
    }

    [Fact]
    public void Finite_state_passes()
    {
        using var model = new BufferedModel();
        using var weighting = new UncertaintyWeighting([1]);
        using var optimizer = optim.Adam([.. model.parameters(), .. weighting.parameters()], lr: 0.1);
        FiniteState.Require(model, weighting, optimizer, 0, 0);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    public void A_parameter_is_named_with_its_value_the_step_and_the_epoch(double value, string shown)
    {
        using var model = new ScalarTwoTaskModel();
        using var weighting = new FixedWeighting([1, 1]);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        Fill(model.parameters().ElementAt(1), value);
        var error = Assert.Throws<TrainingDivergedException>(() => FiniteState.Require(model, weighting, optimizer, 7, 2));
        Assert.Equal($"parameter 'u.weight' holds {shown} after step 7 (epoch 3)" + Tail, error.Message);
    }

    [Fact]
    public void A_tensor_with_NaN_and_inf_is_named_NaN()
    {
        using var model = new BufferedModel();
        using var weighting = new FixedWeighting([1]);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using (no_grad()) model.Stats.copy_(tensor(new[] { float.PositiveInfinity, float.NaN }));
        var error = Assert.Throws<TrainingDivergedException>(() => FiniteState.Require(model, weighting, optimizer, 1, 0));
        Assert.Equal("buffer 'stats' holds NaN after step 1 (epoch 1)" + Tail, error.Message);
    }

    [Fact]
    public void A_weighting_parameter_is_named_by_its_index()
    {
        using var model = new ScalarTwoTaskModel();
        using var weighting = new UncertaintyWeighting([1, 1]);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        Fill(weighting.LogVariances, double.NegativeInfinity);
        var error = Assert.Throws<TrainingDivergedException>(() => FiniteState.Require(model, weighting, optimizer, 4, 1));
        Assert.Equal("weighting parameter 0 holds -inf after step 4 (epoch 2)" + Tail, error.Message);
    }

    [Fact]
    public void Optimizer_state_is_named_by_the_parameter_it_belongs_to_or_by_its_index()
    {
        using var model = new ScalarTwoTaskModel();
        using var weighting = new UncertaintyWeighting([1, 1]);
        using var extra = new Parameter(ones(1));
        // indices 0–2: the model's, 3: the weighting's log-variances, 4: a tensor of neither
        using var optimizer = optim.Adam([.. model.parameters(), .. weighting.parameters(), extra], lr: 0.1);
        foreach (var p in optimizer.param_groups.SelectMany(g => g.parameters)) p.grad = ones_like(p);
        optimizer.step();
        FiniteState.Require(model, weighting, optimizer, 1, 0);

        void Poison(int index, string key)
        {
            using var state = optimizer.state_dict();
            state.state[index].tensors[key].fill_(double.NaN);
            optimizer.load_state_dict(state);
        }

        Poison(4, "exp_avg");
        var foreign = Assert.Throws<TrainingDivergedException>(() => FiniteState.Require(model, weighting, optimizer, 1, 0));
        Assert.Equal("optimizer state 'exp_avg' of parameter 4 holds NaN after step 1 (epoch 1)" + Tail, foreign.Message);

        Poison(3, "exp_avg_sq");
        var own = Assert.Throws<TrainingDivergedException>(() => FiniteState.Require(model, weighting, optimizer, 1, 0));
        Assert.Equal("optimizer state 'exp_avg_sq' of weighting parameter 0 holds NaN after step 1 (epoch 1)" + Tail, own.Message);

        Poison(1, "exp_avg");
        var head = Assert.Throws<TrainingDivergedException>(() => FiniteState.Require(model, weighting, optimizer, 1, 0));
        Assert.Equal("optimizer state 'exp_avg' of parameter 'u.weight' holds NaN after step 1 (epoch 1)" + Tail, head.Message);
    }
}
