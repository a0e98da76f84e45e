using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary><c>embedding(vocab, dim, padding_idx: p)</c>: p is an id of the vocabulary; the count stays vocab·dim, as PyTorch's.</summary>
public sealed class EmbeddingPaddingTests
{
    [Theory]
    [InlineData("embedding(100, 8, padding_idx: 0)", 0L)]
    [InlineData("embedding(vocab: 100, dim: 8, padding_idx: 99)", 99L)]
    [InlineData("embedding(100, 8)", null)]
    public void The_padding_id_is_recorded_and_the_count_is_vocab_times_dim(string layer, long? padding)
    {
        var model = TestCompiler.Model($"model M\ninput ids: long[20]\nshared s = ids -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        var bound = Assert.Single(Assert.Single(model.SharedBlocks).Pipeline.Layers);
        Assert.Equal(800, bound.ParameterCount);
        Assert.Equal("[20, 8]", bound.Output.Shape.ToString());
        Assert.Equal(padding, (bound.Setting["padding_idx"] as IntegerValue)?.Value);
    }

    [Theory]
    [InlineData("embedding(100, 8, padding_idx: 100)", "MTL0220", "'embedding' padding_idx 100 is not an id of its vocabulary: ids are 0 to 99")]
    [InlineData("embedding(1, 8, padding_idx: 5)", "MTL0220", "'embedding' padding_idx 5 is not an id of its vocabulary: ids are 0 to 0")]
    [InlineData("embedding(100, 8, padding_idx: -1)", "MTL0305", null)]
    [InlineData("embedding(100, 8, padding_idx: 0.5)", "MTL0304", null)]
    public void A_padding_id_outside_the_vocabulary_is_reported(string layer, string code, string? message)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput ids: long[20]\nshared s = ids -> {layer}\ntask t: regression(1) = s -> flatten -> linear(1)\n");

        Assert.Equal(code, diagnostic.Id);
        Assert.Equal(3, diagnostic.Span.StartLine);
        if (message is not null)
        {
            Assert.Equal(message, diagnostic.Message);
            Assert.Equal($"3:19-3:{19 + layer.Length}", diagnostic.Span.ToString());
        }
    }
}
