using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Dense tasks through the evaluator, the data checks, the target columns the generated code fills
/// and the prediction readers: mIoU over a set larger than one evaluation batch comes from one
/// confusion matrix, not from a mean of per-batch values.
/// </summary>
public sealed class DenseEvaluationTests
{
    /// <summary>A model whose "seg" output is its input "x" (logits [N, 2, 1, 2]): predictions are whatever the data says.</summary>
    private sealed class Echo : MultiTaskModule
    {
        public Echo() : base(nameof(Echo)) => RegisterComponents();

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs) =>
            new(new Dictionary<string, Tensor> { ["seg"] = inputs["x"].alias() });

        public override IEnumerable<nn.Module> SharedModules() => [];
    }

    private static readonly TaskSpec[] Tasks = [new TaskSpec("seg", TaskKind.PixelClasses, 2) { Metrics = ["miou", "accuracy"] }];

    [Fact]
    public void Miou_over_two_evaluation_batches_is_that_of_the_whole_set()
    {
        using var scope = NewDisposeScope();
        // 300 examples of 1×2 pixels; the evaluator reads them in batches of 256 and 44.
        // Rows 0–255 predict (0, 0) against (0, 1); rows 256–299 predict (0, 1) against (0, 1).
        var logits = new float[300 * 4];
        var classes = new long[300 * 2];
        for (var r = 0; r < 300; r++)
        {
            // [2 classes, 1, 2 pixels]: class c of pixel p at r·4 + c·2 + p.
            logits[r * 4 + 0 * 2 + 0] = 1;
            logits[r * 4 + (r < 256 ? 0 : 1) * 2 + 1] = 1;
            classes[r * 2] = 0;
            classes[r * 2 + 1] = 1;
        }
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(logits, [300, 2, 1, 2]) },
            new Dictionary<string, Tensor> { ["seg"] = tensor(classes, [300, 1, 2]) },
            Tasks);
        using var model = new Echo();
        using var losses = new TaskLosses(Tasks);
        var result = new Evaluator(model, Tasks, losses, 32).Evaluate(data);

        // Confusion (target, predicted): (0,0) 300, (1,0) 256, (1,1) 44.
        // IoU₀ = 300 / (300 + 256), IoU₁ = 44 / 300; the mean of the two batches' mIoU would be (1/4 + 1)/2.
        Assert.Equal((300.0 / 556 + 44.0 / 300) / 2, result["seg.miou"], 12);
        Assert.Equal(344.0 / 600, result["seg.accuracy"], 12);
        // Cross entropy per pixel: a right pixel (logits 1, 0) costs log(1 + e⁻¹), a wrong one log(1 + e).
        var right = Math.Log(1 + Math.Exp(-1));
        var wrong = Math.Log(1 + Math.E);
        Assert.Equal((344 * right + 256 * wrong) / 600, result["seg.loss"], 5);
    }

    [Fact]
    public void Dense_targets_are_checked_when_a_dataset_is_built()
    {
        using var scope = NewDisposeScope();
        var x = zeros(new long[] { 2, 2, 1, 2 });
        var cityscapes = Assert.Throws<InvalidDataException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = x },
            new Dictionary<string, Tensor> { ["seg"] = tensor(new long[] { 0, 1, 255, 0 }, [2, 1, 2]) },
            Tasks));
        Assert.Equal("task 'seg': row 1 holds class 255, outside [0, 2) (-1 marks an unlabelled pixel)", cityscapes.Message);
        var flat = Assert.Throws<InvalidDataException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = x },
            new Dictionary<string, Tensor> { ["seg"] = tensor(new long[] { 0, 1 }, [2]) },
            Tasks));
        Assert.Contains("[N, H, W]", flat.Message);
        TaskSpec[] depth = [new TaskSpec("d", TaskKind.PixelRegression, 1)];
        var infinite = Assert.Throws<InvalidDataException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = x },
            new Dictionary<string, Tensor> { ["d"] = tensor(new[] { 1f, float.NaN, float.PositiveInfinity, 2f }, [2, 1, 1, 2]) },
            depth));
        Assert.Contains("row 1", infinite.Message);
        Assert.Contains("NaN marks an invalid value", infinite.Message);
    }

    [Fact]
    public void Target_columns_lay_out_dense_targets_per_example()
    {
        using var scope = NewDisposeScope();
        var tokens = new TargetColumn(new TaskSpec("ner", TaskKind.TokenClasses, 3), 2, [3]);
        tokens.Set(0, [2, 0, -1]);
        tokens.Set(1, (int[]?)null);
        var tokenTensor = tokens.ToTensor();
        Assert.Equal([2L, 3], tokenTensor.shape);
        Assert.Equal([2L, 0, -1, -1, -1, -1], tokenTensor.data<long>());
        var bad = Assert.Throws<InvalidDataException>(() => tokens.Set(0, [0, 3, 0]));
        Assert.Equal("task 'ner', row 0, position 1: class 3 is outside [0, 3) (-1 marks padding)", bad.Message);

        var pixels = new TargetColumn(new TaskSpec("d", TaskKind.PixelRegression, 2), 1, [2, 1, 2]);
        pixels.Set(0, [1f, float.NaN, 3f, 4f]);
        var pixelTensor = pixels.ToTensor();
        Assert.Equal([1L, 2, 1, 2], pixelTensor.shape);
        Assert.True(float.IsNaN(pixelTensor.data<float>()[1]));
        Assert.Equal(4f, pixelTensor.data<float>()[3]);
        Assert.Throws<ArgumentException>(() => new TargetColumn(new TaskSpec("d", TaskKind.PixelRegression, 2), 1, [3, 1, 2]));
    }

    [Fact]
    public void Predictions_give_one_class_per_pixel_and_token()
    {
        using var scope = NewDisposeScope();
        // [1, 2, 1, 3]: class 1 wins at pixels 1 and 2.
        var pixels = Predictions.PixelClasses(tensor(new[] { 1f, 0f, -1f, 0f, 1f, 2f }, [1, 2, 1, 3]));
        Assert.Equal([0, 1, 1], Assert.Single(pixels));
        // [2, 2, 3]: tokens' argmax 2, 0 and 1, 1.
        var tokens = Predictions.TokenClasses(tensor(new[] { 0f, 1f, 2f, 5f, 0f, 0f, 0f, 3f, 1f, 0f, 1f, 0f }, [2, 2, 3]));
        Assert.Equal([2, 0], tokens[0]);
        Assert.Equal([1, 1], tokens[1]);
    }
}
