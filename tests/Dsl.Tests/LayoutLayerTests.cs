using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary><c>permute</c> and <c>transpose</c>: dims counted with the batch as 0, shapes reordered by hand.</summary>
public sealed class LayoutLayerTests
{
    [Theory]
    [InlineData("float[4, 6]", "permute(0, 2, 1)", "[6, 4]")]
    [InlineData("float[2, 3, 4]", "permute(0, 3, 1, 2)", "[4, 2, 3]")]
    [InlineData("float[2, 3, 4]", "permute(0, 2, 3, 1)", "[3, 4, 2]")]
    [InlineData("float[2, 3, 4]", "permute(0, 1, 2, 3)", "[2, 3, 4]")]
    [InlineData("float[4, 6]", "permute(dims: [0, -1, 1])", "[6, 4]")]
    [InlineData("float[4, 6]", "permute([-3, 2, 1])", "[6, 4]")]
    [InlineData("float[20, 8]", "transpose(1, 2)", "[8, 20]")]
    [InlineData("float[20, 8]", "transpose(dim0: -1, dim1: -2)", "[8, 20]")]
    [InlineData("float[2, 3, 4]", "transpose(-1, 1)", "[4, 3, 2]")]
    [InlineData("float[2, 3, 4]", "transpose(2, 2)", "[2, 3, 4]")]
    public void Reorders_the_per_example_dims(string input, string layer, string output)
    {
        var block = Block(input, layer);

        var bound = Assert.Single(block.Pipeline.Layers);
        Assert.Equal(output, bound.Output.Shape.ToString());
        Assert.Equal(0, bound.ParameterCount);
    }

    [Fact]
    public void Permute_written_one_dim_at_a_time_binds_as_a_list()
    {
        var layer = Assert.Single(Block("float[2, 3, 4]", "permute(0, 3, 1, 2)").Pipeline.Layers);

        Assert.Equal(LayerKind.Permute, layer.Kind);
        Assert.Equal("[0, 3, 1, 2]", layer.Setting["dims"]!.ToString());
    }

    [Fact]
    public void Keeps_the_element_type_of_ids()
    {
        var layer = Assert.Single(Block("long[3, 5]", "transpose(1, 2) -> embedding(10, 4)").Pipeline.Layers.Take(1));

        Assert.Equal(new TensorType(DType.Long, Shape.Of(5, 3)), layer.Output);
    }

    [Fact]
    public void Transpose_lets_conv1d_run_over_positions_of_an_embedding()
    {
        // [20] ids -> [20, 8] -> [8, 20]: 8 channels, length 20; conv1d(16, 3): out 16·8·3 + 16 = 400, length 18.
        var layers = Block("long[20]", "embedding(100, 8) -> transpose(1, 2) -> conv1d(16, 3)").Pipeline.Layers;

        Assert.Equal("[16, 18]", layers[2].Output.Shape.ToString());
        Assert.Equal(400, layers[2].ParameterCount);
    }

    [Theory]
    [InlineData("float[4, 6]", "permute(0, 2, 2)", "'permute' dims [0, 2, 2] must list each of 0 to 2 once, the batch (0) first; input is [4, 6]", "for example permute(0, 2, 1) reverses the per-example dims")]
    [InlineData("float[4, 6]", "permute(1, 0, 2)", "'permute' dims [1, 0, 2] must list each of 0 to 2 once, the batch (0) first; input is [4, 6]", "for example permute(0, 2, 1) reverses the per-example dims")]
    [InlineData("float[2, 3, 4]", "permute(0, 2, 1)", "'permute' dims [0, 2, 1] must list each of 0 to 3 once, the batch (0) first; input is [2, 3, 4]", "for example permute(0, 3, 2, 1) reverses the per-example dims")]
    [InlineData("float[4, 6]", "permute(0, 1, 2, 3)", "'permute' dims [0, 1, 2, 3] must list each of 0 to 2 once, the batch (0) first; input is [4, 6]", "for example permute(0, 2, 1) reverses the per-example dims")]
    [InlineData("float[4]", "permute(0, 1)", null, null)]
    public void A_permute_that_is_no_permutation_is_reported(string input, string layer, string? message, string? fix)
    {
        var result = TestCompiler.Compile($"model M\ninput x: {input}\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        if (message is null)
        {
            // A one-dimensional input permuted as itself is no error.
            Assert.Empty(result.Diagnostics);
            return;
        }

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(("MTL0217", message, fix), (diagnostic.Id, diagnostic.Message, diagnostic.Fix));
        Assert.Equal($"3:17-3:{17 + layer.Length}", diagnostic.Span.ToString());
    }

    [Fact]
    public void A_permute_of_a_one_dimensional_input_names_the_fix()
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: float[4]\ntask t: binary = x -> permute(0, 2, 1) -> linear(1)\n");

        Assert.Equal("MTL0217", diagnostic.Id);
        Assert.Equal("the input has one dimension besides the batch: remove 'permute'", diagnostic.Fix);
    }

    [Theory]
    [InlineData("transpose(0, 1)", "'transpose' dim 0 is out of range for input [20, 8]")]
    [InlineData("transpose(1, 3)", "'transpose' dim 3 is out of range for input [20, 8]")]
    [InlineData("transpose(-3, 1)", "'transpose' dim -3 is out of range for input [20, 8]")]
    public void A_transpose_of_the_batch_or_past_the_rank_is_reported(string layer, string message)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput x: float[20, 8]\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(("MTL0208", message, "use 1 to 2 or -2 to -1 (dim 0 is the batch)"), (diagnostic.Id, diagnostic.Message, diagnostic.Fix));
        Assert.Equal(3, diagnostic.Span.StartLine);
        Assert.Equal(17, diagnostic.Span.StartColumn);
    }

    [Theory]
    [InlineData("permute(0, 2, x)", "MTL0304")]
    [InlineData("permute", "MTL0302")]
    [InlineData("transpose(1)", "MTL0302")]
    [InlineData("transpose(1.5, 2)", "MTL0304")]
    public void Wrong_arguments_are_reported(string layer, string code)
    {
        var result = TestCompiler.Compile($"model M\ninput x: float[20, 8]\nshared s = x -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(code, Assert.Single(result.Diagnostics).Id);
    }

    [Theory]
    [InlineData("embedding(100, 8) -> conv1d(16, 3)")]
    [InlineData("embedding(100, 8) -> dropout(0.1) -> relu -> conv1d(16, 3)")]
    public void Conv1d_straight_after_an_embedding_warns_that_it_convolves_over_the_embedding(string layers)
    {
        var column = "shared s = ids -> ".Length + 1 + layers.IndexOf("conv1d", StringComparison.Ordinal);
        var diagnostic = TestCompiler.Single($"model M\ninput ids: long[20]\nshared s = ids -> {layers} -> flatten\ntask t: regression(1) = s -> linear(1)\n");

        Assert.Equal("MTL0218", diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Warning, diagnostic.Severity);
        Assert.Equal("'conv1d' reads the embedding output [20, 8] as 20 channels (one per position) of length 8 (the embedding dim)", diagnostic.Message);
        Assert.Equal("to convolve over the 20 positions with 8 channels, put 'transpose(1, 2)' before 'conv1d'", diagnostic.Fix);
        Assert.Equal($"3:{column}-3:{column + "conv1d(16, 3)".Length}", diagnostic.Span.ToString());
    }

    [Theory]
    [InlineData("embedding(100, 8) -> transpose(1, 2) -> conv1d(16, 3)")]
    [InlineData("embedding(100, 8) -> transpose(1, 1) -> conv1d(16, 3)")]
    [InlineData("embedding(100, 8) -> permute(0, 1, 2) -> conv1d(16, 3)")]
    [InlineData("embedding(100, 8) -> mean(dim: 2) -> conv1d(16, 3)")]
    public void Conv1d_after_a_layout_change_does_not_warn(string layers)
    {
        var input = layers.Contains("mean", StringComparison.Ordinal) ? "long[4, 20]" : "long[20]";
        var result = TestCompiler.Compile($"model M\ninput ids: {input}\nshared s = ids -> {layers} -> flatten\ntask t: regression(1) = s -> linear(1)\n");

        Assert.Empty(result.Diagnostics);
    }

    private static SharedBlock Block(string input, string layers)
    {
        var model = TestCompiler.Model($"model M\ninput x: {input}\nshared s = x -> {layers}\ntask t: regression(1) = s -> flatten -> linear(1)\n");
        return Assert.Single(model.SharedBlocks);
    }
}
