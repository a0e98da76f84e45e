using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// ConvTranspose1d/2d (what <c>conv_transpose1d</c>/<c>conv_transpose2d</c> build): each input
/// value adds its weight-scaled kernel to the output at stride steps, as worked out by hand below;
/// weight layout [in, out/groups, kernel...] and the checks of bad sizes.
/// </summary>
public sealed class TransposedConvolutionTests
{
    private static void Set(Parameter weight, Parameter? bias, double[] values, double biasValue = 0)
    {
        using (no_grad())
        {
            weight.copy_(tensor(values, weight.shape));
            bias?.fill_(biasValue);
        }
    }

    private static double[] Values(Tensor t) => t.data<double>().ToArray();

    [Fact]
    public void A_1d_transposed_convolution_spreads_each_input_over_the_kernel()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2, 3 }, [1, 1, 3]);

        // kernel [1, 10], stride 2: x_i·[1, 10] at 2i, 2i+1 -> length (3 − 1)·2 + 1 + 1 = 6
        var strided = nn.ConvTranspose1d(1, 1, 2, stride: 2, bias: false, dtype: ScalarType.Float64);
        Set(strided.weight, null, [1, 10]);
        Assert.Equal([1.0, 10, 2, 20, 3, 30], Values(strided.forward(x)));

        // stride 1: overlaps add up, [1, 10 + 2, 20 + 3, 30]; plus the bias 0.5
        var overlapping = nn.ConvTranspose1d(1, 1, 2, dtype: ScalarType.Float64);
        Set(overlapping.weight, overlapping.bias, [1, 10], 0.5);
        Assert.Equal([1.5, 12.5, 23.5, 30.5], Values(overlapping.forward(x)));

        // padding 1 crops one value from each end: [12, 23]
        var padded = nn.ConvTranspose1d(1, 1, 2, padding: 1, bias: false, dtype: ScalarType.Float64);
        Set(padded.weight, null, [1, 10]);
        Assert.Equal([12.0, 23], Values(padded.forward(x)));

        // output_padding 1 adds one value at the end, which no input reaches: length 7
        var extended = nn.ConvTranspose1d(1, 1, 2, stride: 2, output_padding: 1, bias: false, dtype: ScalarType.Float64);
        Set(extended.weight, null, [1, 10]);
        Assert.Equal([1.0, 10, 2, 20, 3, 30, 0], Values(extended.forward(x)));
    }

    [Fact]
    public void Groups_keep_channels_apart_and_the_weight_is_in_by_out_over_groups()
    {
        using var scope = NewDisposeScope();

        // two groups of one channel each: weight [2, 1, 1] = 2 and 3; input [5, 7] -> [10, 21]
        var grouped = nn.ConvTranspose1d(2, 2, 1, groups: 2, bias: false, dtype: ScalarType.Float64);
        Assert.Equal(new long[] { 2, 1, 1 }, grouped.weight.shape);
        Set(grouped.weight, null, [2, 3]);
        Assert.Equal([10.0, 21], Values(grouped.forward(tensor(new double[] { 5, 7 }, [1, 2, 1]))));

        // in 4, out 6, groups 2, kernel [2, 3]: [4, 3, 2, 3], 4·3·6 + 6 = 78 parameters (the count the language gives)
        var conv = nn.ConvTranspose2d(4, 6, (2, 3), groups: 2);
        Assert.Equal(new long[] { 4, 3, 2, 3 }, conv.weight.shape);
        Assert.Equal(78, conv.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void A_2d_transposed_convolution_with_a_rectangular_kernel_and_stride()
    {
        using var scope = NewDisposeScope();

        // kernel [1, 2], stride [2, 1]; out channel 0 has [1, 2], channel 1 [3, 4]; input [[1, 2], [3, 4]].
        // H (2 − 1)·2 + 1 = 3, W (2 − 1)·1 + 2 = 3. Channel 0: row 0 1·[1, 2] + 2·[1, 2] shifted by one
        // = [1, 4, 4]; row 1 no input (stride 2); row 2 3·[1, 2] + 4·[1, 2] shifted = [3, 10, 8].
        // Channel 1 likewise with [3, 4]: [3, 10, 8], zeros, [9, 24, 16].
        var conv = nn.ConvTranspose2d(1, 2, (1, 2), stride: (2, 1), bias: false, dtype: ScalarType.Float64);
        Set(conv.weight, null, [1, 2, 3, 4]);
        var y = conv.forward(tensor(new double[] { 1, 2, 3, 4 }, [1, 1, 2, 2]));

        Assert.Equal(new long[] { 1, 2, 3, 3 }, y.shape);
        Assert.Equal([1.0, 4, 4, 0, 0, 0, 3, 10, 8, 3, 10, 8, 0, 0, 0, 9, 24, 16], Values(y));
    }

    [Fact]
    public void Bad_sizes_are_refused_naming_the_layer()
    {
        var outputPadding = Assert.Throws<ArgumentOutOfRangeException>(() => nn.ConvTranspose1d(1, 1, 3, stride: 2, output_padding: 2));
        Assert.Contains("ConvTranspose1d: output_padding (2) must be at least 0 and smaller than the stride (2) or the dilation (1)", outputPadding.Message, StringComparison.Ordinal);

        var groups = Assert.Throws<ArgumentException>(() => nn.ConvTranspose2d(3, 4, 3, groups: 2));
        Assert.Contains("ConvTranspose2d: in_channels (3) and out_channels (4) must be divisible by groups (2)", groups.Message, StringComparison.Ordinal);
    }
}
