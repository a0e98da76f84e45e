using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>PyTorch's default initialisation of every layer with parameters or buffers.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class InitializationTests
{
    /// <summary>
    /// Values of a U(-bound, bound) sample: all inside, not all equal and, for big enough samples, reaching close to
    /// the bound (so a too-narrow range fails) with a standard deviation near bound / sqrt(3).
    /// </summary>
    private static void AssertUniform(string name, Tensor values, double bound)
    {
        var data = values.data<float>().Select(v => (double)v).ToArray();
        foreach (var v in data) Assert.True(Math.Abs(v) <= bound, $"{name}: {v} lies outside ±{bound}");
        if (data.Length >= 50)
        {
            var largest = data.Max(Math.Abs);
            Assert.True(largest > 0.8 * bound, $"{name}: the largest magnitude {largest} is far below the bound {bound}");
        }
        var mean = data.Average();
        var std = Math.Sqrt(data.Sum(v => (v - mean) * (v - mean)) / data.Length);
        Assert.True(std > 0, $"{name}: all {data.Length} values are equal");
        if (data.Length >= 100)
        {
            var expected = bound / Math.Sqrt(3);
            Assert.True(Math.Abs(std - expected) < 0.2 * expected, $"{name}: standard deviation {std}, expected about {expected}");
        }
    }

    private static void AssertAll(string name, Tensor values, float expected) =>
        Assert.True(values.data<float>().All(v => v == expected), $"{name}: expected every value to be {expected}");

    public static TheoryData<string> Layers => new(LayerFactories.Keys);

    /// <summary>Layers with PyTorch's kaiming_uniform(a = √5) weight and U(±1/√fan_in) bias; fan_in per case.</summary>
    private static readonly Dictionary<string, (Func<nn.Module> create, long fanIn)> LayerFactories = new()
    {
        ["Linear(40, 30)"] = (() => nn.Linear(40, 30), 40),
        ["Conv1d(3, 8, 5)"] = (() => nn.Conv1d(3, 8, 5), 3 * 5),
        ["Conv2d(3, 16, 3)"] = (() => nn.Conv2d(3, 16, 3), 3 * 3 * 3),
        ["Conv2d(4, 8, 3, groups 2)"] = (() => nn.Conv2d(4, 8, 3, groups: 2), 4 / 2 * 3 * 3),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Linear_and_conv_weights_and_biases_lie_within_one_over_sqrt_fan_in(string layer)
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var (create, fanIn) = LayerFactories[layer];
        using var module = create();
        var bound = 1 / Math.Sqrt(fanIn);
        var names = module.named_parameters().Select(p => p.name).ToArray();
        Assert.Equal(["weight", "bias"], names);
        foreach (var (name, parameter) in module.named_parameters()) AssertUniform($"{layer}.{name}", parameter, bound);
    }

    [Fact]
    public void Initialisation_follows_manual_seed()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var a = nn.Linear(5, 4);
        manual_seed(7);
        using var b = nn.Linear(5, 4);
        using var c = nn.Linear(5, 4);
        Assert.True(a.weight.equal(b.weight) && a.bias!.equal(b.bias!), "the same seed gives the same parameters");
        Assert.False(a.weight.equal(c.weight), "the generator moves on between layers");
    }

    [Fact]
    public void BatchNorm_starts_with_unit_weight_zero_bias_and_neutral_running_stats()
    {
        using var scope = NewDisposeScope();
        using var bn1 = nn.BatchNorm1d(6);
        using var bn2 = nn.BatchNorm2d(4);
        foreach (var bn in new BatchNorm[] { bn1, bn2 })
        {
            AssertAll($"{bn.GetName}.weight", bn.weight!, 1);
            AssertAll($"{bn.GetName}.bias", bn.bias!, 0);
            AssertAll($"{bn.GetName}.running_mean", bn.running_mean!, 0);
            AssertAll($"{bn.GetName}.running_var", bn.running_var!, 1);
            Assert.Equal(ScalarType.Int64, bn.num_batches_tracked!.dtype);
            Assert.Equal(0L, bn.num_batches_tracked.item<long>());
            Assert.Equal([bn.num_features], bn.weight!.shape);
        }
    }

    [Fact]
    public void LayerNorm_starts_with_unit_weight_and_zero_bias()
    {
        using var scope = NewDisposeScope();
        using var norm = nn.LayerNorm([3, 5]);
        Assert.Equal([3L, 5L], norm.weight!.shape);
        AssertAll("weight", norm.weight, 1);
        AssertAll("bias", norm.bias!, 0);
    }

    [Fact]
    public void Embedding_is_standard_normal_with_a_zero_padding_row()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        const int Rows = 2000, Columns = 50, Padding = 7;
        using var embedding = nn.Embedding(Rows, Columns, padding_idx: Padding);
        var weight = embedding.weight.data<float>();
        var padding = weight.AsSpan(Padding * Columns, Columns).ToArray();
        Assert.All(padding, v => Assert.Equal(0f, v));

        var others = weight.Where((_, i) => i / Columns != Padding).Select(v => (double)v).ToArray();
        var mean = others.Average();
        var std = Math.Sqrt(others.Sum(v => (v - mean) * (v - mean)) / others.Length);
        // About 100 000 samples: the mean's standard error is 0.003 and the std's about 0.002.
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(std, 0.98, 1.02);
        Assert.Contains(others, v => Math.Abs(v) > 3);
    }

    [Fact]
    public void Embedding_negative_padding_index_counts_from_the_end()
    {
        using var scope = NewDisposeScope();
        using var embedding = nn.Embedding(10, 4, padding_idx: -1);
        Assert.Equal(9L, embedding.padding_idx);
        AssertAll("weight[9]", embedding.weight[9], 0);
    }

    public static TheoryData<string> RecurrentLayers => new(RecurrentFactories.Keys);

    private static readonly Dictionary<string, Func<RecurrentBase>> RecurrentFactories = new()
    {
        ["LSTM(10, 16, 2 layers, bidirectional)"] = () => nn.LSTM(10, 16, num_layers: 2, bidirectional: true),
        ["GRU(10, 16, 2 layers, bidirectional)"] = () => nn.GRU(10, 16, num_layers: 2, bidirectional: true),
    };

    [Theory]
    [MemberData(nameof(RecurrentLayers))]
    public void Recurrent_parameters_lie_within_one_over_sqrt_hidden_size(string layer)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var rnn = RecurrentFactories[layer]();
        var gates = rnn is LSTM ? 4 : 3;
        var names = rnn.named_parameters().Select(p => p.name).ToArray();
        string[] expectedNames =
        [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        ];
        Assert.Equal(expectedNames, names);
        Assert.Equal([gates * 16L, 10L], rnn.named_parameters().First(p => p.name == "weight_ih_l0").parameter.shape);
        Assert.Equal([gates * 16L, 32L], rnn.named_parameters().First(p => p.name == "weight_ih_l1").parameter.shape);
        foreach (var (name, parameter) in rnn.named_parameters()) AssertUniform($"{layer}.{name}", parameter, 1 / Math.Sqrt(16));
    }
}
