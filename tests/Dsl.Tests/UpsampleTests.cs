using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>
/// <c>upsample(scale, mode)</c> and <c>upsample(size: ..., mode)</c>: each spatial size floor(size · scale),
/// one scale for all or one per dimension, or the sizes given, as nn.Upsample(scale_factor) or nn.Upsample(size).
/// </summary>
public sealed class UpsampleTests
{
    [Theory]
    [InlineData("float[4, 10]", "upsample(2)", "[4, 20]")]
    [InlineData("float[4, 7, 5]", "upsample(2)", "[4, 14, 10]")]
    [InlineData("float[4, 7, 5]", "upsample(scale: 2, mode: bilinear)", "[4, 14, 10]")]
    // floor(7·1.5) = 10, floor(5·1.5) = 7
    [InlineData("float[4, 7, 5]", "upsample(1.5, mode: nearest)", "[4, 10, 7]")]
    // floor(10·0.5) = 5: a scale below 1 shrinks
    [InlineData("float[4, 10]", "upsample(0.5)", "[4, 5]")]
    // one scale per dimension: floor(7·2) = 14, floor(5·1) = 5; floor(7·0.5) = 3, floor(5·3) = 15
    [InlineData("float[4, 7, 5]", "upsample(scale: [2, 1])", "[4, 14, 5]")]
    [InlineData("float[4, 7, 5]", "upsample([0.5, 3], mode: bilinear)", "[4, 3, 15]")]
    [InlineData("float[4, 10]", "upsample(scale: [1.5])", "[4, 15]")]
    // a target size, one per dimension or one for all; it may shrink as well as grow
    [InlineData("float[4, 7, 5]", "upsample(size: [28, 20])", "[4, 28, 20]")]
    [InlineData("float[4, 7, 5]", "upsample(size: 12, mode: bilinear)", "[4, 12, 12]")]
    [InlineData("float[4, 10]", "upsample(size: [3])", "[4, 3]")]
    public void Scales_each_spatial_dimension(string input, string layer, string output)
    {
        var model = TestCompiler.Model($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        var bound = Assert.Single(Assert.Single(model.SharedBlocks).Pipeline.Layers);
        Assert.Equal((LayerKind.Upsample, output, 0L), (bound.Kind, bound.Output.Shape.ToString(), bound.ParameterCount));
        Assert.Equal(layer.Contains("bilinear", StringComparison.Ordinal) ? "bilinear" : "nearest", bound.Setting.Word("mode"));
    }

    [Theory]
    [InlineData("float[4, 10]", "upsample(2, mode: bilinear)", "MTL0200", "'upsample' expects [channels, height, width] (mode bilinear) input; input is [4, 10]", "use mode: nearest for [channels, length]")]
    [InlineData("float[10]", "upsample(2)", "MTL0200", "'upsample' expects [channels, length] or [channels, height, width] input; input is [10]", null)]
    [InlineData("float[4, 3]", "upsample(0.25)", "MTL0201", "'upsample' leaves no output: input is [4, 3]", "use a larger scale")]
    [InlineData("float[4, 10]", "upsample(2, mode: linear)", "MTL0304", null, null)]
    [InlineData("float[4, 10]", "upsample(0)", "MTL0305", null, null)]
    [InlineData("float[4, 10]", "upsample", "MTL0302", "'upsample' needs 'scale' or 'size'", "give 'scale' (upsample(2)) or 'size' (upsample(size: [28, 28]))")]
    [InlineData("float[4, 10]", "upsample(mode: nearest)", "MTL0302", "'upsample' needs 'scale' or 'size'", "give 'scale' (upsample(2)) or 'size' (upsample(size: [28, 28]))")]
    [InlineData("float[4, 7, 5]", "upsample(2, size: [14, 10])", "MTL0315", "'upsample': give 'scale' or 'size', not both", "keep one: 'scale' multiplies each size, 'size' sets it")]
    [InlineData("float[4, 7, 5]", "upsample(scale: [2, 2, 2])", "MTL0225", "'upsample' scale lists 3 values, but input [4, 7, 5] has 2 spatial dimensions", "give 2 values, one per spatial dimension, or one number for all")]
    [InlineData("float[4, 10]", "upsample(size: [20, 20])", "MTL0225", "'upsample' size lists 2 values, but input [4, 10] has 1 spatial dimension", "give 1 value, one per spatial dimension, or one number for all")]
    [InlineData("float[4, 7, 5]", "upsample(scale: [2, 0.1])", "MTL0201", "'upsample' leaves no output: input is [4, 7, 5]", "use a larger scale")]
    [InlineData("float[4, 7, 5]", "upsample(scale: [2, 0])", "MTL0305", null, null)]
    [InlineData("float[4, 7, 5]", "upsample(size: [28, 0])", "MTL0305", null, null)]
    [InlineData("float[4, 7, 5]", "upsample(size: [28.5, 28])", "MTL0304", null, null)]
    [InlineData("float[4, 7, 5]", "upsample(size: bilinear)", "MTL0304", null, null)]
    [InlineData("float[4, 7, 5]", "upsample(size: [28, 28], mode: bilinear, scale: 2)", "MTL0315", null, null)]
    public void Impossible_upsampling_is_reported(string input, string layer, string code, string? message, string? fix)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(code, diagnostic.Id);
        Assert.Equal(3, diagnostic.Span.StartLine);
        if (message is not null)
        {
            Assert.Equal((message, fix), (diagnostic.Message, diagnostic.Fix));
            Assert.Equal($"3:17-3:{17 + layer.Length}", diagnostic.Span.ToString());
        }
    }

    [Fact]
    public void A_bool_input_is_refused()
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: bool[4, 10]\nshared s = x -> upsample(2)\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal("MTL0206", diagnostic.Id);
    }
}
