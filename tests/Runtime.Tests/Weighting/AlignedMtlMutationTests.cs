using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// Aligned-MTL at the edges of its rank rule: eigenvalues of GᵀG up to λ_max·K·ε (ε = 2⁻²³)
/// count as zero and their directions are dropped; a zero Gram matrix gives zero weights.
/// Gradients along the axes give a diagonal GᵀG, whose eigenvalues the Jacobi sweeps return exactly.
/// </summary>
public sealed class AlignedMtlMutationTests
{
    private static TaskWeighting Step(LinearTasks tasks)
    {
        var method = TaskWeighting.Create("aligned_mtl", Enumerable.Repeat(1.0, tasks.K).ToArray(), new Dictionary<string, object>());
        var context = tasks.Context();
        method.Attach(context);
        method.Backward(tasks.Losses(), context);
        return method;
    }

    [Fact]
    public void An_eigenvalue_at_exactly_the_tolerance_counts_as_zero()
    {
        // g₀ = (1, 0), g₁ = (0, 2⁻¹¹): GᵀG = diag(1, 2⁻²²), and the tolerance is 1·2·2⁻²³ = 2⁻²²,
        // so only λ = 1 is kept: σ_min = 1, W = diag(1, 0).
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, Math.Pow(2, -11)]]);
        using var method = Step(tasks);
        Expect.Close([1, 0], method.Weights, 1e-15);
        Expect.Close([1, 0], tasks.ThetaGrad, 1e-15);
        Expect.Close([1, 1], tasks.HeadGrad, 1e-15);
    }

    [Fact]
    public void Parallel_gradients_keep_the_one_direction_they_span()
    {
        // g₀ = (1, 0), g₁ = (2, 0): GᵀG = [[1, 2], [2, 4]] has λ = 5 with v = (1, 2)/√5, and λ = 0,
        // dropped: σ_min = √5, W = vvᵀ = [[1, 2], [2, 4]]/5, weights W·1 = (3/5, 6/5).
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [2, 0]]);
        using var method = Step(tasks);
        Expect.Close([0.6, 1.2], method.Weights, 1e-12);
        Expect.Close([3, 0], tasks.ThetaGrad, 1e-12);
    }

    [Fact]
    public void Zero_gradients_give_zero_weights()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[0, 0], [0, 0]]);
        using var method = Step(tasks);
        Expect.Close([0, 0], method.Weights, 0);
        Expect.Close([0, 0], tasks.ThetaGrad, 0);
        Expect.Close([1, 1], tasks.HeadGrad, 0);
    }
}
