using Mtl.Layers;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>
/// The new blocks where they reduce to the old ones: a mixture of one expert is that expert (its
/// gates' softmax over one expert is exactly 1 and passes no gradient), every gate's weights form a
/// distribution over the experts, and cross-stitch units set to the identity leave each task with
/// its own tower.
/// </summary>
public sealed class ReducedBlockTests
{
    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    [Fact]
    public void A_mixture_of_one_expert_is_that_expert_in_value_and_gradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var mixture = new MixtureOfExperts(1, () => nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), ["a", "b"], () => nn.Linear(4, 1));
        var x = randn(6, 4);

        var outputs = mixture.forward(x);
        var plain = mixture.Experts[0].forward(x);
        Assert.Equal(Values(plain), Values(outputs["a"]));
        Assert.Equal(Values(plain), Values(outputs["b"]));

        var expertParameters = mixture.Experts[0].parameters().ToArray();
        var mixed = autograd.grad((outputs["a"] * 2).sum() + (outputs["b"] * 3).sum(), [.. expertParameters, .. mixture.Gates["a"].parameters()], allow_unused: true);
        var direct = autograd.grad((mixture.Experts[0].forward(x) * 5).sum(), expertParameters);
        for (var i = 0; i < expertParameters.Length; i++) Assert.Equal(Values(direct[i]!), Values(mixed[i]!));
        for (var i = expertParameters.Length; i < mixed.Length; i++) Assert.True(mixed[i] is null || Values(mixed[i]!).All(v => v == 0), "a gate over one expert passes no gradient");
    }

    [Fact]
    public void Each_gate_is_a_distribution_over_the_experts()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        using var mixture = new MixtureOfExperts(4, () => nn.Sequential(nn.Linear(3, 2)), ["a", "b", "c"], () => nn.Linear(3, 4));
        var x = randn(8, 3) * 5;
        foreach (var (task, weights) in mixture.GateWeights(x))
        {
            Assert.Equal([8L, 4L], weights.shape);
            var values = weights.to(ScalarType.Float64).data<double>().ToArray();
            Assert.All(values, v => Assert.InRange(v, 0.0, 1.0));
            for (var row = 0; row < 8; row++) Assert.True(Math.Abs(values.Skip(row * 4).Take(4).Sum() - 1) < 1e-6, $"gate {task}, row {row}");
        }
    }

    [Fact]
    public void Identity_stitches_leave_each_task_its_own_tower()
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        using var stitch = new CrossStitch(3, ["a", "b", "c"], s => s switch
        {
            0 => nn.Sequential(nn.Linear(4, 5), nn.ReLU()),
            1 => nn.Sequential(nn.Linear(5, 5), nn.Tanh()),
            _ => nn.Sequential(nn.Linear(5, 2)),
        });
        using (no_grad())
        {
            foreach (var unit in stitch.Stitches) unit.weight.copy_(eye(3));
        }
        var x = randn(7, 4);

        var outputs = stitch.forward(x);

        foreach (var task in new[] { "a", "b", "c" })
        {
            var tower = stitch.Towers[task];
            var alone = tower[2].forward(tower[1].forward(tower[0].forward(x)));
            Assert.Equal(Values(alone), Values(outputs[task]));
        }
        // and the default units (0.9 kept) do mix them
        using var mixing = new CrossStitch(2, ["a", "b"], s => s == 0 ? nn.Sequential(nn.Linear(4, 3)) : nn.Sequential(nn.Linear(3, 1)));
        var mixed = mixing.forward(x);
        Assert.NotEqual(Values(mixing.Towers["a"][1].forward(mixing.Towers["a"][0].forward(x))), Values(mixed["a"]));
    }
}
