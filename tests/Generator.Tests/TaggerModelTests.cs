using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated model of the Tagger example of docs/language.md: per-token heads, and the padding
/// mask of the shared encoder's embedding carried to the layers that read it, in the encoder and in
/// the tasks that read the encoder, so that where the padding stands in a row changes nothing, and
/// a row reads as its real tokens alone.
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

    private static IReadOnlyDictionary<string, Tensor> Run(MultiTaskModule model, Tensor ids) =>
        model.forward(new Dictionary<string, Tensor> { ["words"] = ids }).Tasks;

    [Theory]
    [InlineData("topic")]
    [InlineData("keywords")]
    public void Where_the_padding_stands_changes_nothing(string task)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        using var model = Build();
        model.eval();

        var output = Run(model, Ids(AtTheEnd, Scattered))[task];

        Assert.True(output[0].allclose(output[1], rtol: 1e-5, atol: 1e-6), $"{task}: {output[0]} vs {output[1]}");
    }

    [Fact]
    public void The_topic_and_keywords_read_the_encoders_mask()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = Build();
        model.eval();
        var (encoder, topic, keywords) = (Block(model, "Encoder"), Block(model, "Topic"), Block(model, "Keywords"));

        var got = Run(model, Ids(AtTheEnd));

        // The three words alone, without padding, through the encoder; topic averages over 3, not
        // 12, positions; keywords reads its lstm after the third word.
        var words = ((Recurrent)encoder[1]).forward(((Embedding)encoder[0]).forward(tensor(new long[] { 5, 7, 9 }, [1, 3])));
        var expectedTopic = ((Linear)topic[1]).forward(words.mean([1]));
        var expectedKeywords = ((Linear)keywords[1]).forward(((Recurrent)keywords[0]).forward(words));
        Assert.True(expectedTopic.allclose(got["topic"], rtol: 1e-5, atol: 1e-6), $"{expectedTopic} vs {got["topic"]}");
        Assert.True(expectedKeywords.allclose(got["keywords"], rtol: 1e-5, atol: 1e-6), $"{expectedKeywords} vs {got["keywords"]}");
        // Without the mask the padding would count: the mean over all 12 positions differs.
        var unmasked = ((Linear)topic[1]).forward(encoder.forward(Ids(AtTheEnd)).mean([1]));
        Assert.False(unmasked.allclose(got["topic"], rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void A_padded_batch_gives_each_row_alone_values_and_gradients_of_every_parameter()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = Build();
        model.to(ScalarType.Float64);
        model.eval();
        var parameters = model.named_parameters().ToList();
        var (encoder, tags, topic, keywords) = (Block(model, "Encoder"), Block(model, "Tags"), Block(model, "Topic"), Block(model, "Keywords"));
        long[][] rows = [AtTheEnd, Scattered, [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]];
        var ids = Ids(rows);

        // Padded: one batch through the generated forward; the tags loss counts real tokens only.
        var padded = Run(model, ids);
        var probes = padded.ToDictionary(p => p.Key, p => randn_like(p.Value));
        probes["tags"] = probes["tags"].mul(ids.ne(0).unsqueeze(-1));
        padded.Select(p => p.Value.mul(probes[p.Key]).sum()).Aggregate((a, b) => a.add(b)).backward();
        var paddedGrads = parameters.Select(p => p.parameter.grad!.clone()).ToList();
        model.zero_grad();

        // Alone: each row's real words, unpadded and unmasked, through the same layers.
        var total = zeros([1], dtype: ScalarType.Float64);
        for (var row = 0; row < rows.Length; row++)
        {
            var real = rows[row].Select((id, t) => (id, t)).Where(p => p.id != 0).ToList();
            var positions = tensor(real.Select(p => (long)p.t).ToArray(), [real.Count]);
            var words = ((Recurrent)encoder[1]).forward(((Embedding)encoder[0]).forward(tensor(real.Select(p => p.id).ToArray(), [1, real.Count])));
            var alone = new Dictionary<string, Tensor>
            {
                ["tags"] = tags.forward(words)[0],
                ["topic"] = ((Linear)topic[1]).forward(words.mean([1]))[0],
                ["keywords"] = ((Linear)keywords[1]).forward(((Recurrent)keywords[0]).forward(words))[0],
            };
            foreach (var (task, value) in alone)
            {
                var got = task == "tags" ? padded[task][row].index_select(0, positions) : padded[task][row];
                var probe = task == "tags" ? probes[task][row].index_select(0, positions) : probes[task][row];
                Assert.True(value.allclose(got, rtol: 1e-9, atol: 1e-10), $"{task}, row {row}: {value} vs {got}");
                total = total.add(value.mul(probe).sum());
            }
        }

        total.sum().backward();
        // embedding 1, bidirectional gru 8, tags 2, topic 2, keywords lstm 4 and linear 2: all compared.
        Assert.Equal(1 + 8 + 2 + 2 + 4 + 2, parameters.Count);
        for (var i = 0; i < parameters.Count; i++)
        {
            var difference = parameters[i].parameter.grad!.sub(paddedGrads[i]).abs().max().item<double>();
            Assert.True(difference < 1e-10, $"gradient of {parameters[i].name} differs by {difference}");
        }
    }
}
