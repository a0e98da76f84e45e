using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// <see cref="TaskGradients"/>, the one place where task gradients are taken, flattened and written
/// back, on float64 tensors small enough that every expected value is worked out by hand (in the
/// comments). The weighting methods' tests reach these helpers only through whole steps.
/// </summary>
public sealed class TaskGradientsTests
{
    private static double[] Values(Tensor t) => t.to(float64).flatten().data<double>().ToArray();

    /// <summary>
    /// a = [1, 2], b = [3, 4], s = a² = [1, 4] shared by L₀ and L₁ (its backward node keeps a, so
    /// a pass that frees the graph breaks the next one):
    /// L₀ = s₀s₁ = a₀²a₁²: ∇a = [2a₀a₁², 2a₁a₀²] = [8, 4], b unreached;
    /// L₁ = 3Σs + b₀b₁: ∇a = 6a = [6, 12], ∇b = [b₁, b₀] = [4, 3];
    /// L₂ = Σb²: a unreached, ∇b = 2b = [6, 8].
    /// </summary>
    private static (Parameter A, Parameter B, Tensor[] Losses) ThreeLosses()
    {
        var a = new Parameter(tensor(new[] { 1.0, 2.0 }));
        var b = new Parameter(tensor(new[] { 3.0, 4.0 }));
        var s = a.square();
        Tensor[] losses = [s[0] * s[1], s.sum() * 3.0 + b[0] * b[1], b.square().sum()];
        return (a, b, losses);
    }

    [Fact]
    public void PerTask_rows_are_the_flattened_gradients_with_zeros_where_a_loss_does_not_reach_an_input()
    {
        using var scope = NewDisposeScope();
        var (a, b, losses) = ThreeLosses();
        var rows = TaskGradients.PerTask(losses, [a, b]);
        Assert.Equal([3L, 4L], rows.shape);
        Expect.Close([8, 4, 0, 0, 6, 12, 4, 3, 0, 0, 6, 8], Values(rows), 1e-15, "rows");
        // The graph is kept: a second pass through L₀ still works.
        Expect.Close([8, 4], Values(autograd.grad(losses[0], [a])[0]!), 1e-15, "L₀ again");
    }

    [Fact]
    public void PerTask_at_one_input_gives_zeros_for_a_loss_that_does_not_reach_it()
    {
        using var scope = NewDisposeScope();
        var (a, b, _) = ThreeLosses();
        // z = 2a = [2, 4]: L₀ = z₀z₁ → ∇z = [z₁, z₀] = [4, 2]; L₁ = Σb² does not reach z.
        var z = a * 2.0;
        var rows = TaskGradients.PerTask([z[0] * z[1], b.square().sum()], [z]);
        Expect.Close([4, 2, 0, 0], Values(rows), 1e-15, "rows");
    }

    [Fact]
    public void PerTask_with_others_takes_their_gradients_in_the_same_passes_and_frees_the_graph_at_the_end()
    {
        using var scope = NewDisposeScope();
        var (a, b, losses) = ThreeLosses();
        var (rows, others) = TaskGradients.PerTask(losses, [a], [b]);
        Expect.Close([8, 4, 6, 12, 0, 0], Values(rows), 1e-15, "rows");
        Assert.Null(others[0][0]);
        Expect.Close([4, 3], Values(others[1][0]!), 1e-15, "∇b L₁");
        Expect.Close([6, 8], Values(others[2][0]!), 1e-15, "∇b L₂");
        // The last pass freed L₂'s graph (its square node kept b), the earlier ones kept theirs.
        Assert.ThrowsAny<Exception>(() => autograd.grad(losses[2], [b]));
        Expect.Close([8, 4], Values(autograd.grad(losses[0], [a])[0]!), 1e-15, "L₀ again");
    }

    [Fact]
    public void PerTask_with_others_keeps_the_graph_when_asked()
    {
        using var scope = NewDisposeScope();
        var (a, b, losses) = ThreeLosses();
        var (rows, _) = TaskGradients.PerTask(losses, [a, b], [], keepGraph: true);
        Expect.Close([8, 4, 0, 0, 6, 12, 4, 3, 0, 0, 6, 8], Values(rows), 1e-15, "rows");
        Expect.Close([6, 8], Values(autograd.grad(losses[2], [b])[0]!), 1e-15, "L₂ again");
    }

    [Fact]
    public void PerTask_without_inputs_is_an_error()
    {
        using var scope = NewDisposeScope();
        var (_, b, losses) = ThreeLosses();
        Assert.Equal("no shared parameters to take task gradients of", Assert.Throws<InvalidOperationException>(() => TaskGradients.PerTask(losses, [])).Message);
        Assert.Equal("no shared parameters to take task gradients of", Assert.Throws<InvalidOperationException>(() => TaskGradients.PerTask(losses, [], [b])).Message);
    }

    [Fact]
    public void AddWeighted_adds_each_weighted_gradient_skips_nulls_and_leaves_unreached_parameters_alone()
    {
        using var scope = NewDisposeScope();
        using var p = new Parameter(zeros([2], dtype: float64));
        using var q = new Parameter(zeros([2], dtype: float64));
        using var r = new Parameter(zeros([2], dtype: float64));
        q.grad = tensor(new[] { 1.0, 1.0 });
        Tensor?[][] grads =
        [
            [tensor(new[] { 1.0, 2.0 }), tensor(new[] { 3.0, 4.0 }), null],
            [tensor(new[] { 5.0, 6.0 }), null, null],
        ];
        TaskGradients.AddWeighted([p, q, r], grads, [2, 0.5]);
        // p: 2·[1, 2] + ½·[5, 6] = [4.5, 7] (the first term makes .grad); q: [1, 1] + 2·[3, 4] = [7, 9].
        Expect.Close([4.5, 7], Values(p.grad!), 1e-15, "p");
        Expect.Close([7, 9], Values(q.grad!), 1e-15, "q");
        Assert.Null(r.grad);
        Expect.Close([1, 2], Values(grads[0][0]!), 1e-15, "the gradients themselves are not changed");
    }

    [Fact]
    public void AddWeighted_with_weight_one_copies_the_gradient()
    {
        using var scope = NewDisposeScope();
        using var p = new Parameter(zeros([2], dtype: float64));
        var g = tensor(new[] { 1.0, 2.0 });
        TaskGradients.AddWeighted([p], [[g]], [1]);
        g.add_(10.0);
        Expect.Close([1, 2], Values(p.grad!), 1e-15, "p");
    }

    [Fact]
    public void Gram_and_Combine_by_hand()
    {
        using var scope = NewDisposeScope();
        var rows = tensor(new[] { 1.0, 2.0, 3.0, 4.0, 0.0, 1.0 }).reshape(3, 2);
        var gram = TaskGradients.Gram(rows);
        // gᵢ·gⱼ of [1, 2], [3, 4], [0, 1]
        double[,] expected = { { 5, 11, 2 }, { 11, 25, 4 }, { 2, 4, 1 } };
        Assert.Equal(expected, gram);
        // 2·[1, 2] + ½·[3, 4] − [0, 1] = [3.5, 5]
        Expect.Close([3.5, 5], Values(TaskGradients.Combine(rows, [2, 0.5, -1])), 1e-15, "combined");
        Assert.Equal(float32, TaskGradients.Combine(rows.to(float32), [2, 0.5, -1]).dtype);
    }

    [Fact]
    public void AddToGrad_lays_the_flat_vector_out_over_the_parameters_and_checks_its_length()
    {
        using var scope = NewDisposeScope();
        using var p = new Parameter(zeros([2], dtype: float64));
        using var q = new Parameter(zeros([2, 1], dtype: float64));
        p.grad = tensor(new[] { 1.0, 1.0 });
        TaskGradients.AddToGrad([p, q], tensor(new[] { 1.0, 2.0, 3.0, 4.0 }));
        Expect.Close([2, 3], Values(p.grad!), 1e-15, "p");
        Assert.Equal([2L, 1L], q.grad!.shape);
        Expect.Close([3, 4], Values(q.grad!), 1e-15, "q");
        var error = Assert.Throws<ArgumentException>(() => TaskGradients.AddToGrad([p, q], zeros([5], dtype: float64)));
        Assert.Equal("flat", error.ParamName);
        Assert.StartsWith("a gradient of 5 values for parameters of 4", error.Message);
    }

    [Fact]
    public void Backpropagate_adds_the_vector_jacobian_product_and_checks_the_length()
    {
        using var scope = NewDisposeScope();
        using var w = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var unused = new Parameter(zeros([1], dtype: float64));
        w.grad = tensor(new[] { 1.0, 1.0 });
        // o = [3w₀, w₀w₁] = [3, 2]; (∂o/∂w)ᵀ[1, 10] = [3·1 + w₁·10, w₀·10] = [23, 10], added to [1, 1].
        var o = stack([w[0] * 3.0, w[0] * w[1]]);
        var error = Assert.Throws<ArgumentException>(() => TaskGradients.Backpropagate(o, zeros([3], dtype: float64), [w, unused]));
        Assert.Equal("flat", error.ParamName);
        Assert.StartsWith("a gradient of 3 values for an output of 2", error.Message);
        TaskGradients.Backpropagate(o, tensor(new[] { 1.0, 10.0 }), [w, unused]);
        Expect.Close([24, 11], Values(w.grad!), 1e-15, "w");
        Assert.Null(unused.grad);
    }

    [Fact]
    public void Accumulate_adds_the_objectives_gradient_to_the_given_parameters_only()
    {
        using var scope = NewDisposeScope();
        using var w = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var v = new Parameter(tensor(new[] { 5.0 }));
        using var unused = new Parameter(zeros([1], dtype: float64));
        w.grad = tensor(new[] { 1.0, 1.0 });
        // ∇w (w₀w₁ + v₀) = [w₁, w₀] = [2, 1], added to [1, 1]; v is not asked for.
        var objective = w[0] * w[1] + v[0];
        TaskGradients.Accumulate(objective, []);
        TaskGradients.Accumulate(objective, [w, unused]);
        Expect.Close([3, 2], Values(w.grad!), 1e-15, "w");
        Assert.Null(v.grad);
        Assert.Null(unused.grad);
    }

    [Fact]
    public void AccumulateAll_is_a_backward_pass_and_nothing_for_a_constant()
    {
        using var scope = NewDisposeScope();
        using var w = new Parameter(tensor(new[] { 1.0, 2.0 }));
        TaskGradients.AccumulateAll(tensor(3.0));
        Assert.Null(w.grad);
        TaskGradients.AccumulateAll(w[0] * w[1]);
        Expect.Close([2, 1], Values(w.grad!), 1e-15, "w");
    }
}
