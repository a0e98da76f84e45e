using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>The dense task kinds: outputs checked against [k, H, W] / [c, H, W] / [T, k] with both shapes named, targets typed from the pipeline.</summary>
public sealed class DenseTaskTests
{
    [Fact]
    public void Targets_take_h_w_and_t_from_the_pipeline()
    {
        var model = TestCompiler.Model("""
            model M
            input image: float[1, 8, 6]
            input words: long[12]
            task mask: pixel_classes(3) = image -> conv2d(3, 1)
            task depth: pixel_regression(2) = image -> conv2d(2, 3, padding: 1)
            task tags: token_classes(5) = words -> embedding(vocab: 50, dim: 4) -> gru(5)
            """);

        Assert.Equal(new TensorType(DType.Long, Shape.Of(8, 6)), model.Tasks[0].Target);
        Assert.Equal(new TensorType(DType.Float, Shape.Of(2, 8, 6)), model.Tasks[1].Target);
        Assert.Equal(new TensorType(DType.Long, Shape.Of(12)), model.Tasks[2].Target);
        Assert.Equal(["miou", "accuracy"], model.Tasks[0].Metrics);
        Assert.Equal("l1", model.Tasks[1].Loss.Name);
        Assert.Equal(["accuracy"], model.Tasks[2].Metrics);
    }

    [Theory]
    [InlineData("task s: pixel_classes(3) = image -> flatten -> linear(3)", "3:28-3:57", "task 's' is pixel_classes(3), so its output must be [3, H, W]; it is float[3]", "conv2d(3, kernel: 1)")]
    [InlineData("task s: pixel_classes(3) = image -> conv2d(4, 1)", "3:28-3:49", "task 's' is pixel_classes(3), so its output must be [3, H, W]; it is float[4, 8, 8]", "conv2d(3, kernel: 1)")]
    [InlineData("task s: pixel_regression(1) = image -> conv2d(2, 1)", "3:31-3:52", "task 's' is pixel_regression(1), so its output must be [1, H, W]; it is float[2, 8, 8]", "conv2d(1, kernel: 1)")]
    [InlineData("task s: token_classes(3) = image -> conv2d(3, 1)", "3:28-3:49", "task 's' is token_classes(3), so its output must be [T, 3]; it is float[3, 8, 8]", "linear(3)")]
    public void An_output_of_the_wrong_shape_names_both_shapes(string task, string span, string message, string fix)
    {
        var diagnostic = TestCompiler.Single($"""
            model M
            input image: float[1, 8, 8]
            {task}
            """);

        Assert.Equal("MTL0205", diagnostic.Id);
        Assert.Equal(span, diagnostic.Span.ToString());
        Assert.Equal(message, diagnostic.Message);
        Assert.Contains(fix, diagnostic.Fix);
    }

    [Theory]
    [InlineData("task n: pixel_regression(1) = image -> conv2d(1, 1) { loss cosine }", "cosine compares vectors, so it needs at least 2 values per pixel, not 1")]
    [InlineData("task n: pixel_regression(1) = image -> conv2d(1, 1) { metrics mean_angle }", "mean_angle compares vectors, so it needs at least 2 values per pixel, not 1")]
    public void Vector_losses_and_metrics_need_two_values_per_pixel(string task, string message)
    {
        var diagnostic = TestCompiler.Single($"""
            model M
            input image: float[1, 8, 8]
            {task}
            """);

        Assert.Equal("MTL0361", diagnostic.Id);
        Assert.Equal($"task 'n' is pixel_regression(1): {message}", diagnostic.Message);
    }

    [Theory]
    [InlineData("classes(3)", "miou")]
    [InlineData("pixel_classes(3)", "mae")]
    [InlineData("token_classes(3)", "miou")]
    public void Metrics_fit_only_their_kinds(string kind, string metric)
    {
        var shape = kind.StartsWith("token", StringComparison.Ordinal) ? "image -> embedding(vocab: 5, dim: 3)" : kind.StartsWith("pixel", StringComparison.Ordinal) ? "image -> conv2d(3, 1)" : "image -> flatten -> linear(3)";
        var input = kind.StartsWith("token", StringComparison.Ordinal) ? "long[6]" : "float[1, 4, 4]";
        var diagnostic = TestCompiler.Single($$"""
            model M
            input image: {{input}}
            task t: {{kind}} = {{shape}} { metrics {{metric}} }
            """);

        Assert.Equal("MTL0307", diagnostic.Id);
    }

    [Fact]
    public void Scale_invariant_log_lambda_is_in_zero_one()
    {
        var diagnostic = TestCompiler.Single("""
            model M
            input image: float[1, 8, 8]
            task d: pixel_regression(1) = image -> conv2d(1, 1) -> softplus { loss scale_invariant_log(lambda: 1.5) }
            """);

        Assert.Contains("lambda", diagnostic.Message);
        Assert.Contains("[0, 1]", diagnostic.Message);
    }
}
