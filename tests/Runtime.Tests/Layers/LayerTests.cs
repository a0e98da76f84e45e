using System.Runtime.CompilerServices;
using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Runtime.Tests.GradCheck;
using static Mtl.Torch.torch;
using static Mtl.Runtime.Tests.Layers.FixedLinear;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>
/// The layers generated models are built from (Mtl.Layers): values against hand computation on
/// tiny inputs, gradients against central differences, state_dict key names and the errors.
/// </summary>
public sealed class LayerTests
{
    private const double Tolerance = 1e-12;

    private static Tensor Doubles(double[] values, params long[] shape) => tensor(values, shape);

    private static void AssertValues(double[] expected, Tensor actual, long[] shape, string what = "")
    {
        Assert.Equal(shape, actual.shape);
        var values = actual.data<double>();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]:R}, got {values[i]:R}");
        }
    }

    /// <summary>A float64 linear layer with the given weight [out, in] and bias.</summary>
    private static T Float64<T>(T module) where T : nn.Module
    {
        module.to(ScalarType.Float64);
        return module;
    }

    // ---- Merge ----------------------------------------------------------------------------------

    [Fact]
    public void Merge_concat_joins_the_branch_outputs_along_its_dimension_then_runs_its_layers()
    {
        using var scope = NewDisposeScope();
        // branch 0 is a bare reference, branch 1 is linear(2 -> 1): y = 2·b0 − b1 + 0.5
        using var merge = new Merge(MergeMode.Concat, 1, [nn.Sequential(), nn.Sequential(Fixed(new double[,] { { 2, -1 } }, [0.5]))], nn.Sequential());
        var a = Doubles([1, 2, 3, 4], 2, 2);
        var b = Doubles([5, 6, 7, 8], 2, 2);
        AssertValues([1, 2, 2 * 5 - 6 + 0.5, 3, 4, 2 * 7 - 8 + 0.5], merge.forward([a, b]), [2, 3]);

        // with layers after the merge: sum of the three columns through linear(3 -> 1)
        using var withLayers = new Merge(MergeMode.Concat, 1, [nn.Sequential(), nn.Sequential(Fixed(new double[,] { { 2, -1 } }, [0.5]))],
            nn.Sequential(Fixed(new double[,] { { 1, 1, 1 } }, [0]), nn.ReLU()));
        AssertValues([1 + 2 + 4.5, 3 + 4 + 6.5], withLayers.forward([a, b]), [2, 1]);
    }

    [Fact]
    public void Merge_concat_counts_the_batch_as_dimension_0()
    {
        using var scope = NewDisposeScope();
        using var merge = new Merge(MergeMode.Concat, 2, [nn.Sequential(), nn.Sequential()], nn.Sequential());
        var a = Doubles([1, 2, 3, 4], 2, 2, 1); // [N=2, 2, 1]
        var b = Doubles([5, 6, 7, 8, 9, 10, 11, 12], 2, 2, 2);
        // joined per row of dimension 1: [a, b, b]
        AssertValues([1, 5, 6, 2, 7, 8, 3, 9, 10, 4, 11, 12], merge.forward([a, b]), [2, 2, 3]);

        using var alongFeatures = new Merge(MergeMode.Concat, 1, [nn.Sequential(), nn.Sequential()], nn.Sequential());
        AssertValues([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12], alongFeatures.forward([a.reshape(2, 1, 2), b]), [2, 3, 2]);
    }

    [Fact]
    public void Merge_add_sums_every_branch_elementwise()
    {
        using var scope = NewDisposeScope();
        using var merge = new Merge(MergeMode.Add, 1,
            [nn.Sequential(), nn.Sequential(Fixed(new double[,] { { 1, 0 }, { 0, -1 } }, [10, 20])), nn.Sequential()],
            nn.Sequential());
        var a = Doubles([1, 2, 3, 4], 2, 2);
        var b = Doubles([5, 6, 7, 8], 2, 2);
        var c = Doubles([0.5, 0.25, 0.125, 1], 2, 2);
        // a + (b0 + 10, -b1 + 20) + c
        AssertValues([1 + 15 + 0.5, 2 + 14 + 0.25, 3 + 17 + 0.125, 4 + 12 + 1], merge.forward([a, b, c]), [2, 2]);
    }

    [Fact]
    public void Merge_names_its_parameters_branches_i_and_layers()
    {
        using var merge = new Merge(MergeMode.Concat, 1,
            [nn.Sequential(), nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)), nn.Sequential(nn.Linear(1, 1, hasBias: false))],
            nn.Sequential(nn.Linear(4, 2)));
        Assert.Equal(
            ["branches.1.0.weight", "branches.1.0.bias", "branches.1.2.weight", "branches.1.2.bias", "branches.2.0.weight", "layers.0.weight", "layers.0.bias"],
            merge.state_dict().Keys);
        Assert.Equal(merge.state_dict().Keys, merge.named_parameters().Select(p => p.name));
    }

    [Fact]
    public void Merge_rejects_fewer_than_two_branches_and_a_wrong_number_of_sources()
    {
        var single = Assert.Throws<ArgumentException>(() => new Merge(MergeMode.Add, 1, [nn.Sequential()], nn.Sequential()));
        Assert.Contains("at least two branches, not 1", single.Message);

        using var scope = NewDisposeScope();
        using var merge = new Merge(MergeMode.Concat, 1, [nn.Sequential(), nn.Sequential()], nn.Sequential());
        var x = zeros([2, 2], dtype: ScalarType.Float64);
        var tooFew = Assert.Throws<ArgumentException>(() => merge.forward([x]));
        Assert.Contains("takes 2 sources, not 1", tooFew.Message);
        var tooMany = Assert.Throws<ArgumentException>(() => merge.forward([x, x, x]));
        Assert.Contains("takes 2 sources, not 3", tooMany.Message);
    }

    [Fact]
    public void Merge_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        manual_seed(20240601);
        var r = RandomFor(nameof(Merge_gradients_match_finite_differences));
        using (var concat = Float64(new Merge(MergeMode.Concat, 1, [nn.Sequential(nn.Linear(3, 2), nn.Tanh()), nn.Sequential()], nn.Sequential(nn.Linear(4, 2)))))
        {
            Function("Merge concat", xs => concat.forward(xs), [("a", Normal(r, 3, 3)), ("b", Normal(r, 3, 2))], concat);
        }
        using (var add = Float64(new Merge(MergeMode.Add, 1, [nn.Sequential(nn.Linear(3, 2)), nn.Sequential(), nn.Sequential(nn.Linear(1, 2), nn.Sigmoid())], nn.Sequential(nn.Tanh()))))
        {
            Function("Merge add", xs => add.forward(xs), [("a", Normal(r, 2, 3)), ("b", Normal(r, 2, 2)), ("c", Normal(r, 2, 1))], add);
        }
    }

    // ---- Residual -------------------------------------------------------------------------------

    [Fact]
    public void Residual_adds_its_input_to_what_its_layers_make_of_it()
    {
        using var scope = NewDisposeScope();
        using var residual = new Residual(nn.Sequential(Fixed(new double[,] { { 1, 2 }, { 0, -1 } }, [0.5, 0]), nn.ReLU()));
        var x = Doubles([1, 1, -3, 2], 2, 2);
        // body: relu(x0 + 2·x1 + 0.5, −x1)
        AssertValues([1 + 3.5, 1 + 0, -3 + 1.5, 2 + 0], residual.forward(x), [2, 2]);
        Assert.Equal(["body.0.weight", "body.0.bias"], residual.state_dict().Keys);
    }

    [Fact]
    public void Residual_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var r = RandomFor(nameof(Residual_gradients_match_finite_differences));
        using var residual = Float64(new Residual(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3))));
        Module("Residual", residual, Normal(r, 2, 3));
    }

    // ---- Reduce ---------------------------------------------------------------------------------

    [Fact]
    public void Reduce_takes_the_mean_sum_or_max_over_one_dimension_and_removes_it()
    {
        using var scope = NewDisposeScope();
        var x = Doubles([1, 5, 3, -2, -4, 0], 2, 3);
        AssertValues([3, -2], new Reduce(ReduceMode.Mean, 1).forward(x), [2], "mean");
        AssertValues([9, -6], new Reduce(ReduceMode.Sum, 1).forward(x), [2], "sum");
        AssertValues([5, 0], new Reduce(ReduceMode.Max, 1).forward(x), [2], "max");

        // [N=2, 2, 3] over dimension 1 (the batch stays dimension 0)
        var y = Doubles([1, 2, 3, 5, 0, 7, -1, -2, -3, 1, 2, 9], 2, 2, 3);
        AssertValues([3, 1, 5, 0, 0, 3], new Reduce(ReduceMode.Mean, 1).forward(y), [2, 3], "mean dim 1");
        AssertValues([5, 2, 7, 1, 2, 9], new Reduce(ReduceMode.Max, 1).forward(y), [2, 3], "max dim 1");
        AssertValues([6, 12, -6, 12], new Reduce(ReduceMode.Sum, 2).forward(y), [2, 2], "sum dim 2");
        AssertValues([6, 12, -6, 12], new Reduce(ReduceMode.Sum, -1).forward(y), [2, 2], "sum dim -1");
    }

    [Theory]
    [InlineData(ReduceMode.Mean)]
    [InlineData(ReduceMode.Sum)]
    [InlineData(ReduceMode.Max)]
    public void Reduce_gradients_match_finite_differences(ReduceMode mode)
    {
        using var scope = NewDisposeScope();
        var r = RandomFor($"Reduce {mode}");
        // distinct values: max has no ties
        Module($"Reduce {mode} dim 1", new Reduce(mode, 1), Distinct(r, 2, 3, 2));
        Module($"Reduce {mode} dim 2", new Reduce(mode, 2), Distinct(r, 2, 3, 2));
    }

    // ---- Reshape --------------------------------------------------------------------------------

    [Fact]
    public void Reshape_gives_each_example_the_shape_and_keeps_the_batch()
    {
        using var scope = NewDisposeScope();
        var x = Doubles([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 2, 6);
        AssertValues([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], new Reshape(2, 3).forward(x), [2, 2, 3]);
        AssertValues([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], new Reshape(6).forward(x.reshape(2, 3, 2)), [2, 6]);

        // a scalar input per example: [N] becomes [N, 1]
        AssertValues([1, 2, 3], new Reshape(1).forward(Doubles([1, 2, 3], 3)), [3, 1]);
        Assert.Equal(new long[] { 2, 3 }, new Reshape(2, 3).Shape);
        Assert.Throws<TorchException>(() => new Reshape(5).forward(x));
    }

    [Fact]
    public void Reshape_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        var r = RandomFor(nameof(Reshape_gradients_match_finite_differences));
        Module("Reshape", new Reshape(3, 2), Normal(r, 2, 2, 3));
    }

    // ---- Permute and Transpose ------------------------------------------------------------------

    [Fact]
    public void Permute_and_transpose_reorder_each_examples_dims()
    {
        using var scope = NewDisposeScope();

        // two examples of [2, 3]: x[n, i, j] = 10·n + 3·i + j
        var x = Doubles([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15], 2, 2, 3);
        AssertValues([0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15], new Permute(0, 2, 1).forward(x), [2, 3, 2], "permute(0, 2, 1)");
        AssertValues([0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15], new Transpose(1, 2).forward(x), [2, 3, 2], "transpose(1, 2)");
        AssertValues([0, 3, 1, 4, 2, 5, 10, 13, 11, 14, 12, 15], new Transpose(-1, -2).forward(x), [2, 3, 2], "transpose(-1, -2)");

        // one example of [2, 1, 3] -> permute(0, 3, 1, 2) -> [3, 2, 1]: y[k, i, 0] = x[i, 0, k]
        var y = Doubles([1, 2, 3, 4, 5, 6], 1, 2, 1, 3);
        AssertValues([1, 4, 2, 5, 3, 6], new Permute(0, 3, 1, 2).forward(y), [1, 3, 2, 1], "permute(0, 3, 1, 2)");
        Assert.Equal(new long[] { 0, 3, 1, 2 }, new Permute(0, 3, 1, 2).Dims);
    }

    [Fact]
    public void Permute_and_transpose_may_not_move_the_batch()
    {
        Assert.Contains("must start with the batch dim 0", Assert.Throws<ArgumentException>(() => new Permute(1, 0, 2)).Message, StringComparison.Ordinal);
        Assert.Contains("dim 0 is the batch", Assert.Throws<ArgumentException>(() => new Transpose(0, 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Permute_and_transpose_gradients_match_finite_differences()
    {
        using var scope = NewDisposeScope();
        var r = RandomFor(nameof(Permute_and_transpose_gradients_match_finite_differences));
        Module("Permute", new Permute(0, 3, 1, 2), Normal(r, 2, 2, 3, 4));
        Module("Transpose", new Transpose(1, 2), Normal(r, 2, 3, 4));
    }

    // ---- Recurrent ------------------------------------------------------------------------------

    public static TheoryData<string, int, bool, RecurrentOutput> RecurrentCases()
    {
        var data = new TheoryData<string, int, bool, RecurrentOutput>();
        foreach (var kind in new[] { "lstm", "gru" })
        {
            foreach (var (layers, bidirectional) in new[] { (1, false), (2, false), (1, true), (2, true) })
            {
                foreach (var output in Enum.GetValues<RecurrentOutput>()) data.Add(kind, layers, bidirectional, output);
            }
        }
        return data;
    }

    private const int Hidden = 2;
    private const int Features = 2;
    private const int Steps = 3;
    private const int Examples = 2;

    private static Recurrent NewRecurrent(string kind, int layers, bool bidirectional, RecurrentOutput output, bool batchFirst = true) => kind == "lstm"
        ? new Recurrent(nn.LSTM(Features, Hidden, num_layers: layers, batch_first: batchFirst, bidirectional: bidirectional, dtype: ScalarType.Float64), output)
        : new Recurrent(nn.GRU(Features, Hidden, num_layers: layers, batch_first: batchFirst, bidirectional: bidirectional, dtype: ScalarType.Float64), output);

    private static readonly double[] SequenceValues = [0.5, -1, 0.25, 2, -0.75, 0.1, 1.5, 0.3, -0.2, -1.1, 0.9, 0.4];

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void Recurrent_output_matches_a_hand_computed_recurrence(string kind, int layers, bool bidirectional, RecurrentOutput output)
    {
        using var scope = NewDisposeScope();
        manual_seed(layers * 10 + (bidirectional ? 1 : 0));
        using var recurrent = NewRecurrent(kind, layers, bidirectional, output);
        var weights = recurrent.named_parameters().ToDictionary(p => p.name["rnn.".Length..], p => p.parameter.data<double>());
        var input = Doubles(SequenceValues, Examples, Steps, Features);
        var actual = recurrent.forward(input);

        var directions = bidirectional ? 2 : 1;
        var expected = new List<double>();
        for (var n = 0; n < Examples; n++)
        {
            var sequence = Enumerable.Range(0, Steps).Select(t => SequenceValues.AsSpan((n * Steps + t) * Features, Features).ToArray()).ToArray();
            double[][] finals = [];
            for (var layer = 0; layer < layers; layer++)
            {
                (sequence, finals) = HandLayer(kind, weights, layer, directions, sequence);
            }
            switch (output)
            {
                case RecurrentOutput.Sequence:
                    expected.AddRange(sequence.SelectMany(s => s));
                    break;
                case RecurrentOutput.Mean:
                    expected.AddRange(Enumerable.Range(0, Hidden * directions).Select(j => sequence.Average(s => s[j])));
                    break;
                default:
                    expected.AddRange(finals.SelectMany(f => f));
                    break;
            }
        }
        long[] shape = output == RecurrentOutput.Sequence ? [Examples, Steps, Hidden * directions] : [Examples, Hidden * directions];
        AssertValues([.. expected], actual, shape, $"{kind} {layers} layer(s){(bidirectional ? " bidirectional" : "")} {output}");
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Recurrent_last_is_the_last_layers_final_state_of_each_direction(string kind)
    {
        // PyTorch's identities: the forward direction ends at the last step, the backward one at the first.
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var sequence = NewRecurrent(kind, 2, bidirectional: true, RecurrentOutput.Sequence);
        using var last = NewRecurrent(kind, 2, bidirectional: true, RecurrentOutput.Last);
        last.load_state_dict(sequence.state_dict());
        var input = Doubles(SequenceValues, Examples, Steps, Features);
        var all = sequence.forward(input);
        var expected = cat([all.select(1, Steps - 1).narrow(1, 0, Hidden), all.select(1, 0).narrow(1, Hidden, Hidden)], 1);
        Assert.True(expected.allclose(last.forward(input), rtol: 0, atol: 1e-15));
    }

    [Fact]
    public void Recurrent_names_its_parameters_rnn_as_PyTorch()
    {
        using var lstm = NewRecurrent("lstm", 1, bidirectional: true, RecurrentOutput.Last);
        Assert.Equal(
            [
                "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                "rnn.weight_ih_l0_reverse", "rnn.weight_hh_l0_reverse", "rnn.bias_ih_l0_reverse", "rnn.bias_hh_l0_reverse",
            ],
            lstm.state_dict().Keys);
        using var gru = NewRecurrent("gru", 2, bidirectional: false, RecurrentOutput.Mean);
        Assert.Equal(
            ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "rnn.weight_ih_l1", "rnn.weight_hh_l1", "rnn.bias_ih_l1", "rnn.bias_hh_l1"],
            gru.state_dict().Keys);
        Assert.Equal(new long[] { 3 * Hidden, Features }, gru.state_dict()["rnn.weight_ih_l0"].shape);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Recurrent_rejects_an_rnn_that_is_not_batch_first(string kind)
    {
        var error = Assert.Throws<ArgumentException>(() => NewRecurrent(kind, 1, bidirectional: false, RecurrentOutput.Last, batchFirst: false));
        Assert.Contains("batch_first: true", error.Message);
    }

    [Theory]
    [MemberData(nameof(RecurrentCases))]
    public void Recurrent_gradients_match_finite_differences(string kind, int layers, bool bidirectional, RecurrentOutput output)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var label = $"{kind} {layers} layer(s){(bidirectional ? " bidirectional" : "")} {output}";
        using var recurrent = NewRecurrent(kind, layers, bidirectional, output);
        Module(label, recurrent, Normal(RandomFor(label), Examples, Steps, Features));
    }

    /// <summary>
    /// One layer of an LSTM or GRU over one example's sequence, in plain arithmetic from PyTorch's
    /// documented equations (gates i, f, g, o for the LSTM; r, z, n for the GRU), every direction
    /// from a zero state. Returns each step's output (directions joined) and each direction's final state.
    /// </summary>
    private static (double[][] Outputs, double[][] Finals) HandLayer(string kind, Dictionary<string, double[]> weights, int layer, int directions, double[][] inputs)
    {
        var outputs = inputs.Select(_ => new double[Hidden * directions]).ToArray();
        var finals = new double[directions][];
        for (var direction = 0; direction < directions; direction++)
        {
            var suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
            var wih = weights["weight_ih" + suffix];
            var whh = weights["weight_hh" + suffix];
            var bih = weights["bias_ih" + suffix];
            var bhh = weights["bias_hh" + suffix];
            var h = new double[Hidden];
            var c = new double[Hidden];
            for (var k = 0; k < inputs.Length; k++)
            {
                var t = direction == 0 ? k : inputs.Length - 1 - k;
                var x = inputs[t];
                var gi = Affine(wih, bih, x);
                var gh = Affine(whh, bhh, h);
                var next = new double[Hidden];
                for (var j = 0; j < Hidden; j++)
                {
                    if (kind == "lstm")
                    {
                        var i = Sigmoid(gi[j] + gh[j]);
                        var f = Sigmoid(gi[Hidden + j] + gh[Hidden + j]);
                        var g = Math.Tanh(gi[2 * Hidden + j] + gh[2 * Hidden + j]);
                        var o = Sigmoid(gi[3 * Hidden + j] + gh[3 * Hidden + j]);
                        c[j] = f * c[j] + i * g;
                        next[j] = o * Math.Tanh(c[j]);
                    }
                    else
                    {
                        var r = Sigmoid(gi[j] + gh[j]);
                        var z = Sigmoid(gi[Hidden + j] + gh[Hidden + j]);
                        var n = Math.Tanh(gi[2 * Hidden + j] + r * gh[2 * Hidden + j]);
                        next[j] = (1 - z) * n + z * h[j];
                    }
                }
                h = next;
                Array.Copy(h, 0, outputs[t], direction * Hidden, Hidden);
            }
            finals[direction] = h;
        }
        return (outputs, finals);
    }

    /// <summary>W·x + b for a row-major W of <c>b.Length</c> rows.</summary>
    private static double[] Affine(double[] w, double[] b, double[] x)
    {
        var y = new double[b.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = b[i];
            for (var j = 0; j < x.Length; j++) y[i] += w[i * x.Length + j] * x[j];
        }
        return y;
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
}
