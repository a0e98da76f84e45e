using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// The dense task kinds' losses (pixel and token cross entropy, masked l1, scale-invariant log,
/// cosine) against hand computation on tiny float64 tensors, with unlabelled pixels, invalid values
/// and padding; their gradients against central differences; shape errors naming both shapes.
/// </summary>
public sealed class DenseLossTests
{
    private static readonly double Ln2 = Math.Log(2), Ln3 = Math.Log(3);

    private static double Loss(TaskSpec task, Tensor output, Tensor target)
    {
        using var loss = new TaskLoss(task);
        return loss.Compute(output, target)!.item<double>();
    }

    private static Tensor T(double[] values, params long[] shape) => tensor(values, shape);

    private static Tensor L(long[] values, params long[] shape) => tensor(values, shape);

    [Fact]
    public void Pixel_cross_entropy_averages_over_labelled_pixels_only()
    {
        using var scope = NewDisposeScope();
        // [N=1, k=2, H=1, W=3]: pixel logits (0, 0), (ln 3, 0), (0, ln 3); targets 1, -1 (unlabelled), 1.
        var output = T([0, Ln3, 0, 0, 0, Ln3], 1, 2, 1, 3);
        var target = L([1, -1, 1], 1, 1, 3);
        // −log ½ and −log ¾, over the 2 labelled pixels.
        var task = new TaskSpec("seg", TaskKind.PixelClasses, 2);
        Assert.Equal((Ln2 + Math.Log(4.0 / 3)) / 2, Loss(task, output, target), 12);
        using var loss = new TaskLoss(task);
        Assert.Equal(2, loss.Denominator(target));
        Assert.Null(loss.Compute(output, L([-1, -1, -1], 1, 1, 3)));
    }

    [Fact]
    public void Pixel_cross_entropy_with_class_weights_is_the_weighted_mean_over_labelled_pixels()
    {
        using var scope = NewDisposeScope();
        // Pixels (0, 0) of class 1 and (0, ln 3) of class 0 cost ln 2 and ln 4; the middle one is unlabelled.
        var output = T([0, Ln3, 0, 0, 0, Ln3], 1, 2, 1, 3);
        var target = L([1, -1, 0], 1, 1, 3);
        var task = new TaskSpec("seg", TaskKind.PixelClasses, 2) { ClassWeights = [2.0, 0.5] };
        // (0.5·ln 2 + 2·ln 4) / (0.5 + 2) = 1.8 ln 2.
        Assert.Equal(1.8 * Ln2, Loss(task, output, target), 12);
        using var loss = new TaskLoss(task);
        Assert.Equal(2.5, loss.Denominator(target), 12);
    }

    [Fact]
    public void Token_cross_entropy_ignores_padding()
    {
        using var scope = NewDisposeScope();
        // [N=1, T=3, k=2]: token logits (0, 0), (ln 3, 0), (5, -5); targets 0, 0, -1 (padding).
        var output = T([0, 0, Ln3, 0, 5, -5], 1, 3, 2);
        var target = L([0, 0, -1], 1, 3);
        var task = new TaskSpec("ner", TaskKind.TokenClasses, 2);
        Assert.Equal((Ln2 + Math.Log(4.0 / 3)) / 2, Loss(task, output, target), 12);
        using var loss = new TaskLoss(task);
        Assert.Equal(2, loss.Denominator(target));
    }

    [Fact]
    public void L1_over_valid_pixels_skips_nan()
    {
        using var scope = NewDisposeScope();
        var task = new TaskSpec("depth", TaskKind.PixelRegression, 1) { Loss = LossKind.L1 };
        // |1 − 1.5| and |3 − 1|; the NaN pixel is invalid.
        Assert.Equal(1.25, Loss(task, T([1, 2, 3], 1, 1, 1, 3), T([1.5, double.NaN, 1], 1, 1, 1, 3)), 12);
        Assert.Equal(LossKind.L1, new TaskSpec("d", TaskKind.PixelRegression, 1).Loss);
    }

    [Fact]
    public void Scale_invariant_log_is_eigen_et_al_per_image_over_valid_pixels()
    {
        using var scope = NewDisposeScope();
        var e = Math.E;
        var h = Math.Exp(0.5);
        // Image 0: predictions 1, 1, 1 against 1, e, NaN: d = (0, −1), n = 2.
        // Image 1: predictions 2, 2, 2 against 2√e each: d = −½ each, n = 3.
        // Image 2: every target invalid: left out of the mean.
        var output = T([1, 1, 1, 2, 2, 2, 4, 4, 4], 3, 1, 1, 3);
        var target = T([1, e, double.NaN, 2 * h, 2 * h, 2 * h, double.NaN, double.NaN, double.NaN], 3, 1, 1, 3);
        // λ = ½: image 0 gives 1/2 − ½·1/4 = 0.375, image 1 gives 0.75/3 − ½·2.25/9 = 0.125.
        var task = new TaskSpec("depth", TaskKind.PixelRegression, 1) { Loss = LossKind.ScaleInvariantLog };
        Assert.Equal(0.5, task.ScaleInvariantLambda);
        Assert.Equal((0.375 + 0.125) / 2, Loss(task, output, target), 12);
        // λ = 1 is fully scale invariant: image 1 (a constant factor) costs nothing; image 0 1/2 − 1/4.
        Assert.Equal(0.25 / 2, Loss(task with { ScaleInvariantLambda = 1 }, output, target), 12);
        // λ = 0 is the mean squared log error: 1/2 and 1/4.
        Assert.Equal((0.5 + 0.25) / 2, Loss(task with { ScaleInvariantLambda = 0 }, output, target), 12);
        using var loss = new TaskLoss(task);
        Assert.Equal(2, loss.Denominator(target));
    }

    [Fact]
    public void Scale_invariant_log_refuses_a_valid_target_that_is_not_positive()
    {
        using var scope = NewDisposeScope();
        var task = new TaskSpec("depth", TaskKind.PixelRegression, 1) { Loss = LossKind.ScaleInvariantLog };
        var error = Assert.Throws<InvalidDataException>(() => Loss(task, T([1, 1], 1, 1, 1, 2), T([1, 0], 1, 1, 1, 2)));
        Assert.Contains("task 'depth'", error.Message);
        Assert.Contains("positive", error.Message);
    }

    [Fact]
    public void Cosine_is_one_minus_cos_per_valid_pixel()
    {
        using var scope = NewDisposeScope();
        // [N=1, c=2, H=1, W=4]: pixel vectors (1,0)·(0,1) → 1; (2,2)·(1,1) → 0; (1,0)·(−1,NaN) invalid; (1,1)·(1,0) → 1 − 1/√2.
        var output = T([1, 2, 1, 1, 0, 2, 0, 1], 1, 2, 1, 4);
        var target = T([0, 1, -1, 1, 1, 1, double.NaN, 0], 1, 2, 1, 4);
        var task = new TaskSpec("normals", TaskKind.PixelRegression, 2) { Loss = LossKind.Cosine };
        Assert.Equal((1 + 0 + 1 - 1 / Math.Sqrt(2)) / 3, Loss(task, output, target), 12);
        using var loss = new TaskLoss(task);
        Assert.Equal(3, loss.Denominator(target));
    }

    [Fact]
    public void Cosine_needs_vectors_and_entity_f1_an_odd_class_count()
    {
        var cosine = Assert.Throws<ArgumentException>(() => TaskLoss.Check(new TaskSpec("d", TaskKind.PixelRegression, 1) { Loss = LossKind.Cosine }));
        Assert.Contains("at least 2 values per pixel", cosine.Message);
        var f1 = Assert.Throws<ArgumentException>(() => TaskLoss.Check(new TaskSpec("ner", TaskKind.TokenClasses, 4) { Metrics = [MetricCatalog.EntityF1] }));
        Assert.Contains("odd class count", f1.Message);
        var lambda = Assert.Throws<ArgumentException>(() => TaskLoss.Check(new TaskSpec("d", TaskKind.PixelRegression, 1) { ScaleInvariantLambda = 0.3 }));
        Assert.Contains("lambda is set, but the loss is l1", lambda.Message);
        var range = Assert.Throws<ArgumentException>(() => TaskLoss.Check(new TaskSpec("d", TaskKind.PixelRegression, 1) { Loss = LossKind.ScaleInvariantLog, ScaleInvariantLambda = 1.5 }));
        Assert.Contains("lambda", range.Message);
    }

    [Fact]
    public void Shape_errors_name_the_task_and_both_shapes()
    {
        using var scope = NewDisposeScope();
        var pixels = Assert.Throws<InvalidDataException>(() => Loss(new TaskSpec("seg", TaskKind.PixelClasses, 2), zeros(new long[] { 1, 2, 4, 4 }, dtype: ScalarType.Float64), zeros(new long[] { 1, 8, 8 }, dtype: ScalarType.Int64)));
        Assert.Contains("task 'seg'", pixels.Message);
        Assert.Contains("[1, 2, 4, 4]", pixels.Message);
        Assert.Contains("[1, 8, 8]", pixels.Message);
        var tokens = Assert.Throws<InvalidDataException>(() => Loss(new TaskSpec("ner", TaskKind.TokenClasses, 3), zeros(new long[] { 2, 5, 3 }, dtype: ScalarType.Float64), zeros(new long[] { 2, 6 }, dtype: ScalarType.Int64)));
        Assert.Contains("[2, 5, 3]", tokens.Message);
        Assert.Contains("[2, 6]", tokens.Message);
        var values = Assert.Throws<InvalidDataException>(() => Loss(new TaskSpec("depth", TaskKind.PixelRegression, 1), zeros(new long[] { 1, 1, 4, 4 }, dtype: ScalarType.Float64), zeros(new long[] { 1, 1, 4, 5 }, dtype: ScalarType.Float64)));
        Assert.Contains("[1, 1, 4, 5]", values.Message);
    }

    // ---- gradients against central differences ----------------------------------------------------

    private static Tensor Leaf(Random random, double low, double high, params long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, (int)count).Select(_ => low + (high - low) * random.NextDouble()).ToArray();
        return tensor(values, shape).requires_grad_(true);
    }

    private static void Check(string label, TaskSpec task, Tensor output, Tensor target)
    {
        using var loss = new TaskLoss(task);
        GradCheck.Function(label, xs => loss.Compute(xs[0], target)!, [("output", output)]);
    }

    [Fact]
    public void Pixel_cross_entropy_gradient_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var random = new Random(11);
        Check("pixel cross entropy", new TaskSpec("seg", TaskKind.PixelClasses, 3), Leaf(random, -2, 2, 2, 3, 2, 2), L([0, 2, -1, 1, -1, -1, 2, 0], 2, 2, 2));
    }

    [Fact]
    public void Token_cross_entropy_gradient_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var random = new Random(12);
        Check("token cross entropy", new TaskSpec("ner", TaskKind.TokenClasses, 3), Leaf(random, -2, 2, 2, 3, 3), L([0, 2, -1, 1, -1, -1], 2, 3));
    }

    [Fact]
    public void Masked_l1_gradient_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        // Predictions in [2, 3] and targets in {0, 1}: no difference is near l1's kink.
        var target = T([0, double.NaN, 1, 1, 0, double.NaN, 0, 1], 2, 1, 2, 2);
        Check("masked l1", new TaskSpec("d", TaskKind.PixelRegression, 1), Leaf(new Random(13), 2, 3, 2, 1, 2, 2), target);
    }

    [Fact]
    public void Scale_invariant_log_gradient_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var target = T([1.5, double.NaN, 0.7, 2.0, 3.0, 0.4, double.NaN, 1.1], 2, 1, 2, 2);
        Check("scale-invariant log", new TaskSpec("d", TaskKind.PixelRegression, 1) { Loss = LossKind.ScaleInvariantLog }, Leaf(new Random(14), 0.5, 3, 2, 1, 2, 2), target);
    }

    [Fact]
    public void Cosine_gradient_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var target = T([0.3, -0.5, double.NaN, 0.8, 0.9, 0.1, 0.2, -0.6, 0.1, 0.7, 0.5, 0.0], 1, 3, 2, 2);
        Check("cosine", new TaskSpec("n", TaskKind.PixelRegression, 3) { Loss = LossKind.Cosine }, Leaf(new Random(15), -1, 1, 1, 3, 2, 2), target);
    }
}
