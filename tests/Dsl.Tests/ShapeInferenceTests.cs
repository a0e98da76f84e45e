using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

public sealed class ShapeInferenceTests
{
    [Theory]
    [InlineData("float[3, 100]", "conv1d(8, 3)", "[8, 98]", 80)]
    [InlineData("float[3, 100]", "conv1d(8, 3, stride: 2, padding: 1, dilation: 2)", "[8, 49]", 80)]
    [InlineData("float[3, 32, 32]", "conv2d(16, 5)", "[16, 28, 28]", 1216)]
    [InlineData("float[3, 32, 32]", "conv2d(16, 3, stride: 2, padding: 1)", "[16, 16, 16]", 448)]
    [InlineData("float[2, 8, 8]", "conv2d(4, 3, groups: 2, bias: false)", "[4, 6, 6]", 36)]
    [InlineData("float[8, 32, 32]", "maxpool2d(3, stride: 2, padding: 1)", "[8, 16, 16]", 0)]
    [InlineData("float[8, 32, 32]", "maxpool2d(2)", "[8, 16, 16]", 0)]
    [InlineData("float[2, 10]", "avgpool1d(4)", "[2, 2]", 0)]
    [InlineData("float[2, 10]", "maxpool1d(3, stride: 1, dilation: 2)", "[2, 6]", 0)]
    [InlineData("float[8, 32, 32]", "adaptive_avgpool2d(7)", "[8, 7, 7]", 0)]
    [InlineData("float[8, 30]", "adaptive_avgpool1d(5)", "[8, 5]", 0)]
    [InlineData("float[16, 5, 5]", "flatten", "[400]", 0)]
    [InlineData("float", "flatten", "[1]", 0)]
    [InlineData("float[10, 8]", "lstm(32)", "[10, 32]", 5376)]
    [InlineData("float[10, 8]", "lstm(32, bidirectional: true, reduce: last)", "[64]", 10752)]
    [InlineData("float[10, 8]", "lstm(32, layers: 2, reduce: mean)", "[32]", 13824)]
    [InlineData("float[10, 8]", "gru(16, layers: 2)", "[10, 16]", 2880)]
    [InlineData("long[5]", "embedding(100, 8)", "[5, 8]", 800)]
    [InlineData("int[2, 5]", "embedding(vocab: 10, dim: 3)", "[2, 5, 3]", 30)]
    [InlineData("float[8, 4, 4]", "batchnorm", "[8, 4, 4]", 16)]
    [InlineData("float[8]", "batchnorm", "[8]", 16)]
    [InlineData("float[10, 6]", "layernorm", "[10, 6]", 12)]
    [InlineData("float[4, 5]", "mean(dim: -1)", "[4]", 0)]
    [InlineData("float[4, 5]", "sum(dim: 1)", "[5]", 0)]
    [InlineData("float[4, 5, 6]", "max(dim: 2)", "[4, 6]", 0)]
    [InlineData("float[4, 5]", "softmax(dim: 1)", "[4, 5]", 0)]
    [InlineData("float[12]", "linear(6)", "[6]", 78)]
    [InlineData("float[12]", "linear(6, bias: false)", "[6]", 72)]
    [InlineData("float[12]", "residual(linear(12) -> relu)", "[12]", 156)]
    [InlineData("double[12]", "dropout(0.5) -> leaky_relu(0.2) -> gelu -> silu -> tanh -> sigmoid -> log_softmax", "[12]", 0)]
    [InlineData("float[3, 12]", "elu -> selu -> mish -> softplus -> relu6 -> hardswish -> hardsigmoid -> identity", "[3, 12]", 0)]
    public void Infers_output_shape_and_parameters(string input, string layer, string output, long parameters)
    {
        var block = BindBlock(input, layer);

        Assert.Equal(output, block.Pipeline.Output.Shape.ToString());
        Assert.Equal(parameters, block.Pipeline.Layers[^1].ParameterCount);
    }

    [Fact]
    public void Batchnorm_picks_1d_or_2d_by_rank()
    {
        Assert.Equal(LayerKind.BatchNorm2d, BindBlock("float[8, 4, 4]", "batchnorm").Pipeline.Layers[0].Kind);
        Assert.Equal(LayerKind.BatchNorm1d, BindBlock("float[8, 4]", "batchnorm").Pipeline.Layers[0].Kind);
    }

    [Fact]
    public void Embedding_turns_ids_into_floats()
    {
        var layer = BindBlock("long[5]", "embedding(100, 8)").Pipeline.Layers[0];

        Assert.Equal(new TensorType(DType.Long, Shape.Of(5)), layer.Input);
        Assert.Equal(new TensorType(DType.Float, Shape.Of(5, 8)), layer.Output);
    }

    [Fact]
    public void Every_layer_records_its_input_and_output()
    {
        var layers = BindBlock("float[1, 28, 28]", "conv2d(4, 5) -> relu -> maxpool2d(2) -> flatten -> linear(10)").Pipeline.Layers;

        Assert.Equal(
            ["[1, 28, 28]", "[4, 24, 24]", "[4, 24, 24]", "[4, 12, 12]", "[576]"],
            layers.Select(l => l.Input.Shape.ToString()));
        Assert.Equal(["[4, 24, 24]", "[4, 24, 24]", "[4, 12, 12]", "[576]", "[10]"], layers.Select(l => l.Output.Shape.ToString()));
        Assert.Equal(104 + 5770, BindBlock("float[1, 28, 28]", "conv2d(4, 5) -> relu -> maxpool2d(2) -> flatten -> linear(10)").ParameterCount);
    }

    // PyTorch's count for nn.LSTM / nn.GRU, per layer and direction: gates·(hidden·(input + hidden) + 2·hidden)
    // (weight_ih, weight_hh, bias_ih, bias_hh; LSTM has 4 gates, GRU 3), where the first layer's input is
    // the features and every later layer's input is the previous layer's output, hidden·directions.
    // Features, hidden and hidden·directions all differ, so taking the wrong one changes the count.
    [Theory]
    [InlineData("float[10, 8]", "lstm(16, layers: 3, bidirectional: true)", "[10, 32]",
        (2 * 4 * ((16 * (8 + 16)) + (2 * 16))) + (2 * 2 * 4 * ((16 * (32 + 16)) + (2 * 16))))] // 3328 + 2·6400 = 16128
    [InlineData("float[6, 5]", "gru(7, layers: 2, bidirectional: true, reduce: last)", "[14]",
        (2 * 3 * ((7 * (5 + 7)) + (2 * 7))) + (2 * 3 * ((7 * (14 + 7)) + (2 * 7))))] // 588 + 966 = 1554
    [InlineData("float[6, 5]", "gru(7, bidirectional: true, reduce: mean)", "[14]",
        2 * 3 * ((7 * (5 + 7)) + (2 * 7)))] // one layer: 588
    [InlineData("float[4, 6]", "lstm(3, layers: 3)", "[4, 3]",
        (4 * ((3 * (6 + 3)) + (2 * 3))) + (2 * 4 * ((3 * (3 + 3)) + (2 * 3))))] // 132 + 2·96 = 324
    [InlineData("float[4, 2]", "gru(9, layers: 4, bidirectional: true, dropout: 0.1)", "[4, 18]",
        (2 * 3 * ((9 * (2 + 9)) + (2 * 9))) + (3 * 2 * 3 * ((9 * (18 + 9)) + (2 * 9))))] // 702 + 3·1566 = 5400
    public void Stacked_recurrent_layers_count_parameters_as_pytorch(string input, string layer, string output, long parameters)
    {
        var recurrent = BindBlock(input, layer).Pipeline.Layers[0];

        Assert.Equal(output, recurrent.Output.Shape.ToString());
        Assert.Equal(parameters, recurrent.ParameterCount);
    }

    // PyTorch refuses a pool whose padding is more than half its kernel: it checks kernel / 2 >= padding
    // in integers, which for whole numbers is 2·padding <= kernel. At the limit the pool is allowed and its
    // output is floor((size + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1.
    [Theory]
    [InlineData("float[2, 10]", "maxpool1d(4, padding: 2)", "[2, 3]")] // (10 + 4 − 3 − 1) / 4 + 1 = 3
    [InlineData("float[2, 10]", "avgpool1d(4, stride: 1, padding: 2)", "[2, 11]")] // (10 + 4 − 4) / 1 + 1 = 11
    [InlineData("float[3, 5, 5]", "maxpool2d(2, padding: 1)", "[3, 3, 3]")] // (5 + 2 − 2) / 2 + 1 = 3
    [InlineData("float[3, 5, 5]", "avgpool2d(2, padding: 1)", "[3, 3, 3]")]
    [InlineData("float[3, 5, 5]", "maxpool2d(3, stride: 1, padding: 1)", "[3, 5, 5]")] // odd kernel: 1 <= 3 / 2
    [InlineData("float[2, 10]", "maxpool1d(2, stride: 1, padding: 1, dilation: 3)", "[2, 9]")] // (10 + 2 − 3 − 1) / 1 + 1 = 9
    public void Pool_padding_of_exactly_half_the_kernel_is_allowed(string input, string layer, string output)
    {
        Assert.Equal(output, BindBlock(input, layer).Pipeline.Output.Shape.ToString());
    }

    [Theory]
    [InlineData("float[2, 10]", "maxpool1d(4, padding: 3)", 3, 4)]
    [InlineData("float[2, 10]", "avgpool1d(2, padding: 2)", 2, 2)]
    [InlineData("float[3, 5, 5]", "maxpool2d(3, padding: 2)", 2, 3)] // 2 > 3 / 2 = 1
    [InlineData("float[3, 5, 5]", "avgpool2d(5, padding: 3)", 3, 5)]
    [InlineData("float[2, 10]", "maxpool1d(1, padding: 1, dilation: 4)", 1, 1)] // the undilated kernel counts, as in PyTorch
    public void Pool_padding_over_half_the_kernel_is_reported(string input, string layer, long padding, long kernel)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        var name = layer[..layer.IndexOf('(', StringComparison.Ordinal)];
        Assert.Equal(
            ("MTL0211", $"'{name}' padding {padding} must be at most half the kernel {kernel}", $"3:17-3:{17 + layer.Length}"),
            (diagnostic.Id, diagnostic.Message, diagnostic.Span.ToString()));
    }

    [Theory]
    [InlineData("concat(a, b)", "float[2, 8]", "float[3, 8]", "[5, 8]")]
    [InlineData("concat(a, b, dim: 2)", "float[2, 8]", "float[2, 4]", "[2, 12]")]
    [InlineData("concat(a, b, dim: -1)", "float[2, 8]", "float[2, 4]", "[2, 12]")]
    [InlineData("concat(a, b -> linear(3))", "float[8]", "float[4]", "[11]")]
    [InlineData("add(a, b)", "float[2, 8]", "float[2, 8]", "[2, 8]")]
    public void Merges_combine_shapes(string merge, string a, string b, string output)
    {
        var model = TestCompiler.Model(
            $"model M\ninput a: {a}\ninput b: {b}\nshared s = {merge}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        var block = Assert.Single(model.SharedBlocks);
        var source = Assert.IsType<MergeSource>(block.Pipeline.Source);
        Assert.Equal(output, source.Output.Shape.ToString());
    }

    [Theory]
    [InlineData("concat(a, b)", "float", "double", DType.Double)]
    [InlineData("concat(b, a)", "float", "double", DType.Double)]
    [InlineData("add(a, b)", "float", "double", DType.Double)]
    [InlineData("add(b, a)", "float", "double", DType.Double)]
    [InlineData("concat(a, b)", "float", "float", DType.Float)]
    [InlineData("add(a, b)", "double", "double", DType.Double)]
    public void Merges_promote_the_element_type_in_any_order(string merge, string a, string b, DType expected)
    {
        var model = TestCompiler.Model(
            $"model M\ninput a: {a}[4]\ninput b: {b}[4]\nshared s = {merge}\ntask t: regression(1) = s -> linear(1)\n");

        Assert.Equal(expected, model.SharedBlocks[0].Pipeline.Output.DType);
        Assert.Equal(expected, model.Tasks[0].Pipeline.Layers[0].Input.DType);
    }

    [Theory]
    [InlineData("concat(a, b)", "long")]
    [InlineData("concat(b, a)", "int")]
    [InlineData("add(a, b)", "bool")]
    public void Merges_of_integer_or_bool_branches_are_an_error(string merge, string other)
    {
        var diagnostic = TestCompiler.Single(
            $"model M\ninput a: float[4]\ninput b: {other}[4]\ntask t: regression(1) = {merge} -> linear(1)\n");

        Assert.Equal("MTL0206", diagnostic.Id);
        Assert.Contains($"input is {other}[4]", diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Concat_records_a_positive_dim()
    {
        var model = TestCompiler.Model("model M\ninput a: float[2, 8]\ninput b: float[2, 4]\ntask t: regression(1) = concat(a, b, dim: -1) -> flatten -> linear(1)\n");

        Assert.Equal(2, Assert.IsType<MergeSource>(model.Tasks[0].Pipeline.Source).Dim);
    }

    [Theory]
    [InlineData("float", "linear(4)", "MTL0200", "give the input a size, for example float[1]")]
    [InlineData("float[3, 4, 4]", "conv2d(8, 5)", "MTL0201", "use a smaller kernel or stride, or add padding")]
    [InlineData("float[3, 10]", "conv2d(8, 3)", "MTL0200", null)]
    [InlineData("float[10]", "lstm(8)", "MTL0200", null)]
    [InlineData("float[4]", "embedding(10, 2)", "MTL0206", "embedding looks up integer token ids: declare the input as long")]
    [InlineData("bool[4]", "relu", "MTL0206", "declare the input as float, or add 'float' first")]
    [InlineData("float[4, 5]", "mean(dim: 3)", "MTL0208", "use 1 to 2 or -2 to -1 (dim 0 is the batch)")]
    [InlineData("float[4]", "residual(linear(5))", "MTL0204", null)]
    public void Impossible_shapes_are_reported_with_a_fix(string input, string layer, string code, string? fix)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(code, diagnostic.Id);
        Assert.Equal(fix, diagnostic.Fix);
        Assert.Equal(3, diagnostic.Span.StartLine);
        Assert.Equal(17, diagnostic.Span.StartColumn);
    }

    [Theory]
    [InlineData("float[1, 2, 2]", "conv2d(1000000000, 1)", "conv2d")]
    [InlineData("float[1, 4]", "conv1d(1, 1, padding: 2147483647)", "conv1d")]
    [InlineData("float[1, 4, 4]", "adaptive_avgpool2d(100000)", "adaptive_avgpool2d")]
    [InlineData("long[100000]", "embedding(vocab: 10, dim: 100000)", "embedding")]
    [InlineData("float[100000, 4]", "lstm(100000)", "lstm")]
    [InlineData("float[4, 4]", "gru(2147483647, bidirectional: true, reduce: last)", "gru")]
    [InlineData("float[1, 100000]", "residual(relu) -> conv1d(100000, 1)", "conv1d")]
    public void Every_layer_output_above_int_max_elements_is_reported(string input, string layers, string layer)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: {input}\nshared s = x -> {layers}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(("MTL0210", $"'{layer}' output has more than 2147483647 elements per example"), (diagnostic.Id, diagnostic.Message));
        Assert.Equal(3, diagnostic.Span.StartLine);
    }

    [Fact]
    public void A_merge_output_above_int_max_elements_is_reported()
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: float[1073741824]\ntask t: binary = concat(x, x) -> linear(1)\n");

        Assert.Equal(("MTL0210", "'concat' output has more than 2147483647 elements per example"), (diagnostic.Id, diagnostic.Message));
        Assert.Equal("3:18-3:30", diagnostic.Span.ToString());
    }

    [Fact]
    public void An_input_above_int_max_elements_is_reported_at_its_dimensions()
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: float[65536, 65536]\ntask t: binary = x -> flatten -> linear(1)\n");

        Assert.Equal(("MTL0210", "input 'x' has more than 2147483647 elements per example"), (diagnostic.Id, diagnostic.Message));
        Assert.Equal("2:16-2:28", diagnostic.Span.ToString());
    }

    [Fact]
    public void A_failed_block_does_not_cascade_into_its_readers()
    {
        var result = TestCompiler.Compile(
            "model M\ninput x: float[16]\nshared s = x -> lstm(4)\nshared u = s -> linear(2)\ntask t: regression(1) = u -> linear(1)\n");

        Assert.Equal("MTL0200", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(result.Models);
    }

    private static SharedBlock BindBlock(string input, string layers)
    {
        var model = TestCompiler.Model($"model M\ninput x: {input}\nshared s = x -> {layers}\ntask t: regression(1) = s -> flatten -> linear(1)\n");
        return Assert.Single(model.SharedBlocks);
    }
}
