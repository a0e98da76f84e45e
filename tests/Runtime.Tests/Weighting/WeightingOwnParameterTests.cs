using Mtl.Torch;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// IMTL's learned scales sᵢ: built as float32 zeros (none in <c>gradient</c> mode), moved once
/// to the shared parameters' dtype by <see cref="TaskWeighting.Attach"/> (the old tensor freed),
/// and freed by <see cref="TaskWeighting.Dispose"/>.
/// </summary>
public sealed class WeightingOwnParameterTests
{
    [Theory]
    [InlineData("hybrid")]
    [InlineData("loss")]
    public void Imtl_attach_moves_the_scales_once_and_frees_the_old_ones(string mode)
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);  // float64 parameters
        var method = (IMTL)TaskWeighting.Create("imtl", [1, 1], new Dictionary<string, object> { ["mode"] = mode });
        var before = method.Scales!;
        Assert.Equal(ScalarType.Float32, before.dtype);
        Assert.Equal(new long[] { 2 }, before.shape);

        method.Attach(new WeightingContext { TaskNames = ["a", "b"], SharedParameters = [], TaskParameters = [], Random = new Random(1) });
        Assert.Same(before, method.Scales);  // nothing to follow

        method.Attach(tasks.Context());
        var moved = method.Scales!;
        Assert.Equal(ScalarType.Float64, moved.dtype);
        Assert.True(before.IsDisposed);
        Expect.Close([0, 0], moved.data<double>(), 0);
        Assert.Same(moved, Assert.Single(method.parameters()));

        method.Attach(tasks.Context());
        Assert.Same(moved, method.Scales);  // already there: the optimizer's parameter stays
        Assert.False(moved.IsDisposed);

        method.Dispose();
        Assert.True(moved.IsDisposed);
    }

    [Fact]
    public void Imtl_in_gradient_mode_has_no_scales_to_attach_or_free()
    {
        using var scope = NewDisposeScope();
        using var tasks = new LinearTasks([[1, 0], [0, 1]]);
        var method = (IMTL)TaskWeighting.Create("imtl", [1, 1], new Dictionary<string, object> { ["mode"] = "gradient" });
        method.Attach(tasks.Context());
        Assert.Null(method.Scales);
        Assert.Empty(method.parameters());
        method.Dispose();
    }
}
