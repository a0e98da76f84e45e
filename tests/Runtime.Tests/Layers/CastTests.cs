using Mtl.Layers;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>Cast (the <c>float</c> and <c>long</c> layers): element types and values as PyTorch's <c>to(dtype)</c>.</summary>
public sealed class CastTests
{
    [Fact]
    public void Bool_and_int_become_float_values()
    {
        using var scope = NewDisposeScope();

        var flags = new Cast(ScalarType.Float32).forward(tensor(new[] { true, false, true }, [1, 3]));
        Assert.Equal(ScalarType.Float32, flags.dtype);
        Assert.Equal([1f, 0f, 1f], flags.data<float>().ToArray());

        var counts = new Cast(ScalarType.Float32).forward(tensor(new[] { 3, -2 }, [2]));
        Assert.Equal([3f, -2f], counts.data<float>().ToArray());
    }

    [Fact]
    public void Floats_become_longs_truncated_toward_zero()
    {
        using var scope = NewDisposeScope();

        var ids = new Cast(ScalarType.Int64).forward(tensor(new[] { 2.9, -2.9, 0.0 }, [3]));
        Assert.Equal(ScalarType.Int64, ids.dtype);
        Assert.Equal([2L, -2L, 0L], ids.data<long>().ToArray());
    }

    [Fact]
    public void A_float_cast_of_a_double_passes_the_gradient_through()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0 }, [2]).requires_grad_();

        (new Cast(ScalarType.Float32).forward(x) * tensor(new[] { 3f, 5f }, [2])).sum().backward();

        Assert.Equal([3.0, 5.0], x.grad!.data<double>().ToArray());
    }
}
