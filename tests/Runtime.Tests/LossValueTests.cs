using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;
using F = Mtl.Torch.torch.nn.functional;

namespace Mtl.Runtime.Tests;

/// <summary>Loss values against arithmetic done by hand on tiny float64 inputs.</summary>
public sealed class LossValueTests
{
    private static readonly double Ln2 = Math.Log(2), Ln3 = Math.Log(3), Ln5 = Math.Log(5);

    private static void AssertValues(double[] expected, Tensor actual)
    {
        Assert.Equal(ScalarType.Float64, actual.dtype);
        var values = actual.data<double>();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], values[i], 1e-12);
    }

    private static void AssertScalar(double expected, Tensor actual)
    {
        Assert.Empty(actual.shape);
        AssertValues([expected], actual);
    }

    private static Tensor T(params double[] values) => tensor(values, [values.Length]);

    private static Tensor T2(double[,] values) => tensor(values);

    // Regression losses on input [1, 2, 3] and target [1.5, 2, 1]: differences d = [-0.5, 0, 2].

    [Fact]
    public void Mse_loss()
    {
        using var scope = NewDisposeScope();
        var (x, y) = (T(1, 2, 3), T(1.5, 2, 1));
        AssertValues([0.25, 0, 4], F.mse_loss(x, y, Reduction.None));
        AssertScalar(4.25, F.mse_loss(x, y, Reduction.Sum));
        AssertScalar(4.25 / 3, F.mse_loss(x, y));
    }

    [Fact]
    public void L1_loss()
    {
        using var scope = NewDisposeScope();
        var (x, y) = (T(1, 2, 3), T(1.5, 2, 1));
        AssertValues([0.5, 0, 2], F.l1_loss(x, y, Reduction.None));
        AssertScalar(2.5, F.l1_loss(x, y, Reduction.Sum));
        AssertScalar(2.5 / 3, F.l1_loss(x, y));
    }

    [Fact]
    public void Smooth_l1_loss_is_quadratic_below_beta_and_linear_above()
    {
        using var scope = NewDisposeScope();
        var (x, y) = (T(1, 2, 3), T(1.5, 2, 1));
        // beta = 1: |d| < 1 gives 0.5 d² / beta = 0.125; |d| = 2 gives |d| - beta / 2 = 1.5.
        AssertValues([0.125, 0, 1.5], F.smooth_l1_loss(x, y, Reduction.None, beta: 1));
        AssertScalar(1.625 / 3, F.smooth_l1_loss(x, y, beta: 1));
        // beta = 4: everything is quadratic: 0.5 · 0.25 / 4 = 0.03125 and 0.5 · 4 / 4 = 0.5.
        AssertScalar(0.53125, F.smooth_l1_loss(x, y, Reduction.Sum, beta: 4));
    }

    [Fact]
    public void Huber_loss_is_quadratic_below_delta_and_linear_above()
    {
        using var scope = NewDisposeScope();
        var (x, y) = (T(1, 2, 3), T(1.5, 2, 1));
        // delta = 1.5: 0.5 · 0.25 = 0.125; |d| = 2 gives delta (|d| - delta / 2) = 1.5 · 1.25 = 1.875.
        AssertValues([0.125, 0, 1.875], F.huber_loss(x, y, Reduction.None, delta: 1.5));
        AssertScalar(2.0, F.huber_loss(x, y, Reduction.Sum, delta: 1.5));
        AssertScalar(2.0 / 3, F.huber_loss(x, y, delta: 1.5));
    }

    // Cross entropy on logits row 0 = [0, 0, 0] (p = 1/3 each) and row 1 = [0, ln 2, ln 5]
    // (p = [1/8, 2/8, 5/8]); targets [0, 2]. Per row: -log p = ln 3, and ln(8/5) = ln 1.6.
    private static Tensor Logits() => T2(new[,] { { 0, 0, 0 }, { 0, Ln2, Ln5 } });

    private static Tensor Targets(params long[] classes) => tensor(classes, [classes.Length]);

    [Fact]
    public void Cross_entropy_with_class_indices()
    {
        using var scope = NewDisposeScope();
        AssertValues([Ln3, Math.Log(1.6)], F.cross_entropy(Logits(), Targets(0, 2), reduction: Reduction.None));
        AssertScalar(Ln3 + Math.Log(1.6), F.cross_entropy(Logits(), Targets(0, 2), reduction: Reduction.Sum));
        AssertScalar((Ln3 + Math.Log(1.6)) / 2, F.cross_entropy(Logits(), Targets(0, 2)));
    }

    [Fact]
    public void Cross_entropy_with_label_smoothing()
    {
        using var scope = NewDisposeScope();
        // loss = (1 - ε)(-log p_target) + ε / C · Σ_c (-log p_c), ε = 0.1, C = 3.
        // Row 0: 0.9 ln 3 + (0.1 / 3) · 3 ln 3 = ln 3.
        // Row 1: 0.9 ln 1.6 + (0.1 / 3) (ln 8 + ln 4 + ln 1.6).
        var row0 = Ln3;
        var row1 = 0.9 * Math.Log(1.6) + 0.1 / 3 * (Math.Log(8) + Math.Log(4) + Math.Log(1.6));
        AssertValues([row0, row1], F.cross_entropy(Logits(), Targets(0, 2), reduction: Reduction.None, label_smoothing: 0.1));
        AssertScalar((row0 + row1) / 2, F.cross_entropy(Logits(), Targets(0, 2), label_smoothing: 0.1));
    }

    [Fact]
    public void Cross_entropy_with_class_weights_averages_over_the_weights_of_the_targets()
    {
        using var scope = NewDisposeScope();
        var weight = T(0.5, 1, 2);
        // Row 0 (class 0) weighs 0.5, row 1 (class 2) weighs 2; the mean divides by 0.5 + 2.
        AssertValues([0.5 * Ln3, 2 * Math.Log(1.6)], F.cross_entropy(Logits(), Targets(0, 2), weight, reduction: Reduction.None));
        AssertScalar((0.5 * Ln3 + 2 * Math.Log(1.6)) / 2.5, F.cross_entropy(Logits(), Targets(0, 2), weight));
    }

    [Fact]
    public void Cross_entropy_with_weights_and_label_smoothing_follows_pytorch()
    {
        using var scope = NewDisposeScope();
        var weight = T(0.5, 1, 2);
        // PyTorch: (1 - ε) · nll (weighted mean) + ε / C · Σ_i Σ_c w_c (-log p_ic) / Σ_i w_{target_i}.
        var nll = (0.5 * Ln3 + 2 * Math.Log(1.6)) / 2.5;
        var smooth0 = (0.5 + 1 + 2) * Ln3;
        var smooth1 = 0.5 * Math.Log(8) + 1 * Math.Log(4) + 2 * Math.Log(1.6);
        var expected = 0.9 * nll + 0.1 / 3 * (smooth0 + smooth1) / 2.5;
        AssertScalar(expected, F.cross_entropy(Logits(), Targets(0, 2), weight, label_smoothing: 0.1));
    }

    [Fact]
    public void Cross_entropy_ignore_index_drops_rows_from_the_loss_and_the_mean()
    {
        using var scope = NewDisposeScope();
        var logits = T2(new[,] { { 0, 0, 0 }, { 0, Ln2, Ln5 }, { 5, -1, 2 } });
        var targets = Targets(0, 2, -1);
        AssertValues([Ln3, Math.Log(1.6), 0], F.cross_entropy(logits, targets, ignore_index: -1, reduction: Reduction.None));
        AssertScalar((Ln3 + Math.Log(1.6)) / 2, F.cross_entropy(logits, targets, ignore_index: -1));
        // With label smoothing the ignored row contributes nothing either (row values as above).
        var row1 = 0.9 * Math.Log(1.6) + 0.1 / 3 * (Math.Log(8) + Math.Log(4) + Math.Log(1.6));
        AssertScalar((Ln3 + row1) / 2, F.cross_entropy(logits, targets, ignore_index: -1, label_smoothing: 0.1));
    }

    [Fact]
    public void Cross_entropy_with_probability_targets()
    {
        using var scope = NewDisposeScope();
        // Row 0: target [0.5, 0.5, 0] gives 0.5 ln 3 + 0.5 ln 3 = ln 3.
        // Row 1: target [0, 0.2, 0.8] gives 0.2 ln 4 + 0.8 ln 1.6.
        var targets = T2(new[,] { { 0.5, 0.5, 0 }, { 0, 0.2, 0.8 } });
        var row1 = 0.2 * Math.Log(4) + 0.8 * Math.Log(1.6);
        AssertValues([Ln3, row1], F.cross_entropy(Logits(), targets, reduction: Reduction.None));
        AssertScalar((Ln3 + row1) / 2, F.cross_entropy(Logits(), targets));
        // Label smoothing mixes the target with the uniform distribution: t' = 0.9 t + 0.1 / 3.
        var smoothed1 = (0.9 * 0 + 0.1 / 3) * Math.Log(8) + (0.9 * 0.2 + 0.1 / 3) * Math.Log(4) + (0.9 * 0.8 + 0.1 / 3) * Math.Log(1.6);
        AssertScalar(Ln3 + smoothed1, F.cross_entropy(Logits(), targets, reduction: Reduction.Sum, label_smoothing: 0.1));
    }

    [Fact]
    public void Nll_loss_with_weights_and_ignore_index()
    {
        using var scope = NewDisposeScope();
        var logProbabilities = T2(new[,] { { -1, -2, -3 }, { -0.5, -1.5, -2.5 }, { -4, -5, -6 } });
        var weight = T(1, 2, 3);
        var targets = Targets(2, 0, 1);
        // Picked: 3 · 3 = 9 (class 2), 1 · 0.5 = 0.5 (class 0), 2 · 5 = 10 (class 1).
        AssertValues([9, 0.5, 10], F.nll_loss(logProbabilities, targets, weight, reduction: Reduction.None));
        AssertScalar(19.5, F.nll_loss(logProbabilities, targets, weight, reduction: Reduction.Sum));
        AssertScalar(19.5 / 6, F.nll_loss(logProbabilities, targets, weight));
        // Ignoring class 1 drops the third row from the sum and its weight from the mean.
        AssertScalar(9.5 / 4, F.nll_loss(logProbabilities, targets, weight, ignore_index: 1));
    }

    [Fact]
    public void Binary_cross_entropy_with_logits_weight_and_pos_weight()
    {
        using var scope = NewDisposeScope();
        // σ(0) = 1/2, σ(ln 3) = 3/4, σ(-ln 3) = 1/4; loss = -w [pw · y log σ(x) + (1 - y) log(1 - σ(x))].
        var logits = T(0, Ln3, -Ln3);
        var targets = T(1, 0, 1);
        AssertValues([Ln2, Math.Log(4), Math.Log(4)], F.binary_cross_entropy_with_logits(logits, targets, reduction: Reduction.None));
        var weight = T(1, 2, 0.5);
        var posWeight = T(2, 2, 2);
        // [1 · 2 ln 2, 2 · ln 4, 0.5 · 2 ln 4] = [2 ln 2, 4 ln 2, 2 ln 2]: sum 8 ln 2.
        AssertValues([2 * Ln2, 4 * Ln2, 2 * Ln2], F.binary_cross_entropy_with_logits(logits, targets, weight, Reduction.None, posWeight));
        AssertScalar(8 * Ln2, F.binary_cross_entropy_with_logits(logits, targets, weight, Reduction.Sum, posWeight));
        AssertScalar(8 * Ln2 / 3, F.binary_cross_entropy_with_logits(logits, targets, weight, Reduction.Mean, posWeight));
        // A soft target 0.25 at x = 0 with pos_weight 2: -(2 · 0.25 ln ½ + 0.75 ln ½) = 1.25 ln 2.
        AssertScalar(1.25 * Ln2, F.binary_cross_entropy_with_logits(T(0), T(0.25), pos_weight: T(2)));
    }

    [Fact]
    public void Binary_cross_entropy_on_probabilities()
    {
        using var scope = NewDisposeScope();
        // p = [0.5, 0.8, 0.1], y = [1, 0, 0]: -ln 0.5 = ln 2, -ln 0.2 = ln 5, -ln 0.9.
        var (p, y) = (T(0.5, 0.8, 0.1), T(1, 0, 0));
        AssertValues([Ln2, Ln5, -Math.Log(0.9)], F.binary_cross_entropy(p, y, reduction: Reduction.None));
        AssertScalar((Ln2 + Ln5 - Math.Log(0.9)) / 3, F.binary_cross_entropy(p, y));
        AssertScalar(2 * Ln2 + Ln5, F.binary_cross_entropy(p, y, T(2, 1, 0), Reduction.Sum));
    }

    [Fact]
    public void Kl_div_with_every_reduction_and_log_target()
    {
        using var scope = NewDisposeScope();
        // input = log q with q = [[0.25, 0.75], [0.5, 0.5]]; target p = [[0.5, 0.5], [0.1, 0.9]].
        // Pointwise p (ln p - ln q): [0.5 ln 2, 0.5 ln(2/3)], [0.1 ln 0.2, 0.9 ln 1.8].
        var q = T2(new[,] { { 0.25, 0.75 }, { 0.5, 0.5 } });
        var p = T2(new[,] { { 0.5, 0.5 }, { 0.1, 0.9 } });
        var logQ = q.log();
        double[] pointwise = [0.5 * Ln2, 0.5 * Math.Log(2.0 / 3), 0.1 * Math.Log(0.2), 0.9 * Math.Log(1.8)];
        var sum = pointwise.Sum();
        AssertValues(pointwise, F.kl_div(logQ, p, Reduction.None));
        AssertScalar(sum, F.kl_div(logQ, p, Reduction.Sum));
        AssertScalar(sum / 4, F.kl_div(logQ, p, Reduction.Mean));
        AssertScalar(sum / 2, F.kl_div(logQ, p, Reduction.BatchMean));
        AssertScalar(sum / 2, F.kl_div(logQ, p.log(), Reduction.BatchMean, log_target: true));
    }

    [Fact]
    public void Batchmean_is_rejected_by_losses_other_than_kl_div()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => F.mse_loss(T(1), T(2), Reduction.BatchMean));
        Assert.Contains("mse_loss", error.Message);
    }
}
