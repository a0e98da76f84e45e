using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated model of the Tagger example of docs/language.md: per-token heads, and the padding
/// mask of each embedding carried to the layers that read it, so that where the padding stands in a
/// row changes nothing, and a row reads as its real tokens alone.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class TaggerModelTests
{
    private static readonly Lazy<GeneratedAssembly> Generated = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("Tagger")));

    private static MultiTaskModule Build() => (MultiTaskModule)Generated.Value.Model(Generated.Value.Models.Single(m => m.Name == "Tagger"));

    private static Sequential Block(MultiTaskModule model, string name) => (Sequential)GeneratedAssembly.Get(model, name)!;

    // The same three words 5, 7, 9, padded (id 0) at the end and scattered among padding.
    private static readonly long[] AtTheEnd = [5, 7, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    private static readonly long[] Scattered = [0, 5, 0, 0, 7, 0, 9, 0, 0, 0, 0, 0];

    private static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, 12]);

    [Fact]
    public void The_compilers_parameter_count_is_the_built_models()
    {
        using var model = Build();
        var declared = (long)Generated.Value.Type("TaggerModel").GetField("ParameterCount")!.GetValue(null)!;

        Assert.Equal(declared, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void The_tag_head_gives_logits_per_token()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        using var model = Build();

        var encoded = Block(model, "Encoder").forward(Ids(AtTheEnd, Scattered));
        Assert.Equal([2L, 12, 32], encoded.shape);
        Assert.Equal([2L, 12, 9], Block(model, "Tags").forward(encoded).shape);
        // The bidirectional gru's outputs are zero at the padding and, token by token, the same wherever the padding stands.
        Assert.Equal(0.0, encoded[0].narrow(0, 3, 9).abs().sum().item<float>());
        var real = tensor(new long[] { 1, 4, 6 }, [3]);
        Assert.True(encoded[0].narrow(0, 0, 3).allclose(encoded[1].index_select(0, real), rtol: 1e-5, atol: 1e-6));
    }

    [Theory]
    [InlineData("Topic")]
    [InlineData("Keywords")]
    public void Where_the_padding_stands_changes_nothing(string task)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var model = Build();
        model.eval();

        var output = Block(model, task).forward(Ids(AtTheEnd, Scattered));

        Assert.True(output[0].allclose(output[1], rtol: 1e-5, atol: 1e-6), $"{task}: {output[0]} vs {output[1]}");
    }

    [Fact]
    public void The_topic_is_the_mean_over_the_real_words_only()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = Build();
        model.eval();
        var topic = Block(model, "Topic");
        var (embedding, linear, relu, head) = ((Embedding)topic[0], (Linear)topic[1], topic[2], (Linear)topic[4]);

        var got = topic.forward(Ids(AtTheEnd))[0];

        // Three words: relu(linear(embedding)) averaged over 3, not 12, positions.
        var words = relu.forward(linear.forward(embedding.forward(tensor(new long[] { 5, 7, 9 }, [3]))));
        var expected = head.forward(words.mean(0));
        Assert.True(expected.allclose(got, rtol: 1e-5, atol: 1e-6), $"{expected} vs {got}");
    }

    [Fact]
    public void The_keywords_read_the_lstm_after_the_last_real_word()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = Build();
        model.eval();
        var keywords = Block(model, "Keywords");
        var (embedding, lstm, head) = ((Embedding)keywords[0], (Recurrent)keywords[1], (Linear)keywords[2]);

        var got = keywords.forward(Ids(AtTheEnd))[0];

        // The three words alone, without padding: the state after the third.
        var alone = lstm.forward(embedding.forward(tensor(new long[] { 5, 7, 9 }, [1, 3])));
        var expected = head.forward(alone)[0];
        Assert.True(expected.allclose(got, rtol: 1e-5, atol: 1e-6), $"{expected} vs {got}");
    }
}
