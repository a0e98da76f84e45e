using System.Runtime.InteropServices;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Data;

/// <summary>
/// Gathers one input's values from its CSV columns, row by row, into an array of its element type
/// (float32, float64, int64 or int32; a category column gives the category's index), and builds
/// its tensor <c>[rows, ..shape]</c> once at the end. A column whose categories are learned keeps
/// its trimmed cells until <see cref="Index"/> maps them by a vocabulary.
/// </summary>
internal sealed class CsvInputReader
{
    private readonly CsvInput _input;
    private readonly int[] _columns;
    private readonly CsvCells _cells;
    private readonly string _what;
    private readonly List<float>? _floats;
    private readonly List<double>? _doubles;
    private readonly List<long>? _longs;
    private readonly List<int>? _ints;
    private readonly List<string>? _texts;

    public CsvInputReader(CsvInput input, CsvRows rows, CsvCells cells)
    {
        Check(input);
        _input = input;
        _cells = cells;
        _what = $"input '{input.Name}'";
        _columns = input.Source.Columns.Select(c => rows.Column(c, _what)).ToArray();
        switch (input.DType)
        {
            case ScalarType.Float32: _floats = new List<float>(); break;
            case ScalarType.Float64: _doubles = new List<double>(); break;
            case ScalarType.Int64: _longs = new List<long>(); break;
            default: _ints = new List<int>(); break;
        }
        if (input.Source.LearnsCategories) _texts = new List<string>();
    }

    /// <summary>The declaration must be one this reader can fill: a numeric dtype, one column per element, a category column only for an integer scalar.</summary>
    private static void Check(CsvInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var what = $"input '{input.Name}'";
        if (input.DType is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Int64 or ScalarType.Int32))
        {
            throw new ArgumentException($"{what}: a CSV input is float32, float64, int64 or int32, not {ScalarTypeInfo.Name(input.DType)}", nameof(input));
        }
        if (input.Shape.Any(d => d <= 0)) throw new ArgumentException($"{what}: shape {Tensor.FormatShape(input.Shape)} has a dimension that is not positive", nameof(input));
        var elements = input.Shape.Aggregate(1L, (a, b) => a * b);
        if (input.Source.LearnsCategories && input.Source.Categories is not null)
        {
            throw new ArgumentException($"{what}: a category column either lists its categories or learns them, not both", nameof(input));
        }
        if (input.Source.Categories is not null || input.Source.LearnsCategories)
        {
            if (input.DType is not (ScalarType.Int64 or ScalarType.Int32) || input.Shape.Length != 0)
            {
                throw new ArgumentException($"{what}: a category column gives one class index per example, so the input must be an int64 or int32 scalar, not {ScalarTypeInfo.Name(input.DType)} {Tensor.FormatShape(input.Shape)}", nameof(input));
            }
            if (input.Source.Columns.Count != 1) throw new ArgumentException($"{what}: a category input reads exactly one column, not {input.Source.Columns.Count}", nameof(input));
            if (input.Source.Categories is not { } categories) return;
            if (categories.Count == 0) throw new ArgumentException($"{what}: a category column needs at least one category", nameof(input));
            if (categories.Distinct(StringComparer.Ordinal).Count() != categories.Count) throw new ArgumentException($"{what}: the categories list a value twice ({string.Join(", ", categories)})", nameof(input));
        }
        else if (input.Source.Columns.Count != elements)
        {
            throw new ArgumentException($"{what}: shape {Tensor.FormatShape(input.Shape)} has {elements} elements per example, but {input.Source.Columns.Count} columns are given (one per element, row-major)", nameof(input));
        }
    }

    public string Name => _input.Name;

    /// <summary>Whether the input's categories are learned (its cells are kept as text until <see cref="Index"/>).</summary>
    public bool LearnsCategories => _texts is not null;

    /// <summary>The trimmed cells read so far, of an input whose categories are learned.</summary>
    public IReadOnlyList<string> Texts => _texts ?? throw new InvalidOperationException($"{_what} does not learn its categories");

    /// <summary>
    /// Turns the cells read into indices by <paramref name="vocabulary"/> (a value's position + 1, or
    /// <see cref="CategoryVocabulary.Unseen"/>); returns how many rows hold a value not in it.
    /// </summary>
    public long Index(IReadOnlyList<string> vocabulary)
    {
        var indices = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < vocabulary.Count; i++) indices[vocabulary[i]] = i + 1;
        long unseen = 0;
        for (var row = 0; row < Texts.Count; row++)
        {
            if (!indices.TryGetValue(Texts[row], out var index))
            {
                index = CategoryVocabulary.Unseen;
                unseen++;
            }
            if (_longs is not null) _longs.Add(index);
            else _ints!.Add(index);
        }
        return unseen;
    }

    /// <summary>Whether the current record misses a value of this input.</summary>
    public bool IsMissing(CsvRows rows)
    {
        foreach (var column in _columns)
        {
            if (_cells.IsMissing(rows.Cell(column))) return true;
        }
        return false;
    }

    /// <summary>Reads the current record's values; a missing one is an error.</summary>
    public void Read(CsvRows rows)
    {
        foreach (var column in _columns)
        {
            var cell = rows.Cell(column);
            if (_cells.IsMissing(cell))
            {
                throw rows.Error(column, cell, $"the value of {_what} is missing ({CsvCells.ShowMissing(cell)}); fill it in, or skip rows with missing inputs");
            }
            if (_texts is not null)
            {
                _texts.Add(cell.Trim());
                continue;
            }
            if (_input.Source.Categories is { } categories)
            {
                var index = CsvCells.Category(rows, column, cell, categories, _what);
                if (_longs is not null) _longs.Add(index);
                else _ints!.Add(index);
                continue;
            }
            switch (_input.DType)
            {
                case ScalarType.Float32: _floats!.Add(CsvCells.Float(rows, column, cell)); break;
                case ScalarType.Float64: _doubles!.Add(CsvCells.Double(rows, column, cell)); break;
                case ScalarType.Int64: _longs!.Add(CsvCells.Int64(rows, column, cell)); break;
                default: _ints!.Add(CsvCells.Int32(rows, column, cell)); break;
            }
        }
    }

    /// <summary>The values read as one tensor <c>[rows, ..shape]</c>; the caller owns it.</summary>
    public Tensor ToTensor(long rows)
    {
        long[] shape = [rows, .. _input.Shape];
        if (_floats is not null) return tensor<float>(CollectionsMarshal.AsSpan(_floats), shape);
        if (_doubles is not null) return tensor<double>(CollectionsMarshal.AsSpan(_doubles), shape);
        if (_longs is not null) return tensor<long>(CollectionsMarshal.AsSpan(_longs), shape);
        return tensor<int>(CollectionsMarshal.AsSpan(_ints), shape);
    }
}
