using Mtl.Training.Metrics;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// Macro F1's counting where its other tests are symmetric: true negatives of a multilabel label
/// count for nothing, a false positive raises the denominator, a one-label task is averaged over
/// that one label, and a metric that has seen no labelled element is NaN. Values by hand.
/// </summary>
public sealed class MacroF1CountingTests
{
    [Fact]
    public void Multilabel_true_negatives_count_for_nothing()
    {
        using var scope = NewDisposeScope();
        // label 0: (p 1, t 1), (p 0, t 0), (p 0, t 0) → tp 1 → 1; label 1: three true positives → 1.
        // Counting a true negative as a false positive would give label 0 2·1 / (2 + 2) = 1/2.
        var metric = new MacroF1(TaskKind.Multilabel, 2);
        metric.Update(tensor(new double[,] { { 1, 1 }, { -1, 1 }, { -1, 1 } }), tensor(new double[,] { { 1, 1 }, { 0, 1 }, { 0, 1 } }));
        Assert.Equal(1.0, metric.Compute(), 12);
    }

    [Fact]
    public void A_multilabel_false_positive_adds_to_the_denominator_of_a_one_label_task()
    {
        using var scope = NewDisposeScope();
        // one label: (p 1, t 1), (p 1, t 0) → tp 1, fp 1 → 2 / (2 + 1) = 2/3, the mean over that one label
        var metric = new MacroF1(TaskKind.Multilabel, 1);
        metric.Update(tensor(new double[,] { { 1 }, { 2 } }), tensor(new double[,] { { 1 }, { 0 } }));
        Assert.Equal(2.0 / 3, metric.Compute(), 12);
    }

    [Fact]
    public void Multilabel_with_nothing_labelled_is_NaN()
    {
        using var scope = NewDisposeScope();
        var metric = new MacroF1(TaskKind.Multilabel, 2);
        Assert.True(double.IsNaN(metric.Compute()));
        metric.Update(tensor(new double[,] { { 1, -1 } }), tensor(new double[,] { { double.NaN, double.NaN } }));
        Assert.True(double.IsNaN(metric.Compute()));
        metric.Update(tensor(new double[,] { { -1, -1 } }), tensor(new double[,] { { 0, double.NaN } }));
        // one labelled element, a true negative: label 0 has no positive → 0, label 1 nothing → 0
        Assert.Equal(0.0, metric.Compute(), 12);
        metric.Reset();
        Assert.True(double.IsNaN(metric.Compute()));
    }
}
