using System.Runtime.CompilerServices;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Runtime.Tests.GradCheck;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>Autograd gradients of every layer and loss against central differences (float64).</summary>
public sealed class GradientCheckTests
{
    private const long Seed = 20240601;

    // ---- layers ---------------------------------------------------------------------------------

    /// <summary>Each case builds a module (seeded), converts it to float64 and checks it.</summary>
    private static readonly Dictionary<string, Action<Random>> Layers = new()
    {
        ["Linear"] = r => CheckModule(nn.Linear(4, 3), Normal(r, 2, 4)),
        ["Linear without bias"] = r => CheckModule(nn.Linear(4, 3, hasBias: false), Normal(r, 2, 4)),
        ["Linear on a 3-d input"] = r => CheckModule(nn.Linear(3, 2), Normal(r, 2, 2, 3)),
        ["Linear per pixel on a 4-d input"] = r => CheckModule(nn.Linear(3, 2), Normal(r, 1, 2, 2, 3)),
        ["Conv1d"] = r => CheckModule(nn.Conv1d(2, 3, 3), Normal(r, 2, 2, 6)),
        ["Conv1d stride 2 padding 1 dilation 2 groups 2"] = r => CheckModule(nn.Conv1d(2, 4, 3, stride: 2, padding: 1, dilation: 2, groups: 2), Normal(r, 2, 2, 9)),
        ["Conv1d without bias"] = r => CheckModule(nn.Conv1d(2, 2, 2, bias: false), Normal(r, 1, 2, 5)),
        ["Conv2d"] = r => CheckModule(nn.Conv2d(2, 3, 3), Normal(r, 1, 2, 5, 5)),
        ["Conv2d stride 2 padding 1 dilation 2 groups 2"] = r => CheckModule(nn.Conv2d(4, 6, 3, stride: 2, padding: 1, dilation: 2, groups: 2), Normal(r, 2, 4, 6, 6)),
        ["Conv2d rectangular kernel, stride and padding"] = r => CheckModule(new Conv2d(2, 2, (2, 3), stride: (1, 2), padding: (1, 0)), Normal(r, 1, 2, 4, 5)),
        ["Conv2d without bias"] = r => CheckModule(nn.Conv2d(1, 2, 2, bias: false), Normal(r, 1, 1, 4, 4)),
        ["ConvTranspose1d"] = r => CheckModule(nn.ConvTranspose1d(2, 3, 3), Normal(r, 2, 2, 5)),
        ["ConvTranspose1d stride 2 padding 1 output_padding 1 dilation 2 groups 2"] = r => CheckModule(nn.ConvTranspose1d(2, 4, 3, stride: 2, padding: 1, output_padding: 1, groups: 2, dilation: 2), Normal(r, 2, 2, 4)),
        ["ConvTranspose2d"] = r => CheckModule(nn.ConvTranspose2d(2, 3, 2), Normal(r, 1, 2, 3, 3)),
        ["ConvTranspose2d rectangular kernel, stride, padding and output_padding"] = r => CheckModule(nn.ConvTranspose2d(2, 2, (2, 3), stride: (2, 1), padding: (0, 1), output_padding: (1, 0)), Normal(r, 1, 2, 3, 4)),
        ["ConvTranspose2d without bias, groups 2"] = r => CheckModule(nn.ConvTranspose2d(4, 2, 2, stride: 2, groups: 2, bias: false), Normal(r, 1, 4, 2, 2)),
        ["MaxPool1d"] = r => CheckModule(nn.MaxPool1d(2), Distinct(r, 2, 2, 6)),
        ["MaxPool1d stride 2 padding 1 dilation 2"] = r => CheckModule(nn.MaxPool1d(3, stride: 2, padding: 1, dilation: 2), Distinct(r, 1, 2, 9)),
        ["MaxPool1d ceil_mode"] = r => CheckModule(nn.MaxPool1d(2, ceil_mode: true), Distinct(r, 1, 2, 7)),
        ["MaxPool2d"] = r => CheckModule(nn.MaxPool2d(2), Distinct(r, 2, 2, 4, 4)),
        ["MaxPool2d stride 1 padding 1"] = r => CheckModule(nn.MaxPool2d(3, stride: 1, padding: 1), Distinct(r, 1, 2, 4, 4)),
        ["MaxPool2d dilation 2"] = r => CheckModule(nn.MaxPool2d(2, stride: 1, dilation: 2), Distinct(r, 1, 1, 5, 5)),
        ["MaxPool2d rectangular kernel, stride, padding and dilation"] = r => CheckModule(nn.MaxPool2d((3, 2), stride: (1, 2), padding: (1, 0), dilation: (1, 2)), Distinct(r, 1, 2, 4, 7)),
        ["AvgPool1d"] = r => CheckModule(nn.AvgPool1d(2), Normal(r, 2, 2, 6)),
        ["AvgPool1d stride 2 padding 1"] = r => CheckModule(nn.AvgPool1d(3, stride: 2, padding: 1), Normal(r, 1, 2, 8)),
        ["AvgPool1d padding without count_include_pad, ceil_mode"] = r => CheckModule(nn.AvgPool1d(3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false), Normal(r, 1, 2, 8)),
        ["AvgPool2d"] = r => CheckModule(nn.AvgPool2d(2), Normal(r, 2, 2, 4, 4)),
        ["AvgPool2d stride 2 padding 1 without count_include_pad"] = r => CheckModule(nn.AvgPool2d(3, stride: 2, padding: 1, count_include_pad: false), Normal(r, 1, 2, 5, 5)),
        ["AvgPool2d rectangular kernel, stride and padding"] = r => CheckModule(nn.AvgPool2d((2, 3), stride: (2, 1), padding: (1, 1)), Normal(r, 1, 2, 4, 5)),
        ["AdaptiveAvgPool1d"] = r => CheckModule(nn.AdaptiveAvgPool1d(3), Normal(r, 2, 2, 7)),
        ["AdaptiveAvgPool2d"] = r => CheckModule(nn.AdaptiveAvgPool2d((2, 3)), Normal(r, 1, 2, 5, 7)),
        ["AdaptiveAvgPool2d to 1x1"] = r => CheckModule(nn.AdaptiveAvgPool2d(1), Normal(r, 2, 3, 3, 3)),
        ["BatchNorm1d train [N, C]"] = r => CheckModule(nn.BatchNorm1d(3), Normal(r, 4, 3)),
        ["BatchNorm1d train [N, C, L]"] = r => CheckModule(nn.BatchNorm1d(2), Normal(r, 3, 2, 4)),
        ["BatchNorm1d eval"] = r => CheckModule(Eval(WithRunningStats(nn.BatchNorm1d(3), Normal(r, 8, 3))), Normal(r, 4, 3)),
        ["BatchNorm1d eval without running stats (batch statistics)"] = r => CheckModule(Eval(nn.BatchNorm1d(3, track_running_stats: false)), Normal(r, 4, 3)),
        ["BatchNorm1d without affine"] = r => CheckModule(nn.BatchNorm1d(3, affine: false), Normal(r, 4, 3)),
        ["BatchNorm2d train"] = r => CheckModule(nn.BatchNorm2d(3), Normal(r, 2, 3, 3, 3)),
        ["BatchNorm2d eval"] = r => CheckModule(Eval(WithRunningStats(nn.BatchNorm2d(3), Normal(r, 4, 3, 3, 3))), Normal(r, 2, 3, 3, 3)),
        ["LayerNorm"] = r => CheckModule(nn.LayerNorm(4), Normal(r, 2, 3, 4)),
        ["LayerNorm over two dimensions"] = r => CheckModule(nn.LayerNorm([3, 4]), Normal(r, 2, 3, 4)),
        ["LayerNorm without affine"] = r => CheckModule(nn.LayerNorm(5, elementwise_affine: false), Normal(r, 3, 5)),
        ["Dropout eval"] = r => CheckModule(Eval(nn.Dropout(0.5)), Normal(r, 3, 4)),
        ["Dropout train p=0"] = r => CheckModule(nn.Dropout(0.0), Normal(r, 3, 4)),
        ["Embedding"] = r => CheckModule(nn.Embedding(5, 3), tensor(new long[] { 0, 4, 2, 4, 4, 1 }, [2, 3])),
        ["Flatten"] = r => CheckModule(nn.Flatten(), Normal(r, 2, 3, 2, 2)),
        ["Flatten dims 0..1"] = r => CheckModule(nn.Flatten(0, 1), Normal(r, 2, 3, 2)),
        ["ReLU"] = r => CheckModule(nn.ReLU(), AwayFromZero(r, 0.1, 3, 4)),
        ["LeakyReLU"] = r => CheckModule(nn.LeakyReLU(0.2), AwayFromZero(r, 0.1, 3, 4)),
        ["GELU"] = r => CheckModule(nn.GELU(), Normal(r, 3, 4)),
        ["GELU tanh approximation"] = r => CheckModule(nn.GELU("tanh"), Normal(r, 3, 4)),
        ["SiLU"] = r => CheckModule(nn.SiLU(), Normal(r, 3, 4)),
        ["ELU alpha 0.5"] = r => CheckModule(nn.ELU(0.5), AwayFromZero(r, 0.1, 3, 4)),
        ["SELU"] = r => CheckModule(nn.SELU(), AwayFromZero(r, 0.1, 3, 4)),
        ["Mish"] = r => CheckModule(nn.Mish(), Normal(r, 3, 4)),
        ["Softplus beta 2 threshold 1 (both sides of the threshold)"] = r => CheckModule(nn.Softplus(2, 1), Normal(r, 3, 4)),
        ["ReLU6"] = r => CheckModule(nn.ReLU6(), AwayFromZero(r, 0.1, 3, 4)),
        ["Hardswish"] = r => CheckModule(nn.Hardswish(), Normal(r, 3, 4)),
        ["Hardsigmoid"] = r => CheckModule(nn.Hardsigmoid(), Normal(r, 3, 4)),
        ["Tanh"] = r => CheckModule(nn.Tanh(), Normal(r, 3, 4)),
        ["Sigmoid"] = r => CheckModule(nn.Sigmoid(), Normal(r, 3, 4)),
        ["Softmax dim 1"] = r => CheckModule(nn.Softmax(1), Normal(r, 3, 4)),
        ["Softmax dim 0"] = r => CheckModule(nn.Softmax(0), Normal(r, 3, 4)),
        ["LogSoftmax dim 1"] = r => CheckModule(nn.LogSoftmax(1), Normal(r, 3, 4)),
        ["LogSoftmax dim -1 on 3-d"] = r => CheckModule(nn.LogSoftmax(-1), Normal(r, 2, 2, 3)),
        ["Sequential MLP"] = r => CheckModule(nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2)), Normal(r, 3, 4)),
        ["Sequential conv stack"] = r => CheckModule(
            nn.Sequential(nn.Conv2d(1, 2, 3, padding: 1), nn.BatchNorm2d(2), nn.GELU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3), nn.LogSoftmax(1)),
            Normal(r, 2, 1, 4, 4)),
        ["LSTM"] = r => CheckLstm(nn.LSTM(2, 3), r, batchFirst: false),
        ["LSTM batch_first"] = r => CheckLstm(nn.LSTM(2, 3, batch_first: true), r, batchFirst: true),
        ["LSTM 2 layers"] = r => CheckLstm(nn.LSTM(2, 3, num_layers: 2), r, batchFirst: false),
        ["LSTM bidirectional"] = r => CheckLstm(nn.LSTM(2, 3, bidirectional: true), r, batchFirst: false),
        ["LSTM 2 layers bidirectional batch_first"] = r => CheckLstm(nn.LSTM(2, 3, num_layers: 2, batch_first: true, bidirectional: true), r, batchFirst: true),
        ["LSTM without bias, initial state"] = r => CheckLstm(nn.LSTM(2, 3, bias: false), r, batchFirst: false, initialState: true),
        ["GRU"] = r => CheckGru(nn.GRU(2, 3), r, batchFirst: false),
        ["GRU batch_first"] = r => CheckGru(nn.GRU(2, 3, batch_first: true), r, batchFirst: true),
        ["GRU 2 layers"] = r => CheckGru(nn.GRU(2, 3, num_layers: 2), r, batchFirst: false),
        ["GRU bidirectional"] = r => CheckGru(nn.GRU(2, 3, bidirectional: true), r, batchFirst: false),
        ["GRU 2 layers bidirectional batch_first"] = r => CheckGru(nn.GRU(2, 3, num_layers: 2, batch_first: true, bidirectional: true), r, batchFirst: true),
        ["GRU without bias, initial state"] = r => CheckGru(nn.GRU(2, 3, bias: false), r, batchFirst: false, initialState: true),
    };

    public static TheoryData<string> LayerCases => new(Layers.Keys);

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void Layer_gradients_match_central_differences(string layer)
    {
        using var scope = NewDisposeScope();
        manual_seed(Seed);
        Layers[layer](RandomFor(layer));
    }

    private static void CheckModule(nn.Module<Tensor, Tensor> module, Tensor input, [CallerArgumentExpression(nameof(module))] string label = "")
    {
        using (module)
        {
            module.to(ScalarType.Float64);
            Module(label, module, input);
        }
    }

    private static T Eval<T>(T module) where T : nn.Module
    {
        module.eval();
        return module;
    }

    /// <summary>Runs a few training batches so running_mean/running_var are not the defaults.</summary>
    private static T WithRunningStats<T>(T batchNorm, Tensor batch) where T : BatchNorm
    {
        batchNorm.to(ScalarType.Float64);
        using var noGrad = no_grad();
        for (var i = 0; i < 3; i++) batchNorm.forward(batch).Dispose();
        return batchNorm;
    }

    private const long SeqLen = 3, Batch = 2;

    /// <summary>Checks output, h_n and c_n (concatenated) w.r.t. the input, the initial state if given, and every parameter.</summary>
    private static void CheckLstm(LSTM lstm, Random r, bool batchFirst, bool initialState = false, [CallerArgumentExpression(nameof(lstm))] string label = "")
    {
        using (lstm)
        {
            lstm.to(ScalarType.Float64);
            var stateShape = StateShape(lstm);
            var inputs = new List<(string, Tensor)> { ("input", Normal(r, SequenceShape(lstm, batchFirst))) };
            if (initialState) inputs.AddRange([("h0", Normal(r, stateShape)), ("c0", Normal(r, stateShape))]);
            Function(label, xs =>
            {
                var (output, h, c) = lstm.forward(xs[0], initialState ? (xs[1], xs[2]) : null);
                return cat([output.flatten(), h.flatten(), c.flatten()]);
            }, inputs, lstm);
        }
    }

    private static void CheckGru(GRU gru, Random r, bool batchFirst, bool initialState = false, [CallerArgumentExpression(nameof(gru))] string label = "")
    {
        using (gru)
        {
            gru.to(ScalarType.Float64);
            var inputs = new List<(string, Tensor)> { ("input", Normal(r, SequenceShape(gru, batchFirst))) };
            if (initialState) inputs.Add(("h0", Normal(r, StateShape(gru))));
            Function(label, xs =>
            {
                var (output, h) = gru.forward(xs[0], initialState ? xs[1] : null);
                return cat([output.flatten(), h.flatten()]);
            }, inputs, gru);
        }
    }

    private static long[] SequenceShape(RecurrentBase rnn, bool batchFirst) =>
        batchFirst ? [Batch, SeqLen, rnn.input_size] : [SeqLen, Batch, rnn.input_size];

    private static long[] StateShape(RecurrentBase rnn) => [rnn.num_layers * (rnn.bidirectional ? 2 : 1), Batch, rnn.hidden_size];

    // ---- losses ---------------------------------------------------------------------------------

    /// <summary>Each case checks one loss with the given reduction; targets that may carry grad do.</summary>
    private static readonly Dictionary<string, Action<Random, Reduction>> Losses = new()
    {
        ["mse_loss"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.mse_loss(x, y, red), Normal(r, 3, 4), Normal(r, 3, 4)),
        ["l1_loss"] = (r, red) => CheckLossAwayFromKink(r, red, (x, y) => nn.functional.l1_loss(x, y, red)),
        ["smooth_l1_loss beta 0.5"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.smooth_l1_loss(x, y, red, beta: 0.5), Normal(r, 3, 4), Normal(r, 3, 4)),
        ["smooth_l1_loss beta 0"] = (r, red) => CheckLossAwayFromKink(r, red, (x, y) => nn.functional.smooth_l1_loss(x, y, red, beta: 0)),
        ["huber_loss delta 0.7"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.huber_loss(x, y, red, delta: 0.7), Normal(r, 3, 4), Normal(r, 3, 4)),
        ["cross_entropy"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, reduction: red), Normal(r, 4, 3), Classes(0, 2, 1, 2)),
        ["cross_entropy with class weights"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, ClassWeights(), reduction: red), Normal(r, 4, 3), Classes(0, 2, 1, 2)),
        ["cross_entropy with ignore_index"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, ignore_index: 1, reduction: red), Normal(r, 4, 3), Classes(0, 1, 1, 2)),
        ["cross_entropy with label_smoothing"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, reduction: red, label_smoothing: 0.1), Normal(r, 4, 3), Classes(0, 2, 1, 2)),
        ["cross_entropy with weights, ignore_index and label_smoothing"] = (r, red) =>
            CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, ClassWeights(), ignore_index: -1, reduction: red, label_smoothing: 0.2), Normal(r, 4, 3), Classes(0, -1, 1, 2)),
        ["cross_entropy over [N, C, d]"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, ClassWeights(), reduction: red), Normal(r, 2, 3, 2), Classes([2, 2], 0, 2, 1, 1)),
        ["cross_entropy with probability targets"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, reduction: red), Normal(r, 4, 3), Probabilities(r, 4, 3)),
        ["cross_entropy with probability targets, weights and label_smoothing"] = (r, red) =>
            CheckLoss(red, (x, y) => nn.functional.cross_entropy(x, y, ClassWeights(), reduction: red, label_smoothing: 0.1), Normal(r, 4, 3), Probabilities(r, 4, 3)),
        ["nll_loss"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.nll_loss(x, y, reduction: red), Normal(r, 4, 3), Classes(0, 2, 1, 2)),
        ["nll_loss with weights and ignore_index"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.nll_loss(x, y, ClassWeights(), ignore_index: 0, reduction: red), Normal(r, 4, 3), Classes(0, 2, 1, 2)),
        ["binary_cross_entropy_with_logits"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.binary_cross_entropy_with_logits(x, y, reduction: red), Normal(r, 3, 4), Uniform(r, 0, 1, 3, 4)),
        ["binary_cross_entropy_with_logits with weight and pos_weight"] = (r, red) =>
        {
            using var weight = tensor(new[] { 0.5, 1.0, 2.0, 1.5 }, [4]);
            using var posWeight = tensor(new[] { 3.0, 0.5, 1.0, 2.0 }, [4]);
            CheckLoss(red, (x, y) => nn.functional.binary_cross_entropy_with_logits(x, y, weight, red, posWeight), Normal(r, 3, 4), Uniform(r, 0, 1, 3, 4));
        },
        ["binary_cross_entropy"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.binary_cross_entropy(x, y, reduction: red), Uniform(r, 0.05, 0.95, 3, 4), Uniform(r, 0, 1, 3, 4).requires_grad_(false)),
        ["binary_cross_entropy with weight"] = (r, red) =>
        {
            using var weight = tensor(new[] { 0.5, 1.0, 2.0, 1.5 }, [4]);
            CheckLoss(red, (x, y) => nn.functional.binary_cross_entropy(x, y, weight.expand(3, 4), red), Uniform(r, 0.05, 0.95, 3, 4), Uniform(r, 0, 1, 3, 4).requires_grad_(false));
        },
        ["kl_div"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.kl_div(x, y, red), LogProbabilities(r, 4, 3), Probabilities(r, 4, 3)),
        ["kl_div with log_target"] = (r, red) => CheckLoss(red, (x, y) => nn.functional.kl_div(x, y, red, log_target: true), LogProbabilities(r, 4, 3), LogProbabilities(r, 4, 3)),
    };

    public static TheoryData<string, Reduction> LossCases
    {
        get
        {
            var data = new TheoryData<string, Reduction>();
            foreach (var loss in Losses.Keys)
            {
                foreach (var reduction in new[] { Reduction.None, Reduction.Mean, Reduction.Sum }) data.Add(loss, reduction);
                if (loss.StartsWith("kl_div", StringComparison.Ordinal)) data.Add(loss, Reduction.BatchMean);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(LossCases))]
    public void Loss_gradients_match_central_differences(string loss, Reduction reduction)
    {
        using var scope = NewDisposeScope();
        Losses[loss](RandomFor(loss), reduction);
    }

    private static void CheckLoss(Reduction reduction, Func<Tensor, Tensor, Tensor> loss, Tensor input, Tensor target, [CallerArgumentExpression(nameof(loss))] string label = "")
    {
        var result = loss(input, target);
        if (reduction == Reduction.None)
        {
            Assert.Equal(input.size(0), result.size(0));
        }
        else
        {
            Assert.Empty(result.shape);
        }
        Function($"{label} (reduction {reduction})", xs => loss(xs[0], xs[1]), [("input", input), ("target", target)]);
    }

    /// <summary>For losses with a kink at input = target: every element of the target differs from the input by at least 0.1.</summary>
    private static void CheckLossAwayFromKink(Random r, Reduction reduction, Func<Tensor, Tensor, Tensor> loss, [CallerArgumentExpression(nameof(loss))] string label = "")
    {
        var input = Normal(r, 3, 4);
        Tensor target;
        using (no_grad())
        {
            using var offset = AwayFromZero(r, 0.1, 3, 4);
            target = input.add(offset).requires_grad_();
        }
        CheckLoss(reduction, loss, input, target, label);
    }

    private static Tensor Classes(params long[] classes) => tensor(classes, [classes.Length]);

    private static Tensor Classes(long[] shape, params long[] classes) => tensor(classes, shape);

    private static Tensor ClassWeights() => tensor(new[] { 0.5, 1.0, 2.0 }, [3]);

    /// <summary>Rows of a softmax, as a float64 leaf that requires grad.</summary>
    private static Tensor Probabilities(Random r, long rows, long columns)
    {
        using var noGrad = no_grad();
        using var logits = Normal(r, rows, columns);
        return logits.softmax(1).requires_grad_();
    }

    private static Tensor LogProbabilities(Random r, long rows, long columns)
    {
        using var noGrad = no_grad();
        using var logits = Normal(r, rows, columns);
        return logits.log_softmax(1).requires_grad_();
    }

    // ---- second derivatives ---------------------------------------------------------------------

    /// <summary>Functions whose first derivative (taken with create_graph) is gradchecked in turn.</summary>
    private static readonly Dictionary<string, Func<Tensor, Tensor>> TwiceDifferentiable = new()
    {
        ["x³"] = x => x.pow(3.0),
        ["tanh"] = x => x.tanh(),
        ["sigmoid"] = x => x.sigmoid(),
        ["gelu"] = x => nn.functional.gelu(x),
        ["silu"] = x => nn.functional.silu(x),
        ["softmax"] = x => x.softmax(1),
        ["log_softmax"] = x => x.log_softmax(1),
        ["layer_norm"] = x => nn.functional.layer_norm(x, [4]),
        ["mse_loss"] = x => nn.functional.mse_loss(x.tanh(), x.sigmoid()),
        ["cross_entropy with label_smoothing"] = x => nn.functional.cross_entropy(x, Classes(0, 3, 1), label_smoothing: 0.1),
        ["binary_cross_entropy_with_logits"] = x => nn.functional.binary_cross_entropy_with_logits(x, Uniform(new Random(5), 0, 1, 3, 4).requires_grad_(false)),
    };

    public static TheoryData<string> TwiceDifferentiableCases => new(TwiceDifferentiable.Keys);

    /// <summary>Gradient penalties need create_graph: the gradient must itself be differentiable, correctly.</summary>
    [Theory]
    [MemberData(nameof(TwiceDifferentiableCases))]
    public void Second_derivatives_through_create_graph_match_central_differences(string function)
    {
        using var scope = NewDisposeScope();
        var f = TwiceDifferentiable[function];
        var x = Normal(RandomFor(function), 3, 4);
        var v = Normal(new Random(99), 3, 4).requires_grad_(false);
        Function($"d/dx of {function}", xs =>
        {
            // The checker evaluates under no_grad; the inner derivative needs a graph.
            using var grad = enable_grad();
            var y = f(xs[0]);
            return torch.autograd.grad([y], [xs[0]], [y.Dimensions == 0 ? null : v], create_graph: true)[0]!;
        }, [("x", x)]);
    }

    [Fact]
    public void Create_graph_gives_the_exact_second_derivative_of_a_cube()
    {
        using var scope = NewDisposeScope();
        var x = Leaf([-2.0, 0.5, 3.0], 3);
        var first = torch.autograd.grad(x.pow(3.0).sum(), [x], create_graph: true)[0]!;
        Assert.True(first.requires_grad, "a gradient taken with create_graph is differentiable");
        first.sum().backward();
        Assert.Equal([12.0, 0.75, 27.0], first.detach().data<double>());
        Assert.Equal([-12.0, 3.0, 18.0], x.grad!.data<double>());
    }

    // ---- special cases --------------------------------------------------------------------------

    /// <summary>In training mode the gradient is the upstream gradient times the dropout mask / (1 - p).</summary>
    [Fact]
    public void Dropout_train_gradient_is_the_scaled_mask()
    {
        using var scope = NewDisposeScope();
        manual_seed(Seed);
        const double p = 0.3;
        using var dropout = nn.Dropout(p);
        var x = AwayFromZero(new Random(7), 0.1, 20, 30);
        var y = dropout.forward(x);
        var upstream = Normal(new Random(8), 20, 30).requires_grad_(false);
        var grad = torch.autograd.grad([y], [x], [upstream])[0]!;

        var mask = y.ne(0.0).to(ScalarType.Float64);
        var dropped = 1 - mask.mean().item<double>();
        Assert.InRange(dropped, 0.2, 0.4);
        Assert.True(y.allclose(x.detach() * mask / (1 - p), rtol: 1e-12, atol: 0), "the kept elements are scaled by 1/(1-p)");
        Assert.True(grad.allclose(upstream * mask / (1 - p), rtol: 1e-12, atol: 0), "the gradient is the upstream gradient times mask/(1-p)");
    }

    /// <summary>The padding row is used in the lookup but, as in PyTorch, never receives a gradient.</summary>
    [Fact]
    public void Embedding_padding_row_gets_no_gradient()
    {
        using var scope = NewDisposeScope();
        manual_seed(Seed);
        using var embedding = nn.Embedding(4, 3, padding_idx: 1);
        embedding.to(ScalarType.Float64);
        var indices = tensor(new long[] { 1, 2, 1, 3, 2 }, [5]);
        var output = embedding.forward(indices);
        output.mul(output).sum().backward();
        var grad = embedding.weight.grad!;

        Assert.True(output[0].eq(0.0).all().item<bool>(), "the padding row is zero, so it looks up zeros");
        Assert.True(grad[1].eq(0.0).all().item<bool>(), "the padding row's gradient is zero");
        Assert.True(grad[0].eq(0.0).all().item<bool>(), "an unused row's gradient is zero");
        // Row 2 is looked up twice: d(sum y²)/dw = 2 w per lookup.
        Assert.True(grad[2].allclose(embedding.weight[2].detach() * 4.0), "a row used twice accumulates both gradients");
    }

    /// <summary>PyTorch reads a negative padding_idx from the end: -1 is the last row.</summary>
    [Fact]
    public void Functional_embedding_negative_padding_idx_counts_from_the_end()
    {
        using var scope = NewDisposeScope();
        var weight = Normal(new Random(9), 4, 2);
        nn.functional.embedding(tensor(new long[] { 3, 1, 3 }, [3]), weight, padding_idx: -1).sum().backward();
        var grad = weight.grad!;

        Assert.True(grad[3].eq(0.0).all().item<bool>(), "row 3 (padding_idx -1) must get no gradient");
        Assert.True(grad[1].eq(1.0).all().item<bool>(), "row 1 gets the upstream gradient");
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.functional.embedding(tensor(new long[] { 0 }, [1]), weight, padding_idx: -5));
    }

    /// <summary>As PyTorch's .grad setter, the binding refuses a gradient that could not belong to the tensor.</summary>
    [Fact]
    public void Assigning_a_gradient_of_another_shape_or_dtype_is_rejected()
    {
        using var scope = NewDisposeScope();
        using var linear = nn.Linear(3, 2);

        var shape = Assert.Throws<TorchException>(() => linear.weight.grad = zeros(3, 2));
        Assert.Contains("[3, 2]", shape.Message);
        Assert.Contains("[2, 3]", shape.Message);
        var dtype = Assert.Throws<TorchException>(() => linear.weight.grad = zeros([2, 3], ScalarType.Float64));
        Assert.Contains("Double", dtype.Message);
        Assert.Null(linear.weight.grad);

        linear.weight.grad = ones(2, 3);
        Assert.True(linear.weight.grad!.equal(ones(2, 3)));
        linear.weight.grad = null;
        Assert.Null(linear.weight.grad);
    }

    /// <summary>The checker itself must catch a wrong gradient and say where.</summary>
    [Fact]
    public void GradCheck_reports_a_wrong_gradient_with_layer_tensor_index_and_values()
    {
        using var scope = NewDisposeScope();
        var x = Leaf([0.5, -1.0, 2.0, 3.0], 2, 2);
        // d(x * x)/dx is 2x, but treating one factor as a constant makes autograd return x.
        var failure = Assert.ThrowsAny<Exception>(() => Function("broken square", xs => xs[0].detach() * xs[0], [("x", x)]));

        Assert.Contains("broken square", failure.Message);
        Assert.Contains("x[1, 1]: autograd ", failure.Message);
        Assert.Contains("4 gradient element(s)", failure.Message);
    }

    [Fact]
    public void GradCheck_passes_a_correct_gradient_and_checks_module_parameters()
    {
        using var scope = NewDisposeScope();
        var x = Leaf([0.5, -1.0, 2.0, 3.0], 2, 2);
        Function("square", xs => xs[0] * xs[0], [("x", x)]);

        // A parameter whose gradient is wrong is reported under its dotted name.
        manual_seed(Seed);
        using var linear = nn.Linear(2, 2);
        linear.to(ScalarType.Float64);
        var failure = Assert.ThrowsAny<Exception>(() => Function("detached weight", xs => nn.functional.linear(xs[0], linear.weight.detach(), linear.bias), [("x", x)], linear));
        Assert.Contains("weight[", failure.Message);
        Assert.DoesNotContain("bias[", failure.Message);
    }

    [Fact]
    public void GradCheck_refuses_a_function_that_depends_on_nothing_it_checks()
    {
        using var scope = NewDisposeScope();
        var x = Leaf([0.5, -1.0], 2);
        // Part of the graph, but with a zero gradient everywhere: autograd and differences agree on nothing.
        var failure = Assert.ThrowsAny<Exception>(() => Function("times zero", xs => xs[0].mul(0.0), [("x", x)]));
        Assert.Contains("vacuously", failure.Message);
    }

    [Fact]
    public void FormatIndex_is_row_major()
    {
        Assert.Equal("[1, 0, 2]", FormatIndex(1 * 6 + 0 * 3 + 2, [2, 2, 3]));
        Assert.Equal("[]", FormatIndex(0, []));
    }
}
