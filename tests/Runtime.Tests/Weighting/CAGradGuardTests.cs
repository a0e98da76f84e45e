using Mtl.Torch;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>CAGrad's 1e-8 guards with zero gradients, and the dual solver's iteration cap.</summary>
public sealed class CAGradGuardTests
{
    [Fact]
    public void Zero_gradients_give_the_weights_of_the_guards()
    {
        // G = 0: √φ = c·√(0 + 1e-8) + 1e-8 = 0.4·1e-4 + 1e-8; the dual stays at w = (½, ½);
        // λ = √φ/(√0 + 1e-8) = 4001; weights (1/K + λ/K)/(1 + c²) = 2001/1.16 (times g = 0).
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[0, 0], [0, 0]]);
        using var method = TaskWeighting.Create("cagrad", [1, 1]);
        var context = tasks.Context();
        method.Attach(context);
        method.Backward(tasks.Losses(), context);
        Expect.Close([2001 / 1.16, 2001 / 1.16], method.Weights, 1e-9);
        Expect.Close([0, 0], tasks.ThetaGrad, 0);
    }

    [Fact]
    public void The_dual_stops_at_its_iteration_cap()
    {
        // Gram of (1, 0) and (0, 2): the optimum is not the uniform start, which no iteration leaves.
        var m = new double[,] { { 1, 0 }, { 0, 4 } };
        Expect.Close([0.5, 0.5], CAGrad.Dual(m, 0.5, maxIterations: 0), 0);
        var solved = CAGrad.Dual(m, 0.5);
        Assert.True(Math.Abs(solved[0] - 0.5) > 0.1, $"w = [{string.Join(", ", solved)}]");
    }
}
