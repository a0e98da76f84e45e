using Mtl.Training;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// <c>pixel_classes(2, ignore: 255)</c> end to end through the generated classes: the examples'
/// 255 pixels pass the data checks and count in no metric, and a -1 is then an error naming 255.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class IgnoreValueTests
{
    private const string Source = """
        model Streets
        input image: float[1, 4, 4]
        task road: pixel_classes(2, ignore: 255) = image -> conv2d(2, 1) {
          metrics accuracy, miou
        }
        """;

    private static readonly Lazy<GeneratedAssembly> Generated = new(() => GeneratedAssembly.Compile(Source));

    /// <summary>Examples whose first row of pixels is unlabelled (255) and the rest 1 where the pixel is positive.</summary>
    private static Array Examples(int count, int unlabelled = 255)
    {
        var random = new Random(5);
        var type = Generated.Value.Type("StreetsExample");
        var examples = Array.CreateInstance(type, count);
        for (var e = 0; e < count; e++)
        {
            var image = Enumerable.Range(0, 16).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var road = Enumerable.Range(0, 16).Select(p => p < 4 ? unlabelled : image[p] > 0 ? 1 : 0).ToArray();
            var example = Activator.CreateInstance(type)!;
            type.GetProperty("Image")!.SetValue(example, image);
            type.GetProperty("Road")!.SetValue(example, road);
            examples.SetValue(example, e);
        }
        return examples;
    }

    private static System.Reflection.MethodInfo From() =>
        Generated.Value.Type("StreetsDataset").GetMethods().Single(m => m.Name == "From" && m.GetParameters().Length == 1 && m.GetParameters()[0].ParameterType.IsGenericType);

    [Fact]
    public void Pixel_accuracy_counts_the_labelled_pixels_only()
    {
        var examples = Examples(6);
        using var data = (IDisposable)From().Invoke(null, [examples])!;
        var defaults = (TrainerOptions)Generated.Value.Type("StreetsTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)!;
        using var trainer = (IDisposable)Generated.Value.Create("StreetsTrainer", defaults with { Seed = 3 });

        var accuracy = (double)GeneratedAssembly.Get(GeneratedAssembly.Get(GeneratedAssembly.Call(trainer, "Evaluate", data)!, "Road")!, "Accuracy")!;

        // By hand from the predictions: the 12 labelled pixels of each example, the 4 at 255 left out.
        var predictions = ((System.Collections.IEnumerable)GeneratedAssembly.Call(trainer, "Predict", examples)!).Cast<object>().ToList();
        var (right, labelled) = (0, 0);
        for (var e = 0; e < examples.Length; e++)
        {
            var truth = (int[])examples.GetValue(e)!.GetType().GetProperty("Road")!.GetValue(examples.GetValue(e))!;
            var predicted = (int[])GeneratedAssembly.Get(predictions[e], "Road")!;
            for (var p = 0; p < 16; p++)
            {
                if (truth[p] == 255) continue;
                labelled++;
                if (predicted[p] == truth[p]) right++;
            }
        }

        Assert.Equal(72, labelled);
        Assert.Equal((double)right / labelled, accuracy, 12);
    }

    [Fact]
    public void Minus_one_is_not_the_ignore_value_of_this_task()
    {
        var error = Assert.Throws<System.Reflection.TargetInvocationException>(() => From().Invoke(null, [Examples(2, unlabelled: -1)])).InnerException!;

        Assert.IsType<InvalidDataException>(error);
        Assert.Equal("task 'road', row 0, position 0: class -1 is outside [0, 2) (255 marks an unlabelled pixel)", error.Message);
    }
}
