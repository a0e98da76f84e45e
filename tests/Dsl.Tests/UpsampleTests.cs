using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary><c>upsample(scale, mode)</c>: each spatial size floor(size · scale), as nn.Upsample(scale_factor).</summary>
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
    [InlineData("float[4, 10]", "upsample", "MTL0302", null, null)]
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
