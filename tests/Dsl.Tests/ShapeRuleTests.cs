using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>
/// The edges of the shape rules, where a one-token change to a comparison, a condition or a message
/// would otherwise go unnoticed: each case sits exactly on a boundary or needs one half of a condition.
/// </summary>
public sealed class ShapeRuleTests
{
    // Every layer family names the shape it expects; the message is what the user reads.
    [Theory]
    [InlineData("float", "linear(2)", "'linear' expects [..., features] input; input is []", "give the input a size, for example float[1]")]
    [InlineData("float[4]", "conv1d(2, 1)", "'conv1d' expects [channels, length] input; input is [4]", null)]
    [InlineData("float[4, 4]", "conv2d(2, 1)", "'conv2d' expects [channels, height, width] input; input is [4, 4]", null)]
    [InlineData("float", "conv1d(2, 1)", "'conv1d' expects [channels, length] input; input is []", "give the input a size, for example float[1]")]
    [InlineData("float", "maxpool1d(2)", "'maxpool1d' expects [channels, length] input; input is []", "give the input a size, for example float[1]")]
    [InlineData("float[4]", "avgpool1d(2)", "'avgpool1d' expects [channels, length] input; input is [4]", null)]
    [InlineData("float[4, 4]", "maxpool2d(2)", "'maxpool2d' expects [channels, height, width] input; input is [4, 4]", null)]
    [InlineData("float[4, 4, 4]", "adaptive_avgpool1d(2)", "'adaptive_avgpool1d' expects [channels, length] input; input is [4, 4, 4]", null)]
    [InlineData("float[4]", "adaptive_avgpool2d(2)", "'adaptive_avgpool2d' expects [channels, height, width] input; input is [4]", null)]
    [InlineData("float[1, 2, 3, 4]", "batchnorm", "'batchnorm' expects [features], [channels, length] or [channels, height, width] input; input is [1, 2, 3, 4]", null)]
    [InlineData("float", "batchnorm", "'batchnorm' expects [features], [channels, length] or [channels, height, width] input; input is []", "give the input a size, for example float[1]")]
    [InlineData("float", "layernorm", "'layernorm' expects at least one dimension input; input is []", "give the input a size, for example float[1]")]
    [InlineData("float[4]", "lstm(2)", "'lstm' expects a sequence [length, features] input; input is [4]", null)]
    [InlineData("float[2, 3, 4]", "gru(2)", "'gru' expects a sequence [length, features] input; input is [2, 3, 4]", null)]
    public void Wrong_rank_names_the_expected_shape(string input, string layer, string message, string? fix)
    {
        var diagnostic = Single(input, layer);

        Assert.Equal(("MTL0200", message, fix), (diagnostic.Id, diagnostic.Message, diagnostic.Fix));
    }

    [Fact]
    public void Layernorm_takes_a_vector()
    {
        var layer = Block("float[6]", "layernorm").Pipeline.Layers[0];

        Assert.Equal(("[6]", 12L), (layer.Output.Shape.ToString(), layer.ParameterCount));
    }

    // linear is PyTorch's nn.Linear: it maps the last dim and keeps the leading ones; the count is in·out + out.
    [Theory]
    [InlineData("float[6]", "linear(4)", "[4]", 28L)] // 6·4 + 4
    [InlineData("float[12, 16]", "linear(5)", "[12, 5]", 85L)] // 16·5 + 5, once for every token
    [InlineData("float[3, 8, 8]", "permute(0, 2, 3, 1) -> linear(2, bias: false)", "[8, 8, 2]", 6L)] // 3·2, no bias
    [InlineData("float[2, 3, 7]", "linear(1)", "[2, 3, 1]", 8L)] // 7·1 + 1
    public void Linear_maps_the_last_dim_and_keeps_the_others(string input, string layers, string output, long parameters)
    {
        var layer = Block(input, layers).Pipeline.Layers[^1];

        Assert.Equal((output, parameters), (layer.Output.Shape.ToString(), layer.ParameterCount));
    }

    // A window that exactly covers the padded input leaves one position: floor((size + 2·padding − reach) / stride) + 1 = 1.
    [Theory]
    [InlineData("float[1, 5]", "conv1d(2, 5)", "[2, 1]")] // (5 − 5) / 1 + 1
    [InlineData("float[1, 3]", "conv1d(2, 5, padding: 1)", "[2, 1]")] // (3 + 2 − 5) / 1 + 1
    [InlineData("float[1, 3, 3]", "maxpool2d(3)", "[1, 1, 1]")] // (3 − 3) / 3 + 1
    [InlineData("float[1, 5]", "conv1d(2, 3, dilation: 2)", "[2, 1]")] // reach 2·2 + 1 = 5: (5 − 5) / 1 + 1
    public void A_window_that_exactly_fits_leaves_one_position(string input, string layer, string output)
    {
        Assert.Equal(output, Block(input, layer).Pipeline.Output.Shape.ToString());
    }

    // (4 − 5) / 2 truncates to 0 in integer division, which would give one position; the window does not fit.
    [Theory]
    [InlineData("float[1, 4]", "conv1d(2, 5, stride: 2)", "[1, 4]")]
    [InlineData("float[1, 4, 4]", "avgpool2d(5, stride: 3)", "[1, 4, 4]")]
    public void A_window_larger_than_the_input_is_empty_whatever_the_stride(string input, string layer, string shape)
    {
        var diagnostic = Single(input, layer);

        var name = layer[..layer.IndexOf('(', StringComparison.Ordinal)];
        Assert.Equal(("MTL0201", $"'{name}' leaves no output: input is {shape}"), (diagnostic.Id, diagnostic.Message));
    }

    // groups must divide both channel counts: each case fails only one of the two.
    [Theory]
    [InlineData("float[4, 10]", "conv1d(3, 1, groups: 2)", "'conv1d' groups 2 must divide both in channels 4 and out channels 3")]
    [InlineData("float[3, 10]", "conv1d(4, 1, groups: 2)", "'conv1d' groups 2 must divide both in channels 3 and out channels 4")]
    public void Groups_must_divide_each_channel_count(string input, string layer, string message)
    {
        var diagnostic = Single(input, layer);

        Assert.Equal(("MTL0207", message), (diagnostic.Id, diagnostic.Message));
    }

    [Fact]
    public void Flatten_keeps_integer_ids_for_an_embedding()
    {
        var layers = Block("long[2, 3]", "flatten -> embedding(10, 4)").Pipeline.Layers;

        Assert.Equal(new TensorType(DType.Long, Shape.Of(6)), layers[0].Output);
        Assert.Equal(new TensorType(DType.Float, Shape.Of(6, 4)), layers[1].Output);
    }

    [Fact]
    public void Embedding_names_the_id_types_it_takes()
    {
        var diagnostic = Single("double[4]", "embedding(10, 2)");

        Assert.Equal(("MTL0206", "'embedding' expects long or int input; input is double[4]"), (diagnostic.Id, diagnostic.Message));
    }

    [Fact]
    public void A_dim_of_a_scalar_is_out_of_range()
    {
        var diagnostic = Single("float", "softmax");

        Assert.Equal(
            ("MTL0208", "'softmax' dim -1 is out of range for input []", "the input has no dimensions besides the batch"),
            (diagnostic.Id, diagnostic.Message, diagnostic.Fix));
    }

    // The first branch that is not floating point is the one named, whichever kinds follow it.
    [Theory]
    [InlineData("concat(a, b, c)", "long", "int", "'concat' expects float or double input; input is long[4]", "add 'embedding' first to turn ids into vectors, or 'float' to use the values as numbers")]
    [InlineData("concat(a, c, b)", "long", "bool", "'concat' expects float or double input; input is bool[4]", "declare the input as float, or add 'float' first")]
    [InlineData("add(a, b, c)", "int", "bool", "'add' expects float or double input; input is int[4]", "add 'embedding' first to turn ids into vectors, or 'float' to use the values as numbers")]
    public void A_merge_names_its_first_branch_that_is_not_float(string merge, string b, string c, string message, string fix)
    {
        var diagnostic = TestCompiler.Single(
            $"model M\ninput a: float[4]\ninput b: {b}[4]\ninput c: {c}[4]\ntask t: regression(1) = {merge} -> linear(1)\n");

        Assert.Equal(("MTL0206", message, fix), (diagnostic.Id, diagnostic.Message, diagnostic.Fix));
    }

    // Same rank, and a dimension other than the concat dim differs: only the per-dimension comparison can tell.
    [Theory]
    [InlineData("concat(a, b)", "float[2, 8]", "float[3, 4]", "concat needs shapes that agree except along dim 1; found [2, 8], [3, 4]")]
    [InlineData("concat(a, b, dim: 2)", "float[2, 8]", "float[3, 4]", "concat needs shapes that agree except along dim 2; found [2, 8], [3, 4]")]
    [InlineData("concat(a, b, a)", "float[2, 8]", "float[2, 8, 1]", "concat needs shapes that agree except along dim 1; found [2, 8], [2, 8, 1], [2, 8]")]
    public void Concat_shapes_must_agree_off_the_concat_dim(string merge, string a, string b, string message)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput a: {a}\ninput b: {b}\ntask t: regression(1) = {merge} -> flatten -> linear(1)\n");

        Assert.Equal(("MTL0202", message), (diagnostic.Id, diagnostic.Message));
    }

    // PyTorch indexes with 32-bit sizes here: int.MaxValue elements per example is the largest shape allowed.
    [Theory]
    [InlineData("float[2147483647]")]
    [InlineData("float[1, 2147483647]")]
    public void A_shape_of_exactly_int_max_elements_is_allowed(string input)
    {
        var model = TestCompiler.Model($"model M\ninput x: {input}\ntask t: regression(1) = x -> flatten -> linear(1)\n");

        Assert.Equal(int.MaxValue, model.Inputs[0].Type.Shape.ElementCount);
    }

    private static SharedBlock Block(string input, string layers) =>
        Assert.Single(TestCompiler.Model($"model M\ninput x: {input}\nshared s = x -> {layers}\ntask t: regression(1) = s -> flatten -> linear(1)\n").SharedBlocks);

    private static Mtl.Dsl.Diagnostics.Diagnostic Single(string input, string layers) =>
        TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layers}\ntask t: regression(1) = s -> flatten -> linear(1)\n");
}
