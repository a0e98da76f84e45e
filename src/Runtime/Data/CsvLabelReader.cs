using System.Runtime.InteropServices;
using Mtl.Catalog;
using static Mtl.Torch.torch;

namespace Mtl.Data;

/// <summary>
/// Gathers one task's labels from its CSV columns, row by row, in the layout
/// <see cref="TargetColumn"/> gives them (int64 <c>[rows]</c> for classes(k), float32
/// <c>[rows, size]</c> otherwise), marking a missing cell as a missing label (-1 for a class, NaN
/// per element otherwise) and counting the rows that miss at least one element. A missing cell of
/// a task that forbids missing labels is an error naming the line and column.
/// </summary>
internal sealed class CsvLabelReader
{
    private readonly TaskSpec _task;
    private readonly IReadOnlyList<string>? _categories;
    private readonly int[] _columns;
    private readonly CsvCells _cells;
    private readonly string _what;
    private readonly List<float>? _floats;
    private readonly List<long>? _classes;

    public CsvLabelReader(CsvLabel label, CsvRows rows, CsvCells cells)
    {
        Check(label);
        _task = label.Task;
        _categories = label.Source.Categories;
        _cells = cells;
        _what = $"task '{_task.Name}'";
        _columns = label.Source.Columns.Select(c => rows.Column(c, $"the label of {_what}")).ToArray();
        if (_task.Kind == TaskKind.Classes) _classes = new List<long>();
        else _floats = new List<float>();
    }

    /// <summary>The columns and categories must fit the task's kind and size.</summary>
    private static void Check(CsvLabel label)
    {
        ArgumentNullException.ThrowIfNull(label);
        var task = label.Task;
        var what = $"the label of task '{task.Name}' ({TaskCatalog.Describe(task.Kind, task.Size)})";
        if (TaskCatalog.IsDense(task.Kind)) throw new ArgumentException($"{what} is per pixel or token, so it cannot be read from table columns: give its targets as tensors", nameof(label));
        var columns = label.Source.Columns.Count;
        var expected = task.Kind is TaskKind.Binary or TaskKind.Classes ? 1 : task.Size;
        if (columns != expected) throw new ArgumentException($"{what} reads {expected} column{(expected == 1 ? "" : "s")}, not {columns}", nameof(label));
        if (label.Source.Categories is not { } categories) return;
        var count = task.Kind switch
        {
            TaskKind.Binary => 2,
            TaskKind.Classes => task.Size,
            _ => throw new ArgumentException($"{what} takes no categories: its cells are {(task.Kind == TaskKind.Regression ? "numbers" : "0/1 values")}", nameof(label)),
        };
        if (categories.Count != count)
        {
            var rule = task.Kind == TaskKind.Binary ? "2 categories, [negative, positive]" : $"{count} categories, one per class in index order";
            throw new ArgumentException($"{what} needs {rule}, not {categories.Count} ({string.Join(", ", categories)})", nameof(label));
        }
        if (categories.Distinct(StringComparer.Ordinal).Count() != categories.Count) throw new ArgumentException($"{what}: the categories list a value twice ({string.Join(", ", categories)})", nameof(label));
    }

    public TaskSpec Task => _task;

    /// <summary>Rows read so far that miss at least one element of the label.</summary>
    public long MissingRows { get; private set; }

    /// <summary>Reads the current record's label.</summary>
    public void Read(CsvRows rows)
    {
        var missing = false;
        foreach (var column in _columns)
        {
            var cell = rows.Cell(column);
            if (_cells.IsMissing(cell))
            {
                if (!_task.MissingLabels) throw rows.Error(column, cell, $"the label of {_what} is missing ({CsvCells.ShowMissing(cell)}), and this task forbids missing labels");
                missing = true;
                if (_classes is not null) _classes.Add(_task.IgnoreIndex);
                else _floats!.Add(float.NaN);
                continue;
            }
            switch (_task.Kind)
            {
                case TaskKind.Classes:
                    _classes!.Add(Class(rows, column, cell));
                    break;
                case TaskKind.Regression:
                    _floats!.Add(CsvCells.Float(rows, column, cell));
                    break;
                case TaskKind.Binary when _categories is not null:
                    _floats!.Add(CsvCells.Category(rows, column, cell, _categories, _what));
                    break;
                default:
                    _floats!.Add(CsvCells.Boolean(rows, column, cell, _what) ? 1f : 0f);
                    break;
            }
        }
        if (missing) MissingRows++;
    }

    private long Class(CsvRows rows, int column, string cell)
    {
        if (_categories is not null) return CsvCells.Category(rows, column, cell, _categories, _what);
        return long.TryParse(cell, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0 && value < _task.Size
            ? value
            : throw rows.Error(column, cell, $"'{cell}' is not a class of {_what}: expected an integer in [0, {_task.Size})");
    }

    /// <summary>The labels read as one tensor; the caller owns it.</summary>
    public Mtl.Torch.Tensor ToTensor(long rows) => _classes is not null
        ? tensor<long>(CollectionsMarshal.AsSpan(_classes), [rows])
        : tensor<float>(CollectionsMarshal.AsSpan(_floats), [rows, _task.Size]);
}
