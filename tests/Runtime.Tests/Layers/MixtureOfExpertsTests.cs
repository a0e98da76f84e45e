using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Runtime.Tests.GradCheck;
using static Mtl.Torch.torch;
using static Mtl.Runtime.Tests.Layers.FixedLinear;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>
/// <see cref="MixtureOfExperts"/> (MMoE): each task's output Σᵢ softmax(Wᵗx + bᵗ)ᵢ·expertᵢ(x)
/// against hand computation on tiny weights, gradients against central differences, the
/// parameter names checkpoints depend on, the per-epoch gate means and the construction errors.
/// </summary>
public sealed class MixtureOfExpertsTests
{
    private const double Tolerance = 1e-12;

    /// <summary>
    /// Experts e0(x) = x, e1(x) = [1, −1], e2(x) = [2·x₁, 0]; gate a has constant logits
    /// [0, ln 2, 0] (weights ¼, ½, ¼), gate b has logits [x₁, 0, 0].
    /// </summary>
    private static MixtureOfExperts Tiny() => new(
        [
            nn.Sequential(Fixed(new double[,] { { 1, 0 }, { 0, 1 } }, [0, 0])),
            nn.Sequential(Fixed(new double[,] { { 0, 0 }, { 0, 0 } }, [1, -1])),
            nn.Sequential(Fixed(new double[,] { { 2, 0 }, { 0, 0 } }, [0, 0])),
        ],
        [
            ("a", Fixed(new double[,] { { 0, 0 }, { 0, 0 }, { 0, 0 } }, [0, Math.Log(2), 0])),
            ("b", Fixed(new double[,] { { 1, 0 }, { 0, 0 }, { 0, 0 } }, [0, 0, 0])),
        ]);

    private static void AssertValues(double[] expected, Tensor actual, long[] shape, string what)
    {
        Assert.Equal(shape, actual.shape);
        var values = actual.data<double>();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) <= Tolerance, $"{what}[{i}]: expected {expected[i]:R}, got {values[i]:R}");
        }
    }

    [Fact]
    public void Each_task_gets_its_gates_softmax_mix_of_the_expert_outputs()
    {
        using var scope = NewDisposeScope();
        using var mixture = Tiny();
        var x = tensor(new double[] { 1, 2, 0, -1 }, [2, 2]);
        var outputs = mixture.forward(x);
        Assert.Equal(["a", "b"], outputs.Keys);

        // a, row 1: ¼·[1, 2] + ½·[1, −1] + ¼·[2, 0] = [1.25, 0]; row 2: ¼·[0, −1] + ½·[1, −1] + ¼·[0, 0] = [0.5, −0.75].
        AssertValues([1.25, 0, 0.5, -0.75], outputs["a"], [2, 2], "a");

        // b, row 1: (e·[1, 2] + [1, −1] + [2, 0]) / (e + 2); row 2 (x₁ = 0): ([0, −1] + [1, −1] + [0, 0]) / 3.
        var e = Math.E;
        AssertValues([(e + 3) / (e + 2), ((2 * e) - 1) / (e + 2), 1.0 / 3, -2.0 / 3], outputs["b"], [2, 2], "b");

        var gates = mixture.GateWeights(x);
        AssertValues([0.25, 0.5, 0.25, 0.25, 0.5, 0.25], gates["a"], [2, 3], "gate a");
        AssertValues([e / (e + 2), 1 / (e + 2), 1 / (e + 2), 1.0 / 3, 1.0 / 3, 1.0 / 3], gates["b"], [2, 3], "gate b");
    }

    [Fact]
    public void The_gates_read_the_source_flattened_and_scale_every_value_of_an_expert_output()
    {
        using var scope = NewDisposeScope();

        // Source [N=1, 2, 2]; experts keep the shape: e0 = x, e1 = 2·x (Linear over the last dim).
        using var mixture = new MixtureOfExperts(
            [nn.Sequential(Fixed(new double[,] { { 1, 0 }, { 0, 1 } }, [0, 0])), nn.Sequential(Fixed(new double[,] { { 2, 0 }, { 0, 2 } }, [0, 0]))],
            [("t", Fixed(new double[,] { { 1, 0, 0, 0 }, { 0, 0, 0, 1 } }, [0, 0]))]);
        var x = tensor(new double[] { 3, 5, 7, 3 }, [1, 2, 2]);

        // Gate logits [x₀₀, x₁₁] = [3, 3]: weights ½, ½, so the output is 1.5·x.
        AssertValues([4.5, 7.5, 10.5, 4.5], mixture.forward(x)["t"], [1, 2, 2], "t");
    }

    [Fact]
    public void Gradients_match_finite_differences_for_the_input_experts_and_gates()
    {
        using var scope = NewDisposeScope();
        manual_seed(20261130);
        var r = new Random(20261130);
        using var mixture = new MixtureOfExperts(
            [nn.Sequential(nn.Linear(3, 2), nn.Tanh()), nn.Sequential(nn.Linear(3, 2)), nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())],
            [("a", nn.Linear(3, 3)), ("b", nn.Linear(3, 3))]);
        mixture.to(ScalarType.Float64);
        Function("mmoe task a", xs => mixture.forward(xs[0])["a"], [("x", Normal(r, 4, 3))], mixture);
        Function("mmoe both tasks", xs =>
        {
            var outputs = mixture.forward(xs[0]);
            return cat([outputs["a"], outputs["b"] * 2.0], 1);
        }, [("x", Normal(r, 4, 3))], mixture);
    }

    [Fact]
    public void Parts_are_named_experts_i_and_gates_task()
    {
        using var mixture = new MixtureOfExperts(
            [nn.Sequential(nn.Linear(4, 3), nn.ReLU()), nn.Sequential(nn.Linear(4, 3), nn.ReLU())],
            [("income", nn.Linear(4, 2)), ("marital", nn.Linear(4, 2))]);
        Assert.Equal(
            ["experts.0.0.weight", "experts.0.0.bias", "experts.1.0.weight", "experts.1.0.bias",
             "gates.income.weight", "gates.income.bias", "gates.marital.weight", "gates.marital.bias"],
            mixture.state_dict().Keys);
        Assert.Same(mixture.Gates["marital"], mixture.Gates.Values.Last());
        Assert.Equal(2, mixture.Experts.Count);
        Assert.Equal(["income", "marital"], mixture.Tasks);
    }

    [Fact]
    public void Gate_means_average_the_training_examples_since_the_last_take_and_ignore_evaluation()
    {
        using var scope = NewDisposeScope();
        using var mixture = Tiny();
        Assert.Empty(mixture.TakeGateMeans());

        mixture.train();
        mixture.forward(tensor(new double[] { 1, 2, 0, -1 }, [2, 2]));
        mixture.forward(tensor(new double[] { 0, 7 }, [1, 2]));
        mixture.eval();
        mixture.forward(tensor(new double[] { 100, 0 }, [1, 2]));

        var means = mixture.TakeGateMeans();
        var e = Math.E;
        Assert.Equal([0.25, 0.5, 0.25], means["a"].Select(v => Math.Round(v, 12)));

        // Three training examples: x₁ = 1, 0, 0.
        var expected = new[] { (e / (e + 2)) + (2.0 / 3), (1 / (e + 2)) + (2.0 / 3), (1 / (e + 2)) + (2.0 / 3) }.Select(v => v / 3).ToArray();
        for (var i = 0; i < 3; i++) Assert.Equal(expected[i], means["b"][i], 12);
        Assert.Equal(1.0, means["b"].Sum(), 12);

        Assert.Empty(mixture.TakeGateMeans());
    }

    [Fact]
    public void Construction_rejects_a_gate_that_does_not_match_the_experts_and_a_task_twice()
    {
        var wrong = Assert.Throws<ArgumentException>(() => new MixtureOfExperts(
            [nn.Sequential(nn.Linear(2, 1)), nn.Sequential(nn.Linear(2, 1))], [("a", nn.Linear(2, 3))]));
        Assert.Contains("the gate of task 'a' has 3 outputs, one per expert is 2", wrong.Message);
        var twice = Assert.Throws<ArgumentException>(() => new MixtureOfExperts(
            [nn.Sequential(nn.Linear(2, 1))], [("a", nn.Linear(2, 1)), ("a", nn.Linear(2, 1))]));
        Assert.Contains("a task is listed twice", twice.Message);
        Assert.Throws<ArgumentException>(() => new MixtureOfExperts([], [("a", nn.Linear(2, 1))]));
        Assert.Throws<ArgumentException>(() => new MixtureOfExperts([nn.Sequential(nn.Linear(2, 1))], []));
    }
}
