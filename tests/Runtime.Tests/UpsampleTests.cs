using Mtl.Torch;
using Xunit;
using static Mtl.Runtime.Tests.GradCheck;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>nn.Upsample (what <c>upsample</c> builds), align_corners false: values against hand computation.</summary>
public sealed class UpsampleTests
{
    private static double[] Values(Tensor t) => t.data<double>().ToArray();

    [Fact]
    public void Nearest_repeats_each_value()
    {
        using var scope = NewDisposeScope();

        // [1, 2] ×2 -> [1, 1, 2, 2]
        var y = nn.Upsample(2).forward(tensor(new double[] { 1, 2 }, [1, 1, 2]));
        Assert.Equal(new long[] { 1, 1, 4 }, y.shape);
        Assert.Equal([1.0, 1, 2, 2], Values(y));

        // [[1, 2], [3, 4]] ×2: each value a 2×2 block
        var z = nn.Upsample(2).forward(tensor(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2]));
        Assert.Equal(new long[] { 1, 1, 4, 4 }, z.shape);
        Assert.Equal([1.0, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], Values(z));

        // ×1.5 on [1, 2, 3]: floor(3·1.5) = 4 outputs, source floor(i / 1.5) = 0, 0, 1, 2
        var w = nn.Upsample(1.5).forward(tensor(new double[] { 1, 2, 3 }, [1, 1, 3]));
        Assert.Equal([1.0, 1, 2, 3], Values(w));
    }

    [Fact]
    public void Bilinear_interpolates_between_pixel_centres()
    {
        using var scope = NewDisposeScope();

        // x[i, j] = 1 + 2i + j on 2×2, ×2. Output index p reads source (p + 0.5)/2 − 0.5, clamped to
        // [0, 1]: 0, 0.25, 0.75, 1; so y[p, q] = 1 + 2·u(p) + u(q) with u = [0, 0.25, 0.75, 1].
        var y = nn.Upsample(2, UpsampleMode.Bilinear).forward(tensor(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2]));
        Assert.Equal(new long[] { 1, 1, 4, 4 }, y.shape);
        Assert.Equal(
            [1.0, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4],
            Values(y));
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        var r = new Random(20240601);
        Module("Upsample nearest 1d", nn.Upsample(2), Normal(r, 2, 2, 3));
        Module("Upsample nearest 2d ×1.5", nn.Upsample(1.5), Normal(r, 1, 2, 3, 2));
        Module("Upsample bilinear", nn.Upsample(2, UpsampleMode.Bilinear), Normal(r, 1, 2, 3, 3));
    }

    [Fact]
    public void Bad_scales_and_shapes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Upsample(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Upsample(double.NaN));
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => nn.Upsample(2, UpsampleMode.Bilinear).forward(zeros(1, 2, 3)));
        Assert.Contains("mode Bilinear expects a 4-d [N, C, H, W] input, got shape [1, 2, 3]", error.Message, StringComparison.Ordinal);
    }
}
