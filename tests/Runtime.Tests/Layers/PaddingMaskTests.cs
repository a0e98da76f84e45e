using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>
/// An embedding's padding mask carried along a <see cref="Sequential"/> to the layers that read it:
/// a padded batch gives the result of each row's real tokens run alone, unpadded (values and
/// gradients), wherever the padding stands in the row, and a row of padding only gives zeros.
/// </summary>
[Collection(nameof(GlobalGeneratorCollection))]
public sealed class PaddingMaskTests
{
    private const long Pad = 0;

    // Padding behind, in the middle and in front, none, and nothing but padding.
    private static readonly long[][] Rows =
    [
        [3, 5, 2, 0, 0],
        [0, 7, 0, 4, 1],
        [9, 8, 6, 5, 4],
        [0, 0, 0, 0, 0],
    ];

    private static readonly Dictionary<string, Func<(nn.Module<Tensor, Tensor> Layer, bool Sequence)>> Cases = new()
    {
        ["mean"] = () => (new Reduce(ReduceMode.Mean, 1), false),
        ["max"] = () => (new Reduce(ReduceMode.Max, 1), false),
        ["sum"] = () => (new Reduce(ReduceMode.Sum, 1), false),
        ["gru last"] = () => (new Recurrent(nn.GRU(4, 3, batch_first: true), RecurrentOutput.Last), false),
        ["gru mean"] = () => (new Recurrent(nn.GRU(4, 3, batch_first: true), RecurrentOutput.Mean), false),
        ["gru none"] = () => (new Recurrent(nn.GRU(4, 3, batch_first: true), RecurrentOutput.Sequence), true),
        ["gru bidirectional last"] = () => (new Recurrent(nn.GRU(4, 3, batch_first: true, bidirectional: true), RecurrentOutput.Last), false),
        ["gru bidirectional two layers mean"] = () => (new Recurrent(nn.GRU(4, 3, num_layers: 2, batch_first: true, bidirectional: true), RecurrentOutput.Mean), false),
        ["gru bidirectional two layers none"] = () => (new Recurrent(nn.GRU(4, 3, num_layers: 2, batch_first: true, bidirectional: true), RecurrentOutput.Sequence), true),
        ["lstm last"] = () => (new Recurrent(nn.LSTM(4, 3, batch_first: true), RecurrentOutput.Last), false),
        ["lstm bidirectional last"] = () => (new Recurrent(nn.LSTM(4, 3, batch_first: true, bidirectional: true), RecurrentOutput.Last), false),
        ["lstm bidirectional two layers mean"] = () => (new Recurrent(nn.LSTM(4, 3, num_layers: 2, batch_first: true, bidirectional: true), RecurrentOutput.Mean), false),
        ["lstm without bias none"] = () => (new Recurrent(nn.LSTM(4, 3, bias: false, batch_first: true), RecurrentOutput.Sequence), true),
    };

    public static TheoryData<string> Names => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void A_padded_batch_gives_each_row_run_alone_without_its_padding(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var (layer, sequence) = Cases[name]();
        // embedding -> linear -> tanh -> the layer: the mask starts at the embedding and is carried to the layer.
        var embedding = nn.Embedding(10, 4, padding_idx: Pad);
        var linear = nn.Linear(4, 4);
        var tanh = nn.Tanh();
        using var model = nn.Sequential(embedding, linear, tanh, layer).with_sequence_mask(0, 3, Pad);
        model.to(ScalarType.Float64);
        var parameters = model.named_parameters().ToList();

        // Padded: one batch.
        var ids = tensor(Rows.SelectMany(r => r).ToArray(), [Rows.Length, Rows[0].Length]);
        var padded = model.forward(ids);
        var probe = randn_like(padded);
        padded.mul(probe).sum().backward();
        var paddedGrads = parameters.Select(p => p.parameter.grad!.clone()).ToList();
        model.zero_grad();

        // Alone: each row's real tokens, no mask, one row at a time.
        var total = zeros([1], dtype: ScalarType.Float64);
        for (var row = 0; row < Rows.Length; row++)
        {
            var real = Rows[row].Select((id, t) => (id, t)).Where(p => p.id != Pad).ToList();
            var got = padded[row];
            if (real.Count == 0)
            {
                Assert.Equal(0.0, got.abs().sum().item<double>());
                continue;
            }

            var alone = layer.forward(tanh.forward(linear.forward(embedding.forward(tensor(real.Select(p => p.id).ToArray(), [1, real.Count])))))[0];
            if (sequence)
            {
                // The outputs at the real tokens, in place; zero at the padding.
                var positions = tensor(real.Select(p => (long)p.t).ToArray(), [real.Count]);
                AssertClose(alone, got.index_select(0, positions), $"{name}, row {row}");
                Assert.Equal(0.0, got.abs().sum().item<double>() - got.index_select(0, positions).abs().sum().item<double>(), 12);
                total = total.add(alone.mul(probe[row].index_select(0, positions)).sum());
            }
            else
            {
                AssertClose(alone, got, $"{name}, row {row}");
                total = total.add(alone.mul(probe[row]).sum());
            }
        }

        total.sum().backward();
        for (var i = 0; i < parameters.Count; i++)
        {
            AssertClose(parameters[i].parameter.grad!, paddedGrads[i], $"{name}, gradient of {parameters[i].name}");
        }

        // The padding row of the embedding stays zero and gets no gradient.
        Assert.Equal(0.0, paddedGrads[0].select(0, Pad).abs().sum().item<double>());
    }

    // Masked forwards against central differences, with padding behind, in the middle and filling a row.
    private static Tensor Mask() => tensor(new[] { true, true, false, false, false, true, false, true, false, false, false, false }, [3, 4]);

    [Theory]
    [InlineData(ReduceMode.Mean)]
    [InlineData(ReduceMode.Max)]
    [InlineData(ReduceMode.Sum)]
    public void Masked_reductions_pass_the_gradient_check(ReduceMode mode)
    {
        using var scope = NewDisposeScope();
        var reduce = new Reduce(mode, 1);
        var input = GradCheck.Distinct(GradCheck.RandomFor($"masked {mode}"), 3, 4, 2);

        GradCheck.Function($"masked {mode}", xs => reduce.forward(xs[0], Mask()), [("input", input)]);
    }

    [Theory]
    [InlineData(RecurrentOutput.Last)]
    [InlineData(RecurrentOutput.Mean)]
    [InlineData(RecurrentOutput.Sequence)]
    public void A_masked_bidirectional_gru_passes_the_gradient_check(RecurrentOutput output)
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        using var layer = new Recurrent(nn.GRU(2, 2, num_layers: 2, batch_first: true, bidirectional: true), output);
        layer.to(ScalarType.Float64);
        var input = GradCheck.Normal(GradCheck.RandomFor($"masked gru {output}"), 3, 4, 2);

        GradCheck.Function($"masked gru {output}", xs => layer.forward(xs[0], Mask()), [("input", input)], layer);
    }

    [Fact]
    public void Mean_and_max_over_real_tokens_by_hand()
    {
        using var scope = NewDisposeScope();
        // [N = 2, T = 3, D = 2]; row 0 has real tokens 0 and 2, row 1 none.
        var x = tensor(new[] { 1.0, -4.0, 100.0, 100.0, 3.0, 2.0, 5.0, 6.0, 7.0, 8.0, 9.0, 1.0 }, [2, 3, 2]);
        var mask = tensor(new[] { true, false, true, false, false, false }, [2, 3]);

        var mean = new Reduce(ReduceMode.Mean, 1).forward(x, mask);
        var max = new Reduce(ReduceMode.Max, 1).forward(x, mask);
        var sum = new Reduce(ReduceMode.Sum, 1).forward(x, mask);

        // Row 0: (1 + 3) / 2 = 2, (−4 + 2) / 2 = −1; max (3, 2); sum (4, −2). Row 1: zeros.
        Assert.Equal([2.0, -1.0, 0.0, 0.0], mean.data<double>().ToArray());
        Assert.Equal([3.0, 2.0, 0.0, 0.0], max.data<double>().ToArray());
        Assert.Equal([4.0, -2.0, 0.0, 0.0], sum.data<double>().ToArray());
    }

    [Fact]
    public void Without_a_mask_the_padding_counts()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var embedding = nn.Embedding(10, 2, padding_idx: Pad);
        using var plain = nn.Sequential(embedding, new Reduce(ReduceMode.Mean, 1));
        var ids = tensor(new long[] { 3, 0 }, [1, 2]);

        // Two positions, one of them the zero padding row: half the real token's vector.
        var expected = embedding.weight.select(0, 3).div(2.0);
        AssertClose(expected.unsqueeze(0), plain.forward(ids), "unmasked mean");
    }

    [Fact]
    public void Only_a_reduction_over_the_positions_reads_a_mask()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<InvalidOperationException>(() => new Reduce(ReduceMode.Mean, 2).forward(zeros(2, 3, 4), Mask().narrow(0, 0, 2).narrow(1, 0, 3)));

        Assert.Equal("Reduce: a padding mask is over dim 1, the positions, but this reduction is over dim 2 of [2, 3, 4]", error.Message);
        // -2 of a rank-3 input is dim 1.
        Assert.Equal([2L, 4], new Reduce(ReduceMode.Mean, -2).forward(zeros(2, 3, 4), Mask().narrow(0, 0, 2).narrow(1, 0, 3)).shape);
    }

    [Fact]
    public void A_mask_must_run_forward_within_the_sequence()
    {
        using var model = nn.Sequential(nn.Embedding(4, 2), new Reduce(ReduceMode.Mean, 1));

        Assert.Throws<ArgumentOutOfRangeException>(() => model.with_sequence_mask(1, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.with_sequence_mask(0, 2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.with_sequence_mask(2, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.with_sequence_mask(0, -2, 0));
    }

    [Fact]
    public void A_mask_no_layer_reads_leaves_with_the_output()
    {
        using var scope = NewDisposeScope();
        using var embed = nn.Sequential(nn.Embedding(10, 2, padding_idx: Pad)).with_sequence_mask(0, -1, Pad).carries_mask_out();
        using var pass = nn.Sequential().with_incoming_mask(-1).carries_mask_out();
        var ids = tensor(new long[] { 3, 0, 0, 4 }, [2, 2]);

        var (embedded, mask) = embed.forward_masked(ids, null);
        var (passed, same) = pass.forward_masked(embedded, mask);

        Assert.Equal([true, false, false, true], mask!.data<bool>().ToArray());
        Assert.Same(mask, same);
        Assert.False(ReferenceEquals(embedded, passed));
        Assert.Equal(embedded.data<float>().ToArray(), passed.data<float>().ToArray());
    }

    // ---- a mask carried from one Sequential to another --------------------------------------------

    [Theory]
    [MemberData(nameof(Names))]
    public void A_mask_carried_across_sequences_gives_each_row_run_alone(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(17);
        var (layer, sequence) = Cases[name]();
        // A shared encoder (embedding -> bidirectional gru, reduce none) hands its mask out; a middle
        // block passes it through (no reader: -1); the task reads it. A second task, per token, reads
        // the encoder without it. Three sequences, as the generated forward runs them.
        var embedding = nn.Embedding(10, 3, padding_idx: Pad);
        var gru = new Recurrent(nn.GRU(3, 2, batch_first: true, bidirectional: true), RecurrentOutput.Sequence);
        var linear = nn.Linear(4, 4);
        var tanh = nn.Tanh();
        var perToken = nn.Linear(4, 5);
        using var encoder = nn.Sequential(embedding, gru).with_sequence_mask(0, 1, Pad).carries_mask_out();
        using var middle = nn.Sequential(linear).with_incoming_mask(-1).carries_mask_out();
        using var task = nn.Sequential(tanh, layer).with_incoming_mask(1);
        using var tags = nn.Sequential(perToken);
        using var all = nn.Sequential(encoder, middle, task, tags);
        all.to(ScalarType.Float64);
        var parameters = all.named_parameters().ToList();

        // Padded: one batch through the three sequences, the masks handed along.
        var ids = tensor(Rows.SelectMany(r => r).ToArray(), [Rows.Length, Rows[0].Length]);
        var (encoded, encoderMask) = encoder.forward_masked(ids, null);
        var (middled, middleMask) = middle.forward_masked(encoded, encoderMask);
        var (padded, taskMask) = task.forward_masked(middled, middleMask);
        var tagged = tags.forward(encoded);
        Assert.Null(taskMask);
        Assert.Same(encoderMask, middleMask);
        Assert.Equal(ids.ne(Pad).data<bool>().ToArray(), encoderMask!.data<bool>().ToArray());
        var probe = randn_like(padded);
        var tagProbe = randn_like(tagged).mul(encoderMask.unsqueeze(-1));
        padded.mul(probe).sum().add(tagged.mul(tagProbe).sum()).backward();
        var paddedGrads = parameters.Select(p => p.parameter.grad!.clone()).ToList();
        all.zero_grad();

        // Alone: each row's real tokens, no mask, one row at a time, through the same layers.
        var total = zeros([1], dtype: ScalarType.Float64);
        for (var row = 0; row < Rows.Length; row++)
        {
            var real = Rows[row].Select((id, t) => (id, t)).Where(p => p.id != Pad).ToList();
            var got = padded[row];
            if (real.Count == 0)
            {
                Assert.Equal(0.0, got.abs().sum().item<double>());
                continue;
            }

            var positions = tensor(real.Select(p => (long)p.t).ToArray(), [real.Count]);
            var words = gru.forward(embedding.forward(tensor(real.Select(p => p.id).ToArray(), [1, real.Count])));
            var alone = layer.forward(tanh.forward(linear.forward(words)))[0];
            var tagsAlone = perToken.forward(words)[0];
            AssertClose(tagsAlone, tagged[row].index_select(0, positions), $"{name}, tags of row {row}");
            total = total.add(tagsAlone.mul(tagProbe[row].index_select(0, positions)).sum());
            if (sequence)
            {
                AssertClose(alone, got.index_select(0, positions), $"{name}, row {row}");
                total = total.add(alone.mul(probe[row].index_select(0, positions)).sum());
            }
            else
            {
                AssertClose(alone, got, $"{name}, row {row}");
                total = total.add(alone.mul(probe[row]).sum());
            }
        }

        total.sum().backward();
        // Every parameter is compared, the encoder's nine (embedding; gru, two directions of four) included.
        Assert.Equal(9, parameters.Count(p => p.name.StartsWith("0.", StringComparison.Ordinal)));
        for (var i = 0; i < parameters.Count; i++)
        {
            AssertClose(parameters[i].parameter.grad!, paddedGrads[i], $"{name}, gradient of {parameters[i].name}");
        }
    }

    [Fact]
    public void A_sequence_that_reads_its_sources_mask_says_so_when_run_without_it()
    {
        using var scope = NewDisposeScope();
        using var reader = nn.Sequential(nn.Tanh(), new Reduce(ReduceMode.Mean, 1)).with_incoming_mask(1);
        using var plain = nn.Sequential(nn.Tanh(), new Reduce(ReduceMode.Mean, 1));
        var x = zeros(2, 3, 4);

        Assert.Equal("Sequential: this sequence reads the padding mask of its source; run it with forward_masked(input, mask)",
            Assert.Throws<InvalidOperationException>(() => reader.forward(x)).Message);
        Assert.Equal("mask", Assert.Throws<ArgumentNullException>(() => reader.forward_masked(x, null)).ParamName);
        Assert.StartsWith("Sequential: the padding mask is [N, T] over the input's first two dims; got [2, 4] for input [2, 3, 4]",
            Assert.Throws<ArgumentException>(() => reader.forward_masked(x, ones([2, 4], dtype: ScalarType.Bool))).Message);
        Assert.StartsWith("Sequential: this sequence takes no padding mask with its input",
            Assert.Throws<ArgumentException>(() => plain.forward_masked(x, ones([2, 3], dtype: ScalarType.Bool))).Message);
        Assert.Throws<InvalidOperationException>(() => plain.carries_mask_out());
        Assert.Throws<ArgumentOutOfRangeException>(() => plain.with_incoming_mask(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => plain.with_incoming_mask(-2));
    }

    [Fact]
    public void A_mask_made_here_and_not_handed_out_is_released()
    {
        using var scope = NewDisposeScope();
        using var model = nn.Sequential(nn.Embedding(10, 2, padding_idx: Pad), new Reduce(ReduceMode.Sum, 1)).with_sequence_mask(0, 1, Pad);
        var ids = tensor(new long[] { 3, 0, 4, 0 }, [2, 2]);

        var (output, mask) = model.forward_masked(ids, null);

        Assert.Null(mask);
        // Row 1 is id 4 alone; row 0 is id 3 alone.
        AssertClose(model[0].forward(tensor(new long[] { 3, 4 }, [2])), output, "sum over the real ids");
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = expected.sub(actual).abs().max().item<double>();
        Assert.True(difference < 1e-10, $"{what}: differs by {difference}");
    }
}
