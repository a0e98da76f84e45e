using Mtl.Training;
using Xunit;
using Xunit.Abstractions;

namespace Mtl.Generator.Tests;

/// <summary>
/// A tiny dense model from a .mtl, end to end through its generated classes: examples with flat
/// per-pixel targets (some pixels unlabelled or invalid), the generated dataset, trainer, metrics
/// and predictions. The pixel mask is the sign of the input, which a 1×1 convolution can learn.
/// </summary>
public sealed class DenseTrainingTests(ITestOutputHelper output)
{
    private const string Source = """
        model Blobs
        input image: float[1, 8, 8]
        shared features = image -> conv2d(8, 3, padding: 1) -> relu
        task mask: pixel_classes(2) = features -> conv2d(2, 1) {
          metrics miou, accuracy
        }
        task size: pixel_regression(1) = features -> conv2d(1, 1) {
          metrics abs_err
        }
        optimizer adam(lr: 0.01)
        """;

    private static readonly Lazy<GeneratedAssembly> Generated = new(() => GeneratedAssembly.Compile(Source));

    /// <summary>Examples with a mask (1 where the pixel is positive; the first row unlabelled) and |pixel| (the last column invalid).</summary>
    private static Array Examples(GeneratedAssembly generated, int count)
    {
        var random = new Random(3);
        var type = generated.Type("BlobsExample");
        var examples = Array.CreateInstance(type, count);
        for (var e = 0; e < count; e++)
        {
            var image = new float[64];
            var mask = new int[64];
            var size = new float[64];
            for (var p = 0; p < 64; p++)
            {
                image[p] = (float)(random.NextDouble() * 2 - 1);
                mask[p] = p < 8 ? -1 : image[p] > 0 ? 1 : 0;
                size[p] = p % 8 == 7 ? float.NaN : Math.Abs(image[p]);
            }
            var example = Activator.CreateInstance(type)!;
            type.GetProperty("Image")!.SetValue(example, image);
            type.GetProperty("Mask")!.SetValue(example, mask);
            type.GetProperty("Size")!.SetValue(example, size);
            examples.SetValue(example, e);
        }
        return examples;
    }

    [Fact]
    public void A_tiny_segmentation_model_trains_from_examples_and_its_loss_falls()
    {
        var generated = Generated.Value;
        var examples = Examples(generated, 64);
        var datasetType = generated.Type("BlobsDataset");
        using var data = (IDisposable)datasetType.GetMethods().Single(m => m.Name == "From" && m.GetParameters().Length == 1 && m.GetParameters()[0].ParameterType.IsGenericType).Invoke(null, [examples])!;
        var trainerType = generated.Type("BlobsTrainer");
        var defaults = (TrainerOptions)trainerType.GetMethod("DefaultOptions")!.Invoke(null, null)!;
        using var trainer = (IDisposable)generated.Create("BlobsTrainer", defaults with { Epochs = 30, BatchSize = 16, EarlyStop = null });

        var before = GeneratedAssembly.Call(trainer, "Evaluate", data)!;
        var history = (IReadOnlyList<EpochRecord>)GeneratedAssembly.Call(trainer, "Fit", data, null)!;
        var after = GeneratedAssembly.Call(trainer, "Evaluate", data)!;

        Assert.Equal(30, history.Count);
        var lossBefore = (double)GeneratedAssembly.Get(before, "Loss")!;
        var lossAfter = (double)GeneratedAssembly.Get(after, "Loss")!;
        Assert.True(lossAfter < 0.5 * lossBefore, $"the loss went from {lossBefore} to {lossAfter}");
        var mask = GeneratedAssembly.Get(after, "Mask")!;
        var miou = (double)GeneratedAssembly.Get(mask, "Miou")!;
        var accuracy = (double)GeneratedAssembly.Get(mask, "Accuracy")!;
        output.WriteLine($"loss {lossBefore:F4} -> {lossAfter:F4}, mIoU {miou:F4}, pixel accuracy {accuracy:F4}");
        Assert.True(miou > 0.8, $"mIoU {miou}");
        Assert.True(accuracy > 0.9, $"pixel accuracy {accuracy}");
        Assert.True(miou <= accuracy, "with two classes mIoU is at most the pixel accuracy");
        var absErr = (double)GeneratedAssembly.Get(GeneratedAssembly.Get(after, "Size")!, "AbsErr")!;
        Assert.True(absErr < (double)GeneratedAssembly.Get(GeneratedAssembly.Get(before, "Size")!, "AbsErr")!, "abs_err falls");

        // Predictions: one class per pixel, 64 in row-major order, matching the sign of the input on most pixels.
        var predictions = (System.Collections.IEnumerable)GeneratedAssembly.Call(trainer, "Predict", examples)!;
        var first = predictions.Cast<object>().First();
        var classes = (int[])GeneratedAssembly.Get(first, "Mask")!;
        var values = (float[])GeneratedAssembly.Get(first, "Size")!;
        Assert.Equal(64, classes.Length);
        Assert.Equal(64, values.Length);
        var image = (float[])examples.GetValue(0)!.GetType().GetProperty("Image")!.GetValue(examples.GetValue(0))!;
        Assert.True(Enumerable.Range(0, 64).Count(p => classes[p] == (image[p] > 0 ? 1 : 0)) >= 56, "the predicted mask follows the input's sign");
    }

    [Fact]
    public void A_target_of_the_wrong_length_names_the_task_row_and_shape()
    {
        var generated = Generated.Value;
        var examples = Examples(generated, 2);
        var second = examples.GetValue(1)!;
        second.GetType().GetProperty("Mask")!.SetValue(second, new int[63]);
        var datasetType = generated.Type("BlobsDataset");
        var from = datasetType.GetMethods().Single(m => m.Name == "From" && m.GetParameters().Length == 1 && m.GetParameters()[0].ParameterType.IsGenericType);
        var error = Assert.Throws<System.Reflection.TargetInvocationException>(() => from.Invoke(null, [examples])).InnerException!;
        Assert.IsType<InvalidDataException>(error);
        Assert.Equal("task 'mask', row 1: expected 64 classes ([8, 8]), found 63", error.Message);
    }
}
