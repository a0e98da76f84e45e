using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Training.Metrics;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// The dense kinds' metrics against hand computation on small tensors, with unlabelled pixels,
/// invalid values and padding, accumulated over batches as over a validation set.
/// </summary>
public sealed class DenseMetricTests
{
    /// <summary>Logits [1, k, H, W] with 1 at each pixel's predicted class (pixels row-major) and 0 elsewhere.</summary>
    private static Tensor PixelLogits(int k, int h, int w, params int[] predicted)
    {
        var values = new double[k * h * w];
        for (var p = 0; p < predicted.Length; p++) values[predicted[p] * h * w + p] = 1;
        return tensor(values, [1, k, h, w]);
    }

    /// <summary>Logits [N, T, k] with 1 at each token's predicted class.</summary>
    private static Tensor TokenLogits(int k, int[][] predicted)
    {
        var t = predicted[0].Length;
        var values = new double[predicted.Length * t * k];
        for (var e = 0; e < predicted.Length; e++)
        {
            for (var i = 0; i < t; i++) values[(e * t + i) * k + predicted[e][i]] = 1;
        }
        return tensor(values, [predicted.Length, t, k]);
    }

    private static Tensor Tokens(long[][] classes) => tensor(classes.SelectMany(c => c).ToArray(), [classes.Length, classes[0].Length]);

    private static double Run(Metric metric, params (Tensor outputs, Tensor targets)[] batches)
    {
        foreach (var (outputs, targets) in batches) metric.Update(outputs, targets);
        return metric.Compute();
    }

    // Two batches of pixel_classes(3). Batch 1 (2×2): predicted 0, 0, 1, 1 against 0, 1, 1, -1.
    // Batch 2 (1×2): predicted 0, 1 against 0, 0. Labelled (target, predicted): (0,0) (1,0) (1,1) (0,0) (0,1).
    private static (Tensor, Tensor)[] Segmentation() =>
    [
        (PixelLogits(3, 2, 2, 0, 0, 1, 1), tensor(new long[] { 0, 1, 1, -1 }, [1, 2, 2])),
        (PixelLogits(3, 1, 2, 0, 1), tensor(new long[] { 0, 0 }, [1, 1, 2])),
    ];

    [Fact]
    public void Miou_comes_from_one_confusion_matrix_over_the_set_leaving_out_absent_classes()
    {
        using var scope = NewDisposeScope();
        // Class 0: TP 2, 3 targets, 3 predictions: IoU 2/4. Class 1: TP 1, 2 and 2: IoU 1/3.
        // Class 2 is in neither predictions nor targets: left out. The per-batch mean would be (1/2 + 1/4)/2.
        Assert.Equal((0.5 + 1.0 / 3) / 2, Run(Metric.Create("miou", TaskKind.PixelClasses, 3), Segmentation()), 12);
    }

    [Fact]
    public void Miou_counts_a_class_that_is_only_predicted_as_zero()
    {
        using var scope = NewDisposeScope();
        // Predicted 2, 0 against 0, 0: class 0 IoU 1/2, class 2 (predicted, never a target) IoU 0.
        Assert.Equal(0.25, Run(new MeanIou(TaskKind.PixelClasses, 3), (PixelLogits(3, 1, 2, 2, 0), tensor(new long[] { 0, 0 }, [1, 1, 2]))), 12);
        var metric = new MeanIou(TaskKind.PixelClasses, 3);
        Assert.True(double.IsNaN(Run(metric, (PixelLogits(3, 1, 2, 2, 0), tensor(new long[] { -1, -1 }, [1, 1, 2])))));
    }

    [Fact]
    public void Pixel_accuracy_counts_labelled_pixels()
    {
        using var scope = NewDisposeScope();
        // Right: (0,0), (1,1), (0,0) of the 5 labelled pixels.
        Assert.Equal(0.6, Run(Metric.Create("accuracy", TaskKind.PixelClasses, 3), Segmentation()), 12);
    }

    [Fact]
    public void Absolute_and_relative_error_over_valid_pixels()
    {
        using var scope = NewDisposeScope();
        // Batch 1: predictions 2, 3, 6, 1 against 1, NaN, 4, 0.5; batch 2: 1 against 0.
        (Tensor, Tensor)[] Depth() =>
        [
            (tensor(new[] { 2.0, 3, 6, 1 }, [1, 1, 2, 2]), tensor(new[] { 1.0, double.NaN, 4, 0.5 }, [1, 1, 2, 2])),
            (tensor(new[] { 1.0 }, [1, 1, 1, 1]), tensor(new[] { 0.0 }, [1, 1, 1, 1])),
        ];
        // |errors| 1, 2, 0.5, 1 over 4 valid pixels.
        Assert.Equal(4.5 / 4, Run(Metric.Create("abs_err", TaskKind.PixelRegression, 1), Depth()), 12);
        // 1/1, 2/4, 0.5/0.5; the zero target has no relative error.
        Assert.Equal(2.5 / 3, Run(Metric.Create("rel_err", TaskKind.PixelRegression, 1), Depth()), 12);
    }

    [Fact]
    public void Mean_angle_in_degrees_over_valid_pixels()
    {
        using var scope = NewDisposeScope();
        // [1, 3, 1, 3]: (1,0,0) vs (0,1,0) is 90°, (1,1,0) vs (1,0,0) is 45°, the third target has a NaN.
        var outputs = tensor(new double[] { 1, 1, 5, 0, 1, 5, 0, 0, 5 }, [1, 3, 1, 3]);
        var targets = tensor(new double[] { 0, 1, double.NaN, 1, 0, 0, 0, 0, 1 }, [1, 3, 1, 3]);
        // A second batch: (2,0,0) vs (−1,0,0) is 180°.
        var opposite = (tensor(new double[] { 2, 0, 0 }, [1, 3, 1, 1]), tensor(new double[] { -1, 0, 0 }, [1, 3, 1, 1]));
        Assert.Equal((90 + 45 + 180) / 3.0, Run(Metric.Create("mean_angle", TaskKind.PixelRegression, 3), (outputs, targets), opposite), 9);
    }

    [Fact]
    public void Token_accuracy_ignores_padding()
    {
        using var scope = NewDisposeScope();
        var outputs = TokenLogits(3, [[0, 1, 2], [1, 1, 1]]);
        var targets = Tokens([[0, 2, -1], [1, -1, -1]]);
        // 0 = 0, 1 ≠ 2, 1 = 1: the three padding predictions do not count.
        Assert.Equal(2.0 / 3, Run(Metric.Create("accuracy", TaskKind.TokenClasses, 3), (outputs, targets)), 12);
    }

    [Fact]
    public void Entities_follow_seqeval_non_strict_rules()
    {
        // B-MISC I-MISC I-PER O I-MISC B-PER I-PER I-MISC with MISC = type 0 (B 1, I 2), PER = type 1 (B 3, I 4):
        // a type change ends an entity, an I after O or after another type starts one.
        var entities = EntityF1.Entities([1, 2, 4, 0, 2, 3, 4, 2]);
        Assert.Equal(new HashSet<(int, int, int)> { (0, 0, 1), (1, 2, 2), (0, 4, 4), (1, 5, 6), (0, 7, 7) }, entities);
        Assert.Empty(EntityF1.Entities([0, 0]));
    }

    [Fact]
    public void Entity_f1_is_micro_over_entities_and_ignores_padding()
    {
        using var scope = NewDisposeScope();
        // seqeval's README example (F1 0.5): MISC (3..5) vs predicted (2..5) is wrong, PER (0..1) right.
        // The second sentence is padded; the predictions at padding (B-MISC I-MISC B-MISC B-MISC) would add entities.
        var outputs = TokenLogits(5, [[0, 0, 1, 2, 2, 2, 0], [3, 4, 0, 1, 2, 1, 1]]);
        var targets = Tokens([[0, 0, 0, 1, 2, 2, 0], [3, 4, 0, -1, -1, -1, -1]]);
        var metric = Metric.Create("entity_f1", TaskKind.TokenClasses, 5);
        Assert.Equal(0.5, Run(metric, (outputs, targets)), 12);
        // A second batch: target I-MISC I-MISC after O is MISC (1..2), as is the predicted B-MISC I-MISC.
        // Now 2 of 3 predicted and 2 of 3 target entities match: F1 = 2/3.
        Assert.Equal(2.0 / 3, Run(metric, (TokenLogits(5, [[0, 1, 2, 0]]), Tokens([[0, 2, 2, 0]]))), 12);
        metric.Reset();
        Assert.True(double.IsNaN(metric.Compute()));
        // Tokens but no entity anywhere: seqeval's zero division gives 0.
        Assert.Equal(0.0, Run(metric, (TokenLogits(5, [[0, 0]]), Tokens([[0, 0]]))));
    }

    [Fact]
    public void Entity_f1_needs_bio_classes_and_dense_shapes_are_checked()
    {
        using var scope = NewDisposeScope();
        var even = Assert.Throws<ArgumentException>(() => Metric.Create("entity_f1", TaskKind.TokenClasses, 4));
        Assert.Contains("odd class count", even.Message);
        Assert.Throws<ArgumentException>(() => Metric.Create("miou", TaskKind.Classes, 3));
        var shape = Assert.Throws<ArgumentException>(() => Run(Metric.Create("miou", TaskKind.PixelClasses, 3), (PixelLogits(3, 2, 2, 0, 0, 0, 0), tensor(new long[] { 0, 0 }, [1, 1, 2]))));
        Assert.Contains("[1, 3, 2, 2]", shape.Message);
        Assert.Contains("[1, 1, 2]", shape.Message);
        var range = Assert.Throws<ArgumentException>(() => Run(Metric.Create("accuracy", TaskKind.PixelClasses, 3), (PixelLogits(3, 1, 2, 0, 0), tensor(new long[] { 0, 255 }, [1, 1, 2]))));
        Assert.Contains("row 0, position 1", range.Message);
        Assert.Contains("unlabelled pixel", range.Message);
    }
}
