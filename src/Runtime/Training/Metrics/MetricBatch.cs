using Mtl.Catalog;
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
    private MetricBatch(int rows, int columns, double[] outputs, double[] targets, int positions = 1)
    {
        Rows = rows;
        Columns = columns;
        Outputs = outputs;
        Targets = targets;
        Positions = positions;
    }

    /// <summary>
    /// Rows per example: 1, or for the dense kinds H·W pixels or T tokens (each a row, in order),
    /// so that example e holds rows [e·Positions, (e+1)·Positions).
    /// </summary>
    public int Positions { get; }

    public int Rows { get; }

    public int Columns { get; }

    public double[] Outputs { get; }

    public double[] Targets { get; }

    internal static MetricBatch Read(TaskKind kind, Tensor outputs, Tensor targets, string metric, long ignore = TaskCatalog.IgnoreIndex)
    {
        var outShape = outputs.shape;
        var targetShape = targets.shape;
        if (TaskCatalog.IsDense(kind)) return Dense(kind, outputs, targets, metric, ignore);
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
                CheckClasses(metric, targetValues, k, 1, ignore, "a missing label");
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

    /// <summary>
    /// Pixel and token outputs as one row per position: [N, k, H, W] and [N, c, H, W] become
    /// [N·H·W, k or c], [N, T, k] becomes [N·T, k]; class targets one per row, -1 as NaN.
    /// </summary>
    private static MetricBatch Dense(TaskKind kind, Tensor outputs, Tensor targets, string metric, long ignore)
    {
        var o = outputs.shape;
        var t = targets.shape;
        switch (kind)
        {
            case TaskKind.PixelClasses:
            {
                if (o.Length != 4 || t.Length != 3 || t[0] != o[0] || t[1] != o[2] || t[2] != o[3]) throw Mismatch(metric, kind, o, t, "outputs [N, k, H, W] and targets [N, H, W]");
                var k = (int)o[1];
                var positions = (int)(o[2] * o[3]);
                var values = Values(outputs.permute(0, 2, 3, 1));
                var classes = Values(targets);
                CheckClasses(metric, classes, k, positions, ignore, "an unlabelled pixel");
                return new MetricBatch(classes.Length, k, values, classes, positions);
            }
            case TaskKind.TokenClasses:
            {
                if (o.Length != 3 || t.Length != 2 || t[0] != o[0] || t[1] != o[1]) throw Mismatch(metric, kind, o, t, "outputs [N, T, k] and targets [N, T]");
                var k = (int)o[2];
                var classes = Values(targets);
                CheckClasses(metric, classes, k, (int)o[1], ignore, "padding");
                return new MetricBatch(classes.Length, k, Values(outputs), classes, (int)o[1]);
            }
            default:
            {
                if (o.Length != 4 || !o.AsSpan().SequenceEqual(t)) throw Mismatch(metric, kind, o, t, "outputs and targets of the same shape [N, c, H, W]");
                var c = (int)o[1];
                var positions = (int)(o[2] * o[3]);
                return new MetricBatch((int)(o[0] * positions), c, Values(outputs.permute(0, 2, 3, 1)), Values(targets.permute(0, 2, 3, 1)), positions);
            }
        }
    }

    private static double[] Values(Tensor tensor) => tensor.detach().to(float64, Device.CPU).contiguous().data<double>();

    /// <summary>Class targets in [0, k) stay, the task's ignore value (-1 unless it says otherwise) becomes NaN; anything else is an error naming the example (row / positions).</summary>
    private static void CheckClasses(string metric, double[] targets, int k, int positions, long ignore, string ignored)
    {
        for (var i = 0; i < targets.Length; i++)
        {
            var t = targets[i];
            if (t == ignore)
            {
                targets[i] = double.NaN;
            }
            else if (t < 0 || t >= k || t != Math.Floor(t))
            {
                var where = positions == 1 ? $"row {i}" : $"row {i / positions}, position {i % positions}";
                throw new ArgumentException($"{metric}: target {t} at {where} is not a class in [0, {k}) (use {ignore} for {ignored})");
            }
        }
    }

    private static ArgumentException Mismatch(string metric, TaskKind kind, long[] outputs, long[] targets, string expected) =>
        new($"{metric} for a {TaskCatalog.Name(kind)} task needs {expected}; got outputs {Tensor.FormatShape(outputs)} and targets {Tensor.FormatShape(targets)}");
}
