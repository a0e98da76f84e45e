using Mtl.Catalog;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Mtl.Training.Metrics;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// A task's <c>ignore</c> value other than -1 (Cityscapes' 255): the loss, the metrics, the data
/// checks and the missing labels all skip that value, by hand on small tensors.
/// </summary>
public sealed class IgnoreIndexTests
{
    private static readonly double Ln2 = Math.Log(2), Ln3 = Math.Log(3);

    private static TaskSpec Segmentation(long ignore = 255) => new("seg", TaskKind.PixelClasses, 2) { IgnoreIndex = ignore };

    [Fact]
    public void The_pixel_loss_skips_the_ignore_value()
    {
        using var scope = NewDisposeScope();
        // [N=1, k=2, H=1, W=3]: logits (0, 0), (ln 3, 0), (0, ln 3); targets 1, 255 (unlabelled), 1.
        var output = tensor(new[] { 0, Ln3, 0, 0, 0, Ln3 }, [1, 2, 1, 3]);
        var target = tensor(new long[] { 1, 255, 1 }, [1, 1, 3]);
        using var loss = new TaskLoss(Segmentation());

        // −log ½ and −log ¾ over the 2 labelled pixels.
        Assert.Equal((Ln2 + Math.Log(4.0 / 3)) / 2, loss.Compute(output, target)!.item<double>(), 12);
        Assert.Equal(2, loss.Denominator(target));
        Assert.Null(loss.Compute(output, tensor(new long[] { 255, 255, 255 }, [1, 1, 3])));
    }

    [Fact]
    public void The_token_and_class_losses_skip_it_too()
    {
        using var scope = NewDisposeScope();
        // token_classes(2): [N=1, T=3, k=2], tokens 0, padding 7, 1; logits (ln 3, 0), (5, 5), (0, 0).
        var tokens = new TaskSpec("tags", TaskKind.TokenClasses, 2) { IgnoreIndex = 7 };
        using var tokenLoss = new TaskLoss(tokens);
        var tokenValue = tokenLoss.Compute(tensor(new[] { Ln3, 0, 5, 5, 0, 0 }, [1, 3, 2]), tensor(new long[] { 0, 7, 1 }, [1, 3]))!.item<double>();
        Assert.Equal((Math.Log(4.0 / 3) + Ln2) / 2, tokenValue, 12);

        // classes(2): a missing label is the ignore value -100 (PyTorch's default ignore_index).
        var classes = new TaskSpec("kind", TaskKind.Classes, 2) { IgnoreIndex = -100 };
        using var classLoss = new TaskLoss(classes);
        var classValue = classLoss.Compute(tensor(new[] { 0.0, 0.0, Ln3, 0.0 }, [2, 2]), tensor(new long[] { -100, 0 }, [2]))!.item<double>();
        Assert.Equal(Math.Log(4.0 / 3), classValue, 12);
    }

    // Batch 1 (2×2): predicted 0, 0, 1, 1 against 0, 1, 1, 255. Batch 2 (1×2): predicted 0, 1 against 0, 0.
    // Labelled (target, predicted): (0,0) (1,0) (1,1) (0,0) (0,1).
    private static (Tensor, Tensor)[] Batches() =>
    [
        (PixelLogits(3, 2, 2, 0, 0, 1, 1), tensor(new long[] { 0, 1, 1, 255 }, [1, 2, 2])),
        (PixelLogits(3, 1, 2, 0, 1), tensor(new long[] { 0, 0 }, [1, 1, 2])),
    ];

    [Fact]
    public void Miou_and_pixel_accuracy_skip_the_ignore_value()
    {
        using var scope = NewDisposeScope();
        // Class 0: TP 2 of 3 targets and 3 predictions, IoU 2/4; class 1: TP 1 of 2 and 2, IoU 1/3; class 2 absent.
        Assert.Equal((0.5 + 1.0 / 3) / 2, Run(Metric.Create("miou", TaskKind.PixelClasses, 3, 255), Batches()), 12);
        // Right: 3 of the 5 labelled pixels.
        Assert.Equal(0.6, Run(Metric.Create("accuracy", TaskKind.PixelClasses, 3, 255), Batches()), 12);
    }

    [Fact]
    public void With_another_ignore_value_minus_one_is_no_longer_skipped()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => Metric.Create("miou", TaskKind.PixelClasses, 3, 255).Update(PixelLogits(3, 1, 2, 0, 1), tensor(new long[] { 0, -1 }, [1, 1, 2])));
        Assert.Equal("miou: target -1 at row 0, position 1 is not a class in [0, 3) (use 255 for an unlabelled pixel)", error.Message);

        var data = Assert.Throws<InvalidDataException>(() => DataValidation.RequireTargets(Segmentation(), tensor(new long[] { 0, -1, 255 }, [1, 1, 3])));
        Assert.Equal("task 'seg': row 0 holds class -1, outside [0, 2) (255 marks an unlabelled pixel)", data.Message);
        DataValidation.RequireTargets(Segmentation(), tensor(new long[] { 0, 255, 1 }, [1, 1, 3]));
    }

    [Fact]
    public void A_missing_label_becomes_the_ignore_value()
    {
        using var scope = NewDisposeScope();
        var pixels = new TargetColumn(Segmentation(), 2, [1, 2]);
        pixels.Set(0, [1, 255]);
        pixels.Set(1, (int[]?)null);
        Assert.Equal([1L, 255, 255, 255], pixels.ToTensor().data<long>().ToArray());

        var classes = new TargetColumn(new TaskSpec("kind", TaskKind.Classes, 3) { IgnoreIndex = 99 }, 2);
        classes.Set(0, (int?)2);
        classes.Set(1, (int?)null);
        Assert.Equal([2L, 99], classes.ToTensor().data<long>().ToArray());
        Assert.Throws<InvalidDataException>(() => pixels.Set(0, [1, -1]));
    }

    [Theory]
    [InlineData(TaskKind.PixelClasses, 1L, "task 't': ignore 1 is a class (classes are 0 to 1): use a value outside [0, 2)")]
    [InlineData(TaskKind.Regression, 255L, "task 't': an ignore value is set, but a regression(2) task has no class targets")]
    public void An_ignore_value_that_cannot_work_names_the_task(TaskKind kind, long ignore, string message)
    {
        var task = new TaskSpec("t", kind, 2) { IgnoreIndex = ignore };

        Assert.Equal(message, Assert.Throws<ArgumentException>(() => TaskLoss.Check(task)).Message);
    }

    private static Tensor PixelLogits(int k, int h, int w, params int[] predicted)
    {
        var values = new double[k * h * w];
        for (var p = 0; p < predicted.Length; p++) values[predicted[p] * h * w + p] = 1;
        return tensor(values, [1, k, h, w]);
    }

    private static double Run(Metric metric, params (Tensor outputs, Tensor targets)[] batches)
    {
        foreach (var (outputs, targets) in batches) metric.Update(outputs, targets);
        return metric.Compute();
    }
}
