using System.Globalization;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Data;

/// <summary>
/// One task's labels gathered row by row from .NET values, in the form the task's kind takes:
/// a <c>bool</c> for binary, an <c>int</c> class for classes(k), a <c>float</c> (regression(1)) or
/// <c>float[]</c> (regression(n)), a <c>bool[]</c> for multilabel(k). A null label is a missing one
/// (stored as NaN, or -1 for a class) and is an error when the task forbids missing labels.
/// Errors name the task, the row and the value.
/// </summary>
public sealed class TargetColumn
{
    private readonly float[]? _floats;
    private readonly long[]? _classes;

    public TargetColumn(TaskSpec task, int rows)
        : this(task, rows, [])
    {
    }

    /// <summary>
    /// A column for <paramref name="rows"/> examples of <paramref name="task"/>; a dense task also
    /// needs each example's target shape: [H, W] for pixel_classes, [c, H, W] for
    /// pixel_regression, [T] for token_classes.
    /// </summary>
    public TargetColumn(TaskSpec task, int rows, IReadOnlyList<long> exampleShape)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(exampleShape);
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "row count must not be negative");
        Task = task;
        Rows = rows;
        var rank = task.Kind switch
        {
            TaskKind.PixelClasses => 2,
            TaskKind.PixelRegression => 3,
            TaskKind.TokenClasses => 1,
            _ => 0,
        };
        if (exampleShape.Count != rank || exampleShape.Any(d => d < 1) || (task.Kind == TaskKind.PixelRegression && exampleShape[0] != task.Size))
        {
            throw new ArgumentException($"task '{task.Name}' ({Catalog.TaskCatalog.Describe(task.Kind, task.Size)}) cannot take targets of shape [{string.Join(", ", exampleShape)}] per example", nameof(exampleShape));
        }
        _shape = exampleShape.ToArray();
        _width = rank == 0 ? task.Size : (int)exampleShape.Aggregate(1L, (a, b) => checked(a * b));
        if (Catalog.TaskCatalog.HasClassTargets(task.Kind)) _classes = new long[checked(rows * (rank == 0 ? 1 : _width))];
        else _floats = new float[checked(rows * _width)];
    }

    private readonly long[] _shape;
    private readonly int _width;

    public TaskSpec Task { get; }

    public int Rows { get; }

    /// <summary>A binary label (true = 1).</summary>
    public void Set(int row, bool? label)
    {
        Require(row, TaskKind.Binary, "a bool");
        _floats![row] = label is { } value ? (value ? 1f : 0f) : Missing(row);
    }

    /// <summary>A class in [0, k).</summary>
    public void Set(int row, int? label)
    {
        Require(row, TaskKind.Classes, "an int class");
        if (label is not { } value)
        {
            Missing(row);
            _classes![row] = Task.IgnoreIndex;
            return;
        }
        if (value < 0 || value >= Task.Size) throw new InvalidDataException($"task '{Task.Name}', row {row}: class {value} is outside [0, {Task.Size})");
        _classes![row] = value;
    }

    /// <summary>The value of a regression(1) task.</summary>
    public void Set(int row, float? value)
    {
        Require(row, TaskKind.Regression, "a float");
        if (Task.Size != 1) throw new InvalidDataException($"task '{Task.Name}', row {row}: a regression({Task.Size}) task takes {Task.Size} values per row, not one");
        _floats![row] = value is { } v ? Finite(row, 0, v) : Missing(row);
    }

    /// <summary>
    /// The values of a regression(n) task, a NaN element being a missing value; or of a
    /// pixel_regression(c) task, c·H·W values in row-major order, a NaN being an invalid value.
    /// </summary>
    public void Set(int row, float[]? values)
    {
        if (Task.Kind == TaskKind.PixelRegression)
        {
            SetPixels(row, values);
            return;
        }
        Require(row, TaskKind.Regression, "float values");
        if (values is null)
        {
            _floats.AsSpan(row * Task.Size, Task.Size).Fill(Missing(row));
            return;
        }
        Length(row, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            _floats![row * Task.Size + i] = float.IsNaN(values[i]) ? Missing(row) : Finite(row, i, values[i]);
        }
    }

    /// <summary>The labels of a multilabel(k) task.</summary>
    public void Set(int row, bool[]? labels)
    {
        Require(row, TaskKind.Multilabel, "bool labels");
        if (labels is null)
        {
            _floats.AsSpan(row * Task.Size, Task.Size).Fill(Missing(row));
            return;
        }
        Length(row, labels.Length);
        for (var i = 0; i < labels.Length; i++) _floats![row * Task.Size + i] = labels[i] ? 1f : 0f;
    }

    /// <summary>
    /// A pixel_classes or token_classes target: H·W (row-major) or T classes in [0, k), -1 for an
    /// unlabelled pixel or a padding token; null when the example has no label (every position -1).
    /// </summary>
    public void Set(int row, int[]? classes)
    {
        Require(row, Task.Kind == TaskKind.TokenClasses ? TaskKind.TokenClasses : TaskKind.PixelClasses, "classes per pixel or token");
        var target = _classes.AsSpan(row * _width, _width);
        if (classes is null)
        {
            Missing(row);
            target.Fill(Task.IgnoreIndex);
            return;
        }
        if (classes.Length != _width) throw new InvalidDataException($"task '{Task.Name}', row {row}: expected {_width} classes ({ExampleShape}), found {classes.Length}");
        for (var i = 0; i < classes.Length; i++)
        {
            var value = classes[i];
            if ((value < 0 || value >= Task.Size) && value != Task.IgnoreIndex) throw new InvalidDataException($"task '{Task.Name}', row {row}, position {i}: class {value} is outside [0, {Task.Size}) ({Task.IgnoreIndex} marks {(Task.Kind == TaskKind.TokenClasses ? "padding" : "an unlabelled pixel")})");
            target[i] = value;
        }
    }

    /// <summary>[H, W], [c, H, W] or [T], as the generated code writes it in messages.</summary>
    private string ExampleShape => "[" + string.Join(", ", _shape) + "]";

    /// <summary>The labels as a tensor: long <c>[rows]</c> for classes, float <c>[rows, size]</c> for the other vector kinds, <c>[rows, ...example shape]</c> for the dense kinds; the caller owns it.</summary>
    public Tensor ToTensor()
    {
        long[] shape = _shape.Length > 0 ? [Rows, .. _shape] : _classes is not null ? [Rows] : [Rows, Task.Size];
        return _classes is not null ? tensor<long>(_classes.AsSpan(), shape) : tensor<float>(_floats.AsSpan(), shape);
    }

    private void SetPixels(int row, float[]? values)
    {
        Require(row, TaskKind.PixelRegression, "pixel values");
        var target = _floats.AsSpan(row * _width, _width);
        if (values is null)
        {
            target.Fill(Missing(row));
            return;
        }
        if (values.Length != _width) throw new InvalidDataException($"task '{Task.Name}', row {row}: expected {_width} values ({ExampleShape}), found {values.Length}");
        for (var i = 0; i < values.Length; i++)
        {
            target[i] = float.IsNaN(values[i]) ? float.NaN : Finite(row, i, values[i]);
        }
    }

    private void Require(int row, TaskKind kind, string what)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"task '{Task.Name}': row {row} is outside [0, {Rows})");
        if (Task.Kind != kind) throw new InvalidOperationException($"task '{Task.Name}', row {row}: the task is {Catalog.TaskCatalog.Describe(Task.Kind, Task.Size)}, so its label is not {what}");
    }

    private void Length(int row, int length)
    {
        if (length != Task.Size) throw new InvalidDataException($"task '{Task.Name}', row {row}: expected {Task.Size} values, found {length}");
    }

    private float Missing(int row) => Task.MissingLabels
        ? float.NaN
        : throw new InvalidDataException($"task '{Task.Name}', row {row}: the label is missing, and this task forbids missing labels");

    private float Finite(int row, int index, float value) => float.IsFinite(value)
        ? value
        : throw new InvalidDataException($"task '{Task.Name}', row {row}{(Task.Size == 1 ? "" : $" at index {index}")}: {value.ToString(CultureInfo.InvariantCulture)} is not a finite value");
}
