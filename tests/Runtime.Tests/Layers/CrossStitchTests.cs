using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Runtime.Tests.GradCheck;
using static Mtl.Torch.torch;
using static Mtl.Runtime.Tests.Layers.FixedLinear;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>
/// <see cref="CrossStitch"/> and <see cref="StitchUnit"/> (Misra et al., CVPR 2016): x̃ₜ = Σⱼ αₜⱼ·xⱼ
/// after each tower segment but the last, against hand computation; the initial α; gradients
/// against central differences; part names; errors.
/// </summary>
public sealed class CrossStitchTests
{
    [Fact]
    public void A_unit_starts_keeping_point_nine_of_each_tasks_own_activation()
    {
        using var two = new StitchUnit(2);
        Assert.Equal([0.9f, 0.1f, 0.1f, 0.9f], two.weight.data<float>());
        using var three = new StitchUnit(3);
        Assert.Equal([0.9f, 0.05f, 0.05f], three.weight.data<float>().Take(3));
        using var one = new StitchUnit(1);
        Assert.Equal([1f], one.weight.data<float>());
    }

    [Fact]
    public void Each_task_continues_from_its_mix_of_every_towers_activation()
    {
        using var scope = NewDisposeScope();

        // Segment 0 of every tower: h = 2·x (a) or h = x + 1 (b), as built in task order; segment 1: identity.
        var built = 0;
        using var stitch = new CrossStitch(2, ["a", "b"], segment => segment == 0
            ? nn.Sequential(built++ == 0 ? Fixed(new double[,] { { 2 } }, [0]) : Fixed(new double[,] { { 1 } }, [1]))
            : nn.Sequential());
        stitch.to(ScalarType.Float64);
        using (no_grad())
        {
            using var alpha = tensor(new double[] { 0.5, 0.25, -1, 3 }, [2, 2]);
            stitch.Stitches[0].weight.copy_(alpha);
        }

        var outputs = stitch.forward(tensor(new double[] { 1, 4 }, [2, 1]));

        // x = 1: h_a = 2, h_b = 2 -> a = 0.5·2 + 0.25·2 = 1.5, b = −2 + 6 = 4; x = 4: h_a = 8, h_b = 5 -> a = 5.25, b = 7.
        Assert.Equal([1.5, 5.25], outputs["a"].data<double>());
        Assert.Equal([4.0, 7.0], outputs["b"].data<double>());
    }

    [Fact]
    public void Gradients_match_finite_differences_for_the_input_towers_and_units()
    {
        using var scope = NewDisposeScope();
        manual_seed(20261130);
        var r = new Random(20261130);
        using var stitch = new CrossStitch(3, ["a", "b", "c"], segment => segment switch
        {
            0 => nn.Sequential(nn.Linear(3, 4), nn.Tanh()),
            1 => nn.Sequential(nn.Linear(4, 2)),
            _ => nn.Sequential(),
        });
        stitch.to(ScalarType.Float64);
        Function("cross_stitch", xs =>
        {
            var outputs = stitch.forward(xs[0]);
            return cat([outputs["a"], outputs["b"] * 2.0, outputs["c"] * -1.0], 1);
        }, [("x", Normal(r, 4, 3))], stitch);
    }

    [Fact]
    public void Parts_are_named_towers_task_segment_and_stitches_k()
    {
        using var stitch = new CrossStitch(2, ["income", "marital"], segment => segment == 0 ? nn.Sequential(nn.Linear(2, 2), nn.ReLU()) : nn.Sequential(nn.Linear(2, 1)));
        Assert.Equal(
            ["towers.income.0.0.weight", "towers.income.0.0.bias", "towers.income.1.0.weight", "towers.income.1.0.bias",
             "towers.marital.0.0.weight", "towers.marital.0.0.bias", "towers.marital.1.0.weight", "towers.marital.1.0.bias",
             "stitches.0.weight"],
            stitch.state_dict().Keys);
        Assert.NotSame(stitch.Towers["income"][0], stitch.Towers["marital"][0]);
    }

    [Fact]
    public void Construction_rejects_a_tower_without_a_stitch_and_a_task_twice()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CrossStitch(1, ["a"], _ => nn.Sequential()));
        var twice = Assert.Throws<ArgumentException>(() => new CrossStitch(2, ["a", "a"], _ => nn.Sequential()));
        Assert.Contains("a task is listed twice", twice.Message);
        using var unit = new StitchUnit(2);
        using var scope = NewDisposeScope();
        var wrong = Assert.Throws<ArgumentException>(() => unit.forward([zeros(1, 1)]));
        Assert.Contains("mixes 2 tasks, not 1", wrong.Message);
    }
}
