using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated model of the Layers example of docs/language.md, whose blocks use every layer:
/// the compiler's parameter count is the built model's, each block's output has the inferred
/// shape, and the padding row of an embedding stays zero with no gradient.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class LayerModelTests
{
    private static readonly Lazy<GeneratedAssembly> Generated = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("Layers")));

    private static MultiTaskModule Build() => (MultiTaskModule)Generated.Value.Model(Generated.Value.Models.Single(m => m.Name == "Layers"));

    private static Dictionary<string, Tensor> Inputs(long batch) => new()
    {
        ["image"] = randn(batch, 3, 32, 32),
        ["series"] = randn(batch, 50, 8),
        ["ids"] = randint(0, 50, [batch, 20]),
    };

    [Fact]
    public void The_compilers_parameter_count_is_the_built_models()
    {
        using var model = Build();
        var declared = (long)Generated.Value.Type("LayersModel").GetField("ParameterCount")!.GetValue(null)!;

        Assert.Equal(declared, model.parameters().Sum(p => p.numel()));
    }

    [Theory]
    // tokens: [20] ids -> [20, 6] -> transpose [6, 20] -> conv1d [8, 18] -> permute [18, 8] -> mean(dim: 1) [8]
    [InlineData("Tokens", "ids", new long[] { 2, 8 })]
    // decoded: [3, 32, 32] -> conv2d [8, 16, 16] -> conv_transpose2d [4, 32, 32] -> [4, 2, 2] -> [16]
    [InlineData("Decoded", "image", new long[] { 2, 16 })]
    // stretched: [50, 8] -> conv_transpose1d [4, (8 − 1)·2 + 3 = 17] -> mean(dim: 2) [4]
    [InlineData("Stretched", "series", new long[] { 2, 4 })]
    // zoomed: [3, 32, 32] -> upsample(2) [3, 64, 64] -> maxpool2d(4) [3, 16, 16] -> upsample(0.5) [3, 8, 8]
    // -> upsample(scale: [2, 1]) [3, 16, 8] -> upsample(size: [12, 10]) [3, 12, 10] -> [3, 1, 1] -> [3]
    [InlineData("Zoomed", "image", new long[] { 2, 3 })]
    public void Each_block_gives_the_inferred_shape(string block, string input, long[] shape)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = Build();
        var sequential = (Sequential)GeneratedAssembly.Get(model, block)!;

        Assert.Equal(shape, sequential.forward(Inputs(2)[input]).shape);
    }

    [Fact]
    public void Upsample_by_scale_per_dimension_and_by_size_gives_the_inferred_shapes()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = Build();
        var zoomed = (Sequential)GeneratedAssembly.Get(model, "Zoomed")!;
        var x = Inputs(2)["image"];
        var shapes = new List<long[]>();
        foreach (var layer in zoomed.children().Cast<nn.Module<Tensor, Tensor>>())
        {
            x = layer.forward(x);
            if (layer is Upsample) shapes.Add(x.shape);
        }

        // upsample(2), upsample(0.5, bilinear), upsample(scale: [2, 1]), upsample(size: [12, 10], bilinear)
        Assert.Equal([[2, 3, 64, 64], [2, 3, 8, 8], [2, 3, 16, 8], [2, 3, 12, 10]], shapes);
        var upsamples = zoomed.children().OfType<Upsample>().ToList();
        Assert.Equal([2.0, 1.0], upsamples[2].scale_factor!);
        Assert.Equal([12L, 10L], upsamples[3].size!);
        Assert.Equal(UpsampleMode.Bilinear, upsamples[3].mode);
    }

    [Fact]
    public void The_padding_row_of_an_embedding_stays_zero_and_gets_no_gradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var model = Build();
        var tokens = (Sequential)GeneratedAssembly.Get(model, "Tokens")!;
        var embedding = Assert.IsType<Embedding>(tokens.children().First());
        Assert.Equal(0L, embedding.padding_idx);

        var ids = tensor(new long[] { 0, 1, 0, 2, 3, 0, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 0 }, [1, 20]);
        tokens.forward(ids).sum().backward();

        var grad = embedding.weight.grad!;
        Assert.Equal(0.0, embedding.weight.select(0, 0).abs().sum().item<float>());
        Assert.Equal(0.0, grad.select(0, 0).abs().sum().item<float>());
        Assert.True(grad.select(0, 1).abs().sum().item<float>() > 0, "a used id other than the padding gets a gradient");
    }
}
