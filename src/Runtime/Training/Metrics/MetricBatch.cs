using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training.Metrics;

/// <summary>
/// One batch of outputs and targets copied to .NET arrays in a layout every metric can read:
/// <see cref="Columns"/> values per example (1 for binary and classes, n for regression, k for
/// multilabel), the raw <see cref="Outputs"/> row-major, and <see cref="Targets"/> with missing
/// labels as NaN (classes: the class index as a double, or NaN where the target was -1).
/// For classes, <see cref="Outputs"/> holds the k logits per example and <see cref="Columns"/> is k.
/// </summary>
public sealed class MetricBatch
{
    private MetricBatch(int rows, int columns, double[] outputs, double[] targets)
    {
        Rows = rows;
        Columns = columns;
        Outputs = outputs;
        Targets = targets;
    }

    public int Rows { get; }

    public int Columns { get; }

    public double[] Outputs { get; }

    public double[] Targets { get; }

    internal static MetricBatch Read(TaskKind kind, Tensor outputs, Tensor targets, string metric)
    {
        var outShape = outputs.shape;
        var targetShape = targets.shape;
        var rows = outShape.Length == 0 ? 1 : (int)outShape[0];
        var outValues = outputs.detach().to(float64, Device.CPU).data<double>();
        var targetValues = targets.detach().to(float64, Device.CPU).data<double>();
        switch (kind)
        {
            case TaskKind.Classes:
            {
                if (outShape.Length != 2 || targetShape.Length != 1 || targetShape[0] != rows)
                {
                    throw Mismatch(metric, kind, outShape, targetShape, "outputs [N, k] and targets [N]");
                }
                var k = (int)outShape[1];
                for (var i = 0; i < targetValues.Length; i++)
                {
                    var t = targetValues[i];
                    if (t == -1)
                    {
                        targetValues[i] = double.NaN;
                    }
                    else if (t < 0 || t >= k || t != Math.Floor(t))
                    {
                        throw new ArgumentException($"{metric}: target {t} at row {i} is not a class in [0, {k}) (use -1 for a missing label)");
                    }
                }
                return new MetricBatch(rows, k, outValues, targetValues);
            }
            case TaskKind.Binary:
            {
                if (outValues.Length != rows || targetValues.Length != rows)
                {
                    throw Mismatch(metric, kind, outShape, targetShape, "outputs and targets of [N] or [N, 1]");
                }
                return new MetricBatch(rows, 1, outValues, targetValues);
            }
            default:
            {
                if (!outShape.AsSpan().SequenceEqual(targetShape))
                {
                    throw Mismatch(metric, kind, outShape, targetShape, "outputs and targets of the same shape");
                }
                var columns = rows == 0 ? 0 : outValues.Length / rows;
                return new MetricBatch(rows, columns, outValues, targetValues);
            }
        }
    }

    private static ArgumentException Mismatch(string metric, TaskKind kind, long[] outputs, long[] targets, string expected) =>
        new($"{metric} for a {kind.ToString().ToLowerInvariant()} task needs {expected}; got outputs {Tensor.FormatShape(outputs)} and targets {Tensor.FormatShape(targets)}");
}
