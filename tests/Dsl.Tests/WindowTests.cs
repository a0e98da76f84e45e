using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>
/// Non-square 2-d windows: <c>kernel</c>, <c>stride</c>, <c>padding</c> and <c>dilation</c> of
/// <c>conv2d</c> and the 2-d pools as one integer for both dimensions or <c>[height, width]</c>;
/// sizes floor((L + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1 per dimension, by hand.
/// </summary>
public sealed class WindowTests
{
    [Theory]
    // H: (8 + 2 − 2 − 1)/1 + 1 = 8; W: (10 + 4 − 4 − 1)/1 + 1 = 10; 4·3·3·5 + 4 = 184
    [InlineData("float[3, 8, 10]", "conv2d(4, [3, 5], padding: [1, 2])", "[4, 8, 10]", 184)]
    // H: (8 − 3)/1 + 1 = 6; W: (10 − 5)/2 + 1 = 3; 4·3·15 + 4 = 184
    [InlineData("float[3, 8, 10]", "conv2d(4, kernel: [3, 5], stride: [1, 2])", "[4, 6, 3]", 184)]
    // H: (8 − 2·2 − 1)/1 + 1 = 4; W: (10 − 1·2 − 1)/1 + 1 = 8; 2·(4/2)·3·3 (no bias) = 36
    [InlineData("float[4, 8, 10]", "conv2d(2, 3, dilation: [2, 1], groups: 2, bias: false)", "[2, 4, 8]", 36)]
    // a single kernel with per-dimension stride: H (8 − 3)/2 + 1 = 3; W (10 − 3)/1 + 1 = 8; 1·1·9 + 1 = 10
    [InlineData("float[1, 8, 10]", "conv2d(1, 3, stride: [2, 1])", "[1, 3, 8]", 10)]
    // [1, 1] is the same as 1: H (8 − 1) + 1 = 8; W 10; 5·2·1·1 + 5 = 15
    [InlineData("float[2, 8, 10]", "conv2d(5, [1, 1])", "[5, 8, 10]", 15)]
    // stride defaults to the kernel: H (8 − 2)/2 + 1 = 4; W (10 − 5)/5 + 1 = 2
    [InlineData("float[3, 8, 10]", "maxpool2d([2, 5])", "[3, 4, 2]", 0)]
    // H (8 + 2 − 3)/1 + 1 = 8; W (10 + 0 − 1)/1 + 1 = 10
    [InlineData("float[3, 8, 10]", "maxpool2d([3, 1], stride: 1, padding: [1, 0])", "[3, 8, 10]", 0)]
    // H (8 − 2·(2 − 1) − 1)/1 + 1 = 6; W (10 − 1·(2 − 1) − 1)/2 + 1 = 5
    [InlineData("float[3, 8, 10]", "maxpool2d(2, stride: [1, 2], dilation: [2, 1])", "[3, 6, 5]", 0)]
    // H (8 − 4)/4 + 1 = 2; W (10 + 2 − 2)/2 + 1 = 6
    [InlineData("float[3, 8, 10]", "avgpool2d([4, 2], padding: [0, 1])", "[3, 2, 6]", 0)]
    public void Two_dimensional_windows_take_a_value_per_dimension(string input, string layer, string output, long parameters)
    {
        var model = TestCompiler.Model($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        var bound = Assert.Single(Assert.Single(model.SharedBlocks).Pipeline.Layers);
        Assert.Equal(output, bound.Output.Shape.ToString());
        Assert.Equal(parameters, bound.ParameterCount);
    }

    [Fact]
    public void The_setting_keeps_what_was_written_and_gives_every_dimension_its_value()
    {
        var model = TestCompiler.Model("model M\ninput x: float[3, 8, 10]\nshared s = x -> maxpool2d([2, 5], padding: 1)\ntask t: regression(1) = s -> flatten -> linear(1)\n");
        var setting = Assert.Single(Assert.Single(model.SharedBlocks).Pipeline.Layers).Setting;

        Assert.Equal("[2, 5]", setting["kernel"]!.ToString());
        Assert.Equal("[2, 5]", setting["stride"]!.ToString());
        Assert.Equal(new long[] { 1, 1 }, setting.PerDimension("padding", 2));
        Assert.Equal(new long[] { 2, 5 }, setting.PerDimension("stride", 2));
    }

    [Theory]
    [InlineData("conv2d(4, [3, 5, 7])", "MTL0304", "'kernel' of 'conv2d' expects an integer or a list of 2 integers; found '[...]'")]
    [InlineData("conv2d(4, [3])", "MTL0304", "'kernel' of 'conv2d' expects an integer or a list of 2 integers; found '[...]'")]
    [InlineData("conv2d(4, 3, stride: [1, 0])", "MTL0305", null)]
    [InlineData("conv2d(4, 3, padding: [-1, 0])", "MTL0305", null)]
    [InlineData("maxpool2d([2, 1.5])", "MTL0304", null)]
    [InlineData("conv1d(4, [3, 5])", "MTL0304", "'kernel' of 'conv1d' expects an integer; found '[...]'")]
    [InlineData("maxpool1d([2, 2])", "MTL0304", "'kernel' of 'maxpool1d' expects an integer; found '[...]'")]
    public void Wrong_per_dimension_values_are_reported(string layer, string code, string? message)
    {
        var input = layer.Contains("1d", StringComparison.Ordinal) ? "float[3, 10]" : "float[3, 8, 10]";
        var diagnostic = TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(code, diagnostic.Id);
        if (message is not null)
        {
            Assert.Equal(message, diagnostic.Message);
        }

        Assert.Equal(3, diagnostic.Span.StartLine);
    }

    [Theory]
    // W: 4 + 0 < 1·(5 − 1) + 1 = 5, though the height fits
    [InlineData("float[3, 8, 4]", "conv2d(4, [3, 5])", "MTL0201", "'conv2d' leaves no output: input is [3, 8, 4]")]
    // H: 2 + 0 < 3
    [InlineData("float[3, 2, 10]", "maxpool2d([3, 1])", "MTL0201", "'maxpool2d' leaves no output: input is [3, 2, 10]")]
    [InlineData("float[3, 8, 10]", "maxpool2d([4, 2], padding: [2, 2])", "MTL0211", "'maxpool2d' padding 2 must be at most half the kernel [4, 2]")]
    [InlineData("float[3, 8, 10]", "avgpool2d(2, padding: [1, 2])", "MTL0211", "'avgpool2d' padding [1, 2] must be at most half the kernel 2")]
    public void Impossible_sizes_name_the_layer_and_the_shapes(string input, string layer, string code, string message)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal((code, message), (diagnostic.Id, diagnostic.Message));
        Assert.Equal($"3:17-3:{17 + layer.Length}", diagnostic.Span.ToString());
    }
}
