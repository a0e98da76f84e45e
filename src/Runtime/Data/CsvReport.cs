using System.Globalization;

namespace Mtl.Data;

/// <summary>
/// What reading a CSV file kept and left out: the rows read into the data, the rows skipped for a
/// missing input (<see cref="CsvOptions.SkipRowsWithMissingInputs"/>) and, for each task with a
/// label column, how many of the kept rows miss its label (at least one element of it); for each
/// input with learned categories, how many kept cells hold a value its vocabulary does not (read
/// as index 0).
/// </summary>
public sealed record CsvReport(string Source, long Rows, long SkippedRows, IReadOnlyDictionary<string, long> MissingLabels)
{
    /// <summary>Per input with learned categories: the kept cells whose value was not seen in training (read as index 0).</summary>
    public IReadOnlyDictionary<string, long> UnseenCategories { get; init; } = NoInputs;

    // One instance, so that reports without learned categories compare equal (records compare members by reference).
    internal static readonly IReadOnlyDictionary<string, long> NoInputs = new Dictionary<string, long>();

    /// <summary>For example <c>penguins.csv: 342 rows (2 skipped: missing inputs); missing labels: sex 9; categories unseen in training (read as 0): island 3</c>.</summary>
    public override string ToString()
    {
        var text = $"{Source}: {Count(Rows, "row")}";
        if (SkippedRows > 0) text += $" ({SkippedRows.ToString(CultureInfo.InvariantCulture)} skipped: missing inputs)";
        var missing = MissingLabels.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value.ToString(CultureInfo.InvariantCulture)}").ToList();
        if (missing.Count > 0) text += "; missing labels: " + string.Join(", ", missing);
        var unseen = UnseenCategories.Where(p => p.Value > 0).Select(p => $"{p.Key} {p.Value.ToString(CultureInfo.InvariantCulture)}").ToList();
        if (unseen.Count > 0) text += "; categories unseen in training (read as 0): " + string.Join(", ", unseen);
        return text;
    }

    private static string Count(long count, string noun) => $"{count.ToString(CultureInfo.InvariantCulture)} {noun}{(count == 1 ? "" : "s")}";
}
