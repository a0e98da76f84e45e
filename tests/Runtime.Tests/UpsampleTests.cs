using Mtl.Torch;
using Xunit;
using static Mtl.Runtime.Tests.GradCheck;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>nn.Upsample (what <c>upsample</c> builds), align_corners false: values against hand computation.</summary>
public sealed class UpsampleTests
{
    private static double[] Values(Tensor t) => t.data<double>().ToArray();

    private static void Close(double[] expected, Tensor actual)
    {
        var values = Values(actual);
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < values.Length; i++) Assert.Equal(expected[i], values[i], 1e-12);
    }

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
    public void A_scale_per_dimension_scales_each_dimension_by_its_own()
    {
        using var scope = NewDisposeScope();

        // [[1, 2], [3, 4]] with scale [2, 1]: each row twice, the columns as they are.
        var y = nn.Upsample(new double[] { 2, 1 }).forward(tensor(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2]));
        Assert.Equal(new long[] { 1, 1, 4, 2 }, y.shape);
        Assert.Equal([1.0, 2, 1, 2, 3, 4, 3, 4], Values(y));

        // Bilinear with scale [1, 1.7] on the row [1, 2]: floor(2·1.7) = 3 columns, sampled at
        // (q + 0.5)/1.7 − 0.5 = −0.206 (clamped to 0), 0.382, 0.971.
        var z = nn.Upsample(new double[] { 1, 1.7 }, UpsampleMode.Bilinear).forward(tensor(new double[] { 1, 2 }, [1, 1, 1, 2]));
        Assert.Equal(new long[] { 1, 1, 1, 3 }, z.shape);
        Close([1.0, 1 + (1.5 / 1.7) - 0.5, 1 + (2.5 / 1.7) - 0.5], z);
    }

    [Fact]
    public void A_size_resizes_to_it_sampling_at_the_ratio_of_the_sizes()
    {
        using var scope = NewDisposeScope();

        // Nearest, [1, 2, 3] to 5: the ratio is 3/5, sources floor(0.6·i) = 0, 0, 1, 1, 2.
        var y = nn.Upsample(new long[] { 5 }).forward(tensor(new double[] { 1, 2, 3 }, [1, 1, 3]));
        Assert.Equal([1.0, 1, 2, 2, 3], Values(y));

        // Bilinear, the row [1, 2] to 3 columns: the ratio is 2/3 (not 1/1.7 as with a scale above),
        // sources (q + 0.5)·2/3 − 0.5 = −1/6 (clamped to 0), 0.5, 7/6 (past the last, so the last).
        var z = nn.Upsample(new long[] { 1, 3 }, UpsampleMode.Bilinear).forward(tensor(new double[] { 1, 2 }, [1, 1, 1, 2]));
        Assert.Equal(new long[] { 1, 1, 1, 3 }, z.shape);
        Close([1.0, 1.5, 2], z);

        // Shrinking, bilinear, [1, 2, 3, 4] to 2: the ratio is 2, sources 0.5 and 2.5, so the means of neighbours.
        var w = nn.Upsample(new long[] { 1, 2 }, UpsampleMode.Bilinear).forward(tensor(new double[] { 1, 2, 3, 4 }, [1, 1, 1, 4]));
        Close([1.5, 3.5], w);
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        var r = new Random(20240601);
        Module("Upsample nearest 1d", nn.Upsample(2), Normal(r, 2, 2, 3));
        Module("Upsample nearest 2d ×1.5", nn.Upsample(1.5), Normal(r, 1, 2, 3, 2));
        Module("Upsample bilinear", nn.Upsample(2, UpsampleMode.Bilinear), Normal(r, 1, 2, 3, 3));
        Module("Upsample nearest scale [2, 1.5]", nn.Upsample(new double[] { 2, 1.5 }), Normal(r, 1, 2, 3, 2));
        Module("Upsample bilinear scale [1.5, 0.5]", nn.Upsample(new double[] { 1.5, 0.5 }, UpsampleMode.Bilinear), Normal(r, 1, 2, 3, 4));
        Module("Upsample nearest size [5, 3]", nn.Upsample(new long[] { 5, 3 }), Normal(r, 1, 2, 3, 2));
        Module("Upsample bilinear size [5, 2]", nn.Upsample(new long[] { 5, 2 }, UpsampleMode.Bilinear), Normal(r, 1, 2, 3, 3));
    }

    [Fact]
    public void Bad_scales_and_shapes_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Upsample(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Upsample(double.NaN));
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => nn.Upsample(2, UpsampleMode.Bilinear).forward(zeros(1, 2, 3)));
        Assert.Contains("mode Bilinear expects a 4-d [N, C, H, W] input, got shape [1, 2, 3]", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Upsample(new double[] { 2, -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Upsample(new long[] { 28, 0 }));
        var count = Assert.Throws<ArgumentException>(() => nn.Upsample(new long[] { 28 }).forward(zeros(1, 2, 3, 3)));
        Assert.Contains("interpolate: size has 1 value for the 2 spatial dimensions of shape [1, 2, 3, 3]", count.Message, StringComparison.Ordinal);
        var counts = Assert.Throws<ArgumentException>(() => nn.Upsample(new long[] { 4, 4 }).forward(zeros(1, 2, 3)));
        Assert.Contains("interpolate: size has 2 values for the 1 spatial dimension of shape [1, 2, 3]", counts.Message, StringComparison.Ordinal);
        var empty = Assert.Throws<ArgumentException>(() => nn.Upsample(new double[] { 1, 0.1 }).forward(zeros(1, 2, 3, 3)));
        Assert.Contains("leaves no output", empty.Message, StringComparison.Ordinal);
    }
}
