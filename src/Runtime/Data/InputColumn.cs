using System.Globalization;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Data;

/// <summary>
/// One input of a dataset gathered row by row from .NET values (what a generated
/// <c>XDataset.From(examples)</c> does for each input): every row is checked against the declared
/// per-example shape, and floating-point values must be finite, with errors that name the
/// member, the row and the value. A row of a shape <c>[d1, ..., dn]</c> is given flat, in row-major
/// order (d1·...·dn values); a scalar input (shape <c>[]</c>) one value.
/// </summary>
public sealed class InputColumn<T> where T : unmanaged
{
    private readonly T[] _values;
    private readonly long[] _shape;
    private readonly int _width;

    public InputColumn(string member, IReadOnlyList<long> shape, int rows)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "row count must not be negative");
        Member = member;
        _shape = shape.ToArray();
        var width = _shape.Aggregate(1L, (a, b) => a * b);
        if (width > int.MaxValue || (long)rows * width > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"{member}: {rows} rows of {Tensor.FormatShape(_shape)} do not fit in one array");
        _width = (int)width;
        _values = new T[rows * _width];
        Rows = rows;
    }

    public string Member { get; }

    public int Rows { get; }

    /// <summary>Sets row <paramref name="row"/> from its values, flat and in row-major order.</summary>
    public void Set(int row, T[]? values)
    {
        if (values is null) throw new InvalidDataException($"{Member}, row {row}: no values (expected {_width} for shape {Tensor.FormatShape(_shape)})");
        Set(row, values.AsSpan());
    }

    public void Set(int row, ReadOnlySpan<T> values)
    {
        CheckRow(row);
        if (values.Length != _width) throw new InvalidDataException($"{Member}, row {row}: expected {_width} values for shape {Tensor.FormatShape(_shape)}, found {values.Length}");
        for (var i = 0; i < values.Length; i++) CheckFinite(row, i, values[i]);
        values.CopyTo(_values.AsSpan(row * _width, _width));
    }

    /// <summary>Sets row <paramref name="row"/> of a scalar input.</summary>
    public void Set(int row, T value)
    {
        CheckRow(row);
        if (_width != 1) throw new InvalidDataException($"{Member}, row {row}: expected {_width} values for shape {Tensor.FormatShape(_shape)}, found one");
        CheckFinite(row, 0, value);
        _values[row] = value;
    }

    /// <summary>The rows as one tensor of shape <c>[rows, d1, ..., dn]</c>; the caller owns it.</summary>
    public Tensor ToTensor() => tensor<T>(_values.AsSpan(), [Rows, .. _shape]);

    private void CheckRow(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"{Member}: row {row} is outside [0, {Rows})");
    }

    private void CheckFinite(int row, int index, T value)
    {
        var number = value switch
        {
            float f => f,
            double d => d,
            _ => 0.0,
        };
        if (double.IsFinite(number)) return;
        var at = _width == 1 ? "" : $" at index {index}";
        throw new InvalidDataException($"{Member}, row {row}{at}: {number.ToString(CultureInfo.InvariantCulture)} is not finite; inputs must be finite");
    }
}
