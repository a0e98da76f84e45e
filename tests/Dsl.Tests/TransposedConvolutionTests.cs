using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>
/// <c>conv_transpose1d</c>/<c>conv_transpose2d</c>: PyTorch's output size
/// (L − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1 per dimension and its
/// parameter count in·(out/groups)·kernel (+ out), each worked out by hand below.
/// </summary>
public sealed class TransposedConvolutionTests
{
    [Theory]
    // (10 − 1)·1 − 0 + 1·2 + 0 + 1 = 12; 2·4·3 + 4 = 28
    [InlineData("float[2, 10]", "conv_transpose1d(4, 3)", "[4, 12]", 28)]
    // 9·2 − 0 + 2 + 1 + 1 = 22; 2·(4/2)·3 = 12
    [InlineData("float[2, 10]", "conv_transpose1d(4, 3, stride: 2, output_padding: 1, groups: 2, bias: false)", "[4, 22]", 12)]
    // output_padding 1 below dilation 2 with stride 1: 3·1 + 2·2 + 1 + 1 = 9; 1·1·3 + 1 = 4
    [InlineData("float[1, 4]", "conv_transpose1d(1, 3, dilation: 2, output_padding: 1)", "[1, 9]", 4)]
    // 6·2 − 2 + 3 + 0 + 1 = 14 per side; 16·8·16 + 8 = 2056
    [InlineData("float[16, 7, 7]", "conv_transpose2d(8, 4, stride: 2, padding: 1)", "[8, 14, 14]", 2056)]
    // 0 + 1 + 1 = 2 per side; 1·2·4 + 2 = 10
    [InlineData("float[1, 1, 1]", "conv_transpose2d(2, 2, stride: 2)", "[2, 2, 2]", 10)]
    // H: 3·1 − 2 + 2·2 + 0 + 1 = 6; W: 4·2 − 0 + 1·4 + 1 + 1 = 14; 3·6·15 + 6 = 276
    [InlineData("float[3, 4, 5]", "conv_transpose2d(6, [3, 5], stride: [1, 2], padding: [1, 0], output_padding: [0, 1], dilation: [2, 1])", "[6, 6, 14]", 276)]
    public void Output_size_and_parameters_follow_pytorch(string input, string layer, string output, long parameters)
    {
        var model = TestCompiler.Model($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        var bound = Assert.Single(Assert.Single(model.SharedBlocks).Pipeline.Layers);
        Assert.Equal(output, bound.Output.Shape.ToString());
        Assert.Equal(parameters, bound.ParameterCount);
    }

    [Fact]
    public void A_transposed_convolution_undoes_the_size_change_of_the_convolution_it_mirrors()
    {
        // conv2d(8, 3, stride: 2, padding: 1): 28 -> 14; conv_transpose2d(1, 3, stride: 2, padding: 1, output_padding: 1): 14 -> 28.
        var model = TestCompiler.Model("model M\ninput x: float[1, 28, 28]\nshared s = x -> conv2d(8, 3, stride: 2, padding: 1) -> conv_transpose2d(1, 3, stride: 2, padding: 1, output_padding: 1)\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal("[1, 28, 28]", Assert.Single(model.SharedBlocks).Pipeline.Output.Shape.ToString());
    }

    [Theory]
    [InlineData("float[2, 10]", "conv_transpose1d(4, 3, stride: 2, output_padding: 2)", "MTL0219", "'conv_transpose1d' output_padding 2 must be smaller than the stride 2 or the dilation 1", "lower output_padding or raise the stride")]
    [InlineData("float[2, 10]", "conv_transpose1d(4, 3, output_padding: 1)", "MTL0219", "'conv_transpose1d' output_padding 1 must be smaller than the stride 1 or the dilation 1", "lower output_padding or raise the stride")]
    [InlineData("float[2, 4, 4]", "conv_transpose2d(4, 3, stride: [2, 1], output_padding: [1, 1])", "MTL0219", "'conv_transpose2d' output_padding 1 must be smaller than the stride [2, 1] or the dilation 1", "lower output_padding or raise the stride")]
    [InlineData("float[1, 1]", "conv_transpose1d(1, 1, padding: 1)", "MTL0201", "'conv_transpose1d' leaves no output: input is [1, 1]", "use less padding")]
    [InlineData("float[2, 10]", "conv_transpose1d(3, 3, groups: 2)", "MTL0207", "'conv_transpose1d' groups 2 must divide both in channels 2 and out channels 3", null)]
    [InlineData("float[2, 10]", "conv_transpose2d(4, 3)", "MTL0200", "'conv_transpose2d' expects [channels, height, width] input; input is [2, 10]", null)]
    [InlineData("float[2, 10]", "conv_transpose1d(4, 3, output_padding: -1)", "MTL0305", null, null)]
    [InlineData("float[2, 10]", "conv_transpose1d(4, [3, 3])", "MTL0304", null, null)]
    public void Impossible_transposed_convolutions_are_reported(string input, string layer, string code, string? message, string? fix)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(code, diagnostic.Id);
        if (message is not null)
        {
            Assert.Equal((message, fix), (diagnostic.Message, diagnostic.Fix));
            Assert.Equal($"3:17-3:{17 + layer.Length}", diagnostic.Span.ToString());
        }
    }
}
