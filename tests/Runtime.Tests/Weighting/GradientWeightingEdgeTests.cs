using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// The edges of <see cref="GradientWeighting.Backward"/> the whole-step tests do not reach: a step
/// in which no task has a loss, and a model without shared parameters, in both gradient modes;
/// a gradient that is not finite, for every method that solves on the Gram matrix.
/// </summary>
public sealed class GradientWeightingEdgeTests
{
    private static Dictionary<string, object> Mode(string gradients) => new() { [WeightingCatalog.Gradients] = gradients };

    [Theory]
    [InlineData("parameters")]
    [InlineData("representation")]
    public void A_step_without_losses_returns_zero_reports_no_weights_and_touches_no_gradient(string gradients)
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);
        using var method = TaskWeighting.Create("mgda", [1, 1], Mode(gradients));
        var context = tasks.Context();
        var (z, losses) = tasks.RepresentationLosses();
        context.SharedRepresentation = z;
        method.Backward(losses, context);
        // Orthogonal unit gradients (a₁ = e₁, a₂ = e₂, also at z = 2θ up to the factor 2): α = [½, ½].
        Expect.Close([0.5, 0.5], method.Weights, 1e-12, "first step");

        tasks.ZeroGrad();
        Assert.Equal(0.0, method.Backward([null, null], context));
        Assert.All(method.Weights, w => Assert.True(double.IsNaN(w)));
        Assert.Null(tasks.Theta.grad);
        Assert.Null(tasks.Heads.grad);
    }

    [Theory]
    [InlineData("parameters")]
    [InlineData("representation")]
    public void Without_shared_parameters_the_step_is_an_error(string gradients)
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);
        using var method = TaskWeighting.Create("mgda", [1, 1], Mode(gradients));
        var context = new WeightingContext { TaskNames = ["a", "b"], SharedParameters = [], TaskParameters = [tasks.Heads], Random = new Random(1) };
        var (z, losses) = tasks.RepresentationLosses();
        context.SharedRepresentation = z;
        var error = Assert.Throws<InvalidOperationException>(() => method.Backward(losses, context));
        Assert.Equal("no shared parameters to take task gradients of", error.Message);
        Assert.Null(tasks.Heads.grad);
    }

    /// <summary>A method of the catalog, built directly (not through <see cref="TaskWeighting.Create"/>, which checks the options first).</summary>
    private sealed class Direct(string name, string gradients) : GradientWeighting(name, [1, 1], gradients)
    {
        protected override (Tensor Combined, double[] Weights) CombineRows(Tensor rows, Tensor[] losses, int[] tasks, WeightingContext context) =>
            throw new NotSupportedException();
    }

    [Fact]
    public void A_method_without_the_option_refuses_the_representation_even_when_built_directly()
    {
        Assert.Equal(WeightingCatalog.Parameters, new Direct("pcgrad", WeightingCatalog.Parameters).Gradients);
        Assert.Equal(WeightingCatalog.Representation, new Direct("mgda", WeightingCatalog.Representation).Gradients);
        var error = Assert.Throws<ArgumentException>(() => new Direct("pcgrad", WeightingCatalog.Representation));
        Assert.Equal("gradients", error.ParamName);
        Assert.StartsWith(WeightingCatalog.WithoutRepresentation("pcgrad"), error.Message);
    }

    [Theory]
    [InlineData("nash_mtl", double.NaN)]
    [InlineData("nash_mtl", double.PositiveInfinity)]
    [InlineData("aligned_mtl", double.NaN)]
    [InlineData("aligned_mtl", double.PositiveInfinity)]
    [InlineData("mgda", double.NaN)]
    [InlineData("cagrad", double.PositiveInfinity)]
    [InlineData("imtl", double.NaN)]
    public void A_gradient_that_is_not_finite_gives_not_a_number_weights(string name, double bad)
    {
        // The Gram matrix holds NaN or ∞: there is no solution (Nash-MTL's line search would halve
        // forever, Aligned-MTL's eigen-decomposition refuses NaN). Every Gram method gives NaN
        // weights, so the combined gradient is NaN and the trainer's gradient-norm check reports
        // the divergence.
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [bad, 1]]);
        using var method = TaskWeighting.Create(name, [1, 1], new Dictionary<string, object>());
        var context = tasks.Context();
        method.Attach(context);  // IMTL's scales take the shared parameters' dtype
        method.Backward(tasks.Losses(), context);
        Assert.All(method.Weights, w => Assert.True(double.IsNaN(w)));
        Assert.All(tasks.ThetaGrad, g => Assert.True(double.IsNaN(g)));
    }
}
