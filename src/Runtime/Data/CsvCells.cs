using System.Globalization;
using Mtl.Catalog;

namespace Mtl.Data;

/// <summary>
/// How one CSV cell is read: numbers in the invariant culture (finite only), strict integers,
/// 0/1 spellings (<see cref="DataCatalog.TrueValues"/>, <see cref="DataCatalog.FalseValues"/>,
/// ignoring case), listed categories (exact after trimming) and missing cells. A cell that does
/// not read is an error naming the file, line, column and cell.
/// </summary>
internal sealed class CsvCells
{
    private readonly HashSet<string> _missing;

    public CsvCells(IReadOnlyList<string> missingValues)
    {
        _missing = new HashSet<string>(missingValues.Select(v => v.Trim()), StringComparer.Ordinal);
    }

    /// <summary>Whether the cell holds no value (one of the missing spellings, after trimming).</summary>
    public bool IsMissing(string cell) => _missing.Contains(cell.Trim());

    /// <summary>The cell as a message shows a missing one: "an empty cell" or the spelling.</summary>
    public static string ShowMissing(string cell) => cell.Trim().Length == 0 ? "an empty cell" : $"'{cell}'";

    public static float Float(CsvRows rows, int column, string cell)
    {
        if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) throw NotANumber(rows, column, cell);
        return float.IsFinite(value) ? value : throw NotFinite(rows, column, cell);
    }

    public static double Double(CsvRows rows, int column, string cell)
    {
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) throw NotANumber(rows, column, cell);
        return double.IsFinite(value) ? value : throw NotFinite(rows, column, cell);
    }

    public static long Int64(CsvRows rows, int column, string cell) =>
        long.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw rows.Error(column, cell, $"'{cell}' is not an integer (int64)");

    public static int Int32(CsvRows rows, int column, string cell) =>
        int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw rows.Error(column, cell, $"'{cell}' is not an integer (int32)");

    /// <summary>A 0/1 cell: one of the true or false spellings, ignoring case; <paramref name="what"/> names what it is the label of.</summary>
    public static bool Boolean(CsvRows rows, int column, string cell, string what)
    {
        var trimmed = cell.Trim();
        if (DataCatalog.TrueValues.Any(v => string.Equals(v, trimmed, StringComparison.OrdinalIgnoreCase))) return true;
        if (DataCatalog.FalseValues.Any(v => string.Equals(v, trimmed, StringComparison.OrdinalIgnoreCase))) return false;
        var expected = string.Join(", ", DataCatalog.TrueValues.Concat(DataCatalog.FalseValues));
        throw rows.Error(column, cell, $"'{cell}' is not a 0/1 label of {what}: expected one of {expected} (ignoring case)");
    }

    /// <summary>The index of the cell among <paramref name="categories"/> (exact after trimming); <paramref name="what"/> names whose categories they are.</summary>
    public static int Category(CsvRows rows, int column, string cell, IReadOnlyList<string> categories, string what)
    {
        var trimmed = cell.Trim();
        for (var i = 0; i < categories.Count; i++)
        {
            if (string.Equals(categories[i], trimmed, StringComparison.Ordinal)) return i;
        }
        throw rows.Error(column, cell, $"'{cell}' is not one of the categories of {what}: {string.Join(", ", categories)}{Suggestions.DidYouMean(trimmed, categories)}");
    }

    // .NET reads "NaN" and "Infinity" (as non-finite numbers) but not numpy's and R's "inf".
    private static CsvDataException NotANumber(CsvRows rows, int column, string cell) =>
        cell.Trim().TrimStart('+', '-').Equals("inf", StringComparison.OrdinalIgnoreCase)
            ? NotFinite(rows, column, cell)
            : rows.Error(column, cell, $"'{cell}' is not a number");

    private static CsvDataException NotFinite(CsvRows rows, int column, string cell) => rows.Error(column, cell, $"'{cell}' is not a finite number");
}
