using System.Globalization;

namespace Mtl.Data;

/// <summary>
/// What reading a CSV file kept and left out: the rows read into the data, the rows skipped for a
/// missing input (<see cref="CsvOptions.SkipRowsWithMissingInputs"/>) and, for each task with a
/// label column, how many of the kept rows miss its label (at least one element of it).
/// </summary>
public sealed record CsvReport(string Source, long Rows, long SkippedRows, IReadOnlyDictionary<string, long> MissingLabels)
{
    /// <summary>For example <c>penguins.csv: 342 rows (2 skipped: missing inputs); missing labels: sex 9</c>.</summary>
    public override string ToString()
    {
        var text = $"{Source}: {Count(Rows, "row")}";
        if (SkippedRows > 0) text += $" ({SkippedRows.ToString(CultureInfo.InvariantCulture)} skipped: missing inputs)";
        var missing = MissingLabels.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value.ToString(CultureInfo.InvariantCulture)}").ToList();
        if (missing.Count > 0) text += "; missing labels: " + string.Join(", ", missing);
        return text;
    }

    private static string Count(long count, string noun) => $"{count.ToString(CultureInfo.InvariantCulture)} {noun}{(count == 1 ? "" : "s")}";
}
