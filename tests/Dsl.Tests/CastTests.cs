using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>The casts <c>float</c> and <c>long</c>: any element type in, the named one out, shape kept.</summary>
public sealed class CastTests
{
    [Theory]
    [InlineData("bool[4]", "float", LayerKind.CastFloat, DType.Float)]
    [InlineData("int[2, 3]", "float", LayerKind.CastFloat, DType.Float)]
    [InlineData("double[4]", "float", LayerKind.CastFloat, DType.Float)]
    [InlineData("int[4]", "long", LayerKind.CastLong, DType.Long)]
    [InlineData("bool[4]", "long", LayerKind.CastLong, DType.Long)]
    [InlineData("float[4]", "long", LayerKind.CastLong, DType.Long)]
    public void A_cast_changes_the_element_type_and_keeps_the_shape(string input, string cast, LayerKind kind, DType dtype)
    {
        var next = dtype == DType.Float ? "flatten -> linear(1)" : "embedding(10, 2) -> flatten -> linear(1)";
        var model = TestCompiler.Model($"model M\ninput x: {input}\ntask t: regression(1) = x -> {cast} -> {next}\n");

        var layer = model.Tasks[0].Pipeline.Layers[0];
        Assert.Equal(kind, layer.Kind);
        Assert.Equal(dtype, layer.Output.DType);
        Assert.Equal(layer.Input.Shape, layer.Output.Shape);
        Assert.Equal(0, layer.ParameterCount);
    }

    [Fact]
    public void Without_a_cast_a_bool_input_is_refused_with_the_cast_as_the_fix()
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: bool[4]\ntask t: binary = x -> linear(1)\n");

        Assert.Equal(("MTL0206", "declare the input as float, or add 'float' first"), (diagnostic.Id, diagnostic.Fix));
    }

    [Fact]
    public void A_cast_takes_no_options()
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: bool[4]\ntask t: binary = x -> float(2) -> linear(1)\n");

        Assert.Equal("MTL0301", diagnostic.Id);
    }
}
