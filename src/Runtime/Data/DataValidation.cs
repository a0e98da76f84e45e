using Mtl.Catalog;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Data;

/// <summary>Checks of input and target data that name the member, the row and the value.</summary>
public static class DataValidation
{
    /// <summary>Floating-point inputs must be finite.</summary>
    public static void RequireFinite(string member, Tensor values)
    {
        if (!ScalarTypeInfo.IsFloatingPoint(values.dtype)) return;
        using var scope = NewDisposeScope();
        var bad = values.isfinite().logical_not();
        if (!bad.any().item<bool>()) return;
        var (row, value) = FirstBad(values, bad);
        throw new InvalidDataException($"{member}: row {row} holds {Format(value)}; inputs must be finite");
    }

    /// <summary>
    /// A model's input must be present, with the declared element type and per-example shape
    /// (the first dimension counts examples); the error names the input, what was expected and
    /// what was found.
    /// </summary>
    public static void RequireInput(IReadOnlyDictionary<string, Tensor> inputs, string name, ScalarType dtype, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (!inputs.TryGetValue(name, out var tensor))
        {
            throw new InvalidDataException($"input '{name}' is missing (the data has {(inputs.Count == 0 ? "no inputs" : string.Join(", ", inputs.Keys.Select(k => $"'{k}'")))})");
        }
        var expected = $"{ScalarTypeInfo.Name(dtype)} [N{string.Concat(shape.Select(d => ", " + d))}]";
        var found = $"{ScalarTypeInfo.Name(tensor.dtype)} {Tensor.FormatShape(tensor.shape)}";
        var actual = tensor.shape;
        var fits = tensor.dtype == dtype && actual.Length == shape.Count + 1;
        for (var i = 0; fits && i < shape.Count; i++) fits = actual[i + 1] == shape[i];
        if (!fits) throw new InvalidDataException($"input '{name}' must be {expected}, not {found}");
    }

    /// <summary>
    /// Targets must fit the task: shape, dtype, class range, 0/1 labels; missing only where allowed.
    /// The dense kinds always allow -1 (an unlabelled pixel, a padding token) and NaN (an invalid
    /// pixel value): they are part of such data, not missing labels.
    /// </summary>
    private static Tensor NotAClass(Tensor targets, int classes) => targets.lt(0L).logical_or(targets.ge((double)classes));

    public static void RequireTargets(TaskSpec task, Tensor targets)
    {
        using var scope = NewDisposeScope();
        var shape = targets.shape;
        var member = $"task '{task.Name}'";
        switch (task.Kind)
        {
            case TaskKind.PixelClasses or TaskKind.TokenClasses:
            {
                var layout = task.Kind == TaskKind.PixelClasses ? "[N, H, W]" : "[N, T]";
                if (targets.dtype is not (ScalarType.Int64 or ScalarType.Int32)) throw new InvalidDataException($"{member}: class targets must be integers (int64, or int32 to be widened), not {ScalarTypeInfo.Name(targets.dtype)}");
                if (shape.Length != (task.Kind == TaskKind.PixelClasses ? 3 : 2)) throw new InvalidDataException($"{member}: {TaskCatalog.Name(task.Kind)} targets must have shape {layout}, not {Tensor.FormatShape(shape)}");
                var outOfRange = NotAClass(targets, task.Size).logical_and(targets.ne(task.IgnoreIndex));
                if (outOfRange.any().item<bool>())
                {
                    var (row, value) = FirstBad(targets, outOfRange);
                    var what = task.Kind == TaskKind.PixelClasses ? "an unlabelled pixel" : "a padding token";
                    throw new InvalidDataException($"{member}: row {row} holds class {Format(value)}, outside [0, {task.Size}) ({task.IgnoreIndex} marks {what})");
                }
                return;
            }
            case TaskKind.PixelRegression:
            {
                if (!ScalarTypeInfo.IsFloatingPoint(targets.dtype)) throw new InvalidDataException($"{member}: targets must be floating point, not {ScalarTypeInfo.Name(targets.dtype)}");
                if (shape.Length != 4 || shape[1] != task.Size) throw new InvalidDataException($"{member}: pixel_regression targets must have shape [N, {task.Size}, H, W], not {Tensor.FormatShape(shape)}");
                var infinite = targets.isinf();
                if (infinite.any().item<bool>())
                {
                    var (row, value) = FirstBad(targets, infinite);
                    throw new InvalidDataException($"{member}: row {row} holds {Format(value)}; pixel values must be finite (NaN marks an invalid value)");
                }
                return;
            }
            case TaskKind.Classes:
            {
                if (targets.dtype is not (ScalarType.Int64 or ScalarType.Int32)) throw new InvalidDataException($"{member}: class targets must be integers (int64, or int32 to be widened), not {ScalarTypeInfo.Name(targets.dtype)}");
                if (shape.Length != 1) throw new InvalidDataException($"{member}: class targets must have shape [N], not {Tensor.FormatShape(shape)}");
                var outOfRange = NotAClass(targets, task.Size);
                if (task.MissingLabels) outOfRange = outOfRange.logical_and(targets.ne(task.IgnoreIndex));
                if (outOfRange.any().item<bool>())
                {
                    var (row, value) = FirstBad(targets, outOfRange);
                    var missing = task.MissingLabels ? $" ({task.IgnoreIndex} marks a missing label)" : " (missing labels are not allowed for this task)";
                    throw new InvalidDataException($"{member}: row {row} holds class {Format(value)}, outside [0, {task.Size}){missing}");
                }
                return;
            }
            default:
            {
                if (!ScalarTypeInfo.IsFloatingPoint(targets.dtype)) throw new InvalidDataException($"{member}: targets must be floating point, not {ScalarTypeInfo.Name(targets.dtype)}");
                var expected = task.Kind == TaskKind.Binary ? "[N] or [N, 1]" : $"[N, {task.Size}]";
                var fits = task.Kind == TaskKind.Binary
                    ? shape.Length == 1 || (shape.Length == 2 && shape[1] == 1)
                    : shape.Length == 2 && shape[1] == task.Size || (task.Size == 1 && shape.Length == 1);
                if (!fits) throw new InvalidDataException($"{member}: targets must have shape {expected}, not {Tensor.FormatShape(shape)}");
                var nan = targets.isnan();
                var bad = targets.isinf();
                if (!task.MissingLabels) bad = bad.logical_or(nan);
                if (task.Kind != TaskKind.Regression)
                {
                    bad = bad.logical_or(targets.ne(0.0).logical_and(targets.ne(1.0)).logical_and(nan.logical_not()));
                }
                if (bad.any().item<bool>())
                {
                    var (row, value) = FirstBad(targets, bad);
                    var rule = task.Kind == TaskKind.Regression ? "regression targets must be finite" : "labels must be 0 or 1";
                    if (task.MissingLabels) rule += " (NaN marks a missing label)";
                    throw new InvalidDataException($"{member}: row {row} holds {Format(value)}; {rule}");
                }
                return;
            }
        }
    }

    private static (long row, double value) FirstBad(Tensor values, Tensor mask)
    {
        var flat = mask.reshape(-1).nonzero().reshape(-1);
        var index = flat[0].item<long>();
        var perRow = Math.Max(1, values.numel() / Math.Max(1, values.Dimensions == 0 ? 1 : values.size(0)));
        var value = values.reshape(-1).to(ScalarType.Float64)[index].item<double>();
        return (index / perRow, value);
    }

    private static string Format(double value) => double.IsNaN(value) ? "NaN" : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
