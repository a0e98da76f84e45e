using Mtl.Catalog;

namespace Mtl.Data;

/// <summary>How <see cref="CsvTable"/> treats missing cells.</summary>
public sealed record CsvOptions
{
    /// <summary>
    /// Whether a row with a missing input cell is skipped (and counted in
    /// <see cref="CsvReport.SkippedRows"/>) rather than an error. A missing label is never a
    /// reason to skip: it is a missing label (see <see cref="TaskSpec.MissingLabels"/>).
    /// </summary>
    public bool SkipRowsWithMissingInputs { get; init; }

    /// <summary>The cells that hold no value, compared after trimming spaces (by default <see cref="DataCatalog.MissingValues"/>).</summary>
    public IReadOnlyList<string> MissingValues { get; init; } = DataCatalog.MissingValues;
}
