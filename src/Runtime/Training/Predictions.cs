using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>A binary task's prediction for one example: the probability of the positive label.</summary>
public readonly record struct BinaryPrediction(float Probability)
{
    /// <summary>Whether the positive label is the more likely one (probability at least 0.5).</summary>
    public bool Label => Probability >= 0.5f;
}

/// <summary>A classes(k) task's prediction for one example: the most likely class and every class's probability.</summary>
public sealed record ClassPrediction(int Class, IReadOnlyList<float> Probabilities);

/// <summary>A multilabel(k) task's prediction for one example: each label's probability.</summary>
public sealed record MultilabelPrediction(IReadOnlyList<float> Probabilities)
{
    /// <summary>Each label present when its probability is at least 0.5.</summary>
    public IReadOnlyList<bool> Labels => Probabilities.Select(p => p >= 0.5f).ToList();
}

/// <summary>Turns a batch of a task's raw outputs (logits or values, first dimension = examples) into per-example predictions.</summary>
public static class Predictions
{
    /// <summary>regression(n): each example's n values; pixel_regression(c): its c·H·W values in row-major order.</summary>
    public static float[][] Regression(Tensor output)
    {
        var values = Floats(output, out var rows, out var width);
        return Enumerable.Range(0, rows).Select(r => values.AsSpan(r * width, width).ToArray()).ToArray();
    }

    /// <summary>regression(1): each example's value.</summary>
    public static float[] Scalar(Tensor output) => Floats(output, out _, out _);

    /// <summary>binary: the sigmoid of each example's logit.</summary>
    public static BinaryPrediction[] Binary(Tensor logits)
    {
        using var probabilities = logits.sigmoid();
        return Floats(probabilities, out _, out _).Select(p => new BinaryPrediction(p)).ToArray();
    }

    /// <summary>classes(k): the softmax over each example's k logits and its most likely class.</summary>
    public static ClassPrediction[] Classes(Tensor logits)
    {
        using var probabilities = logits.softmax(1);
        var values = Floats(probabilities, out var rows, out var width);
        var result = new ClassPrediction[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * width, width).ToArray();
            var best = 0;
            for (var c = 1; c < width; c++)
            {
                if (row[c] > row[best]) best = c;
            }
            result[r] = new ClassPrediction(best, row);
        }
        return result;
    }

    /// <summary>multilabel(k): the sigmoid of each of an example's k logits.</summary>
    public static MultilabelPrediction[] Multilabel(Tensor logits)
    {
        using var probabilities = logits.sigmoid();
        var values = Floats(probabilities, out var rows, out var width);
        return Enumerable.Range(0, rows).Select(r => new MultilabelPrediction(values.AsSpan(r * width, width).ToArray())).ToArray();
    }

    /// <summary>pixel_classes(k): each example's most likely class per pixel, H·W values in row-major order (logits [N, k, H, W]).</summary>
    public static int[][] PixelClasses(Tensor logits) => ArgMax(logits, 1);

    /// <summary>token_classes(k): each example's most likely class per token, T values (logits [N, T, k]).</summary>
    public static int[][] TokenClasses(Tensor logits) => ArgMax(logits, 2);

    private static int[][] ArgMax(Tensor logits, long dim)
    {
        using var scope = NewDisposeScope();
        var classes = logits.argmax(dim);
        var rows = (int)classes.size(0);
        var width = rows == 0 ? 0 : (int)(classes.numel() / rows);
        var values = classes.to(ScalarType.Int64).contiguous().data<long>();
        return Enumerable.Range(0, rows).Select(r => values.AsSpan(r * width, width).ToArray().Select(v => (int)v).ToArray()).ToArray();
    }

    private static float[] Floats(Tensor output, out int rows, out int width)
    {
        using var scope = NewDisposeScope();
        rows = (int)output.size(0);
        width = rows == 0 ? 0 : (int)(output.numel() / rows);
        return output.to(ScalarType.Float32).data<float>();
    }
}
