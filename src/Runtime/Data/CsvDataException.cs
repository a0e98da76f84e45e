using System.Globalization;

namespace Mtl.Data;

/// <summary>
/// A CSV file that does not fit its schema: the message and the properties name the file, the
/// line (1-based, the header is line 1; a record spanning lines is named by its first), the column
/// and the cell. (<see cref="InvalidDataException"/>, which the other data errors are, is sealed,
/// so this derives from <see cref="Exception"/>.) <see cref="Source"/> hides
/// <see cref="Exception.Source"/>: here it is the file, not the assembly that threw.
/// </summary>
public sealed class CsvDataException : Exception
{
    public CsvDataException(string source, long line, string? column, string? value, string problem)
        : base(Describe(source, line, column) + ": " + problem)
    {
        Source = source;
        Line = line;
        Column = column;
        Value = value;
    }

    /// <summary>The file (its path as given, or the name a reader was given).</summary>
    public new string Source { get; }

    /// <summary>The 1-based line in the file; the header is line 1.</summary>
    public long Line { get; }

    /// <summary>The column's header name, or null when the error is not about one column.</summary>
    public string? Column { get; }

    /// <summary>The cell as the file holds it, or null when the error is not about one cell.</summary>
    public string? Value { get; }

    private static string Describe(string source, long line, string? column) =>
        $"{source}, line {line.ToString(CultureInfo.InvariantCulture)}" + (column is null ? "" : $", column '{column}'");
}
