using Mtl.Catalog;

namespace Mtl.Data;

/// <summary>How <see cref="CsvTable"/> treats missing cells, and the learned categories it reads with.</summary>
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

    /// <summary>
    /// Learned vocabularies to read with, by input name (those of a training dataset,
    /// <see cref="MultiTaskDataset.Categories"/>, or of a trained model,
    /// <see cref="Training.MultiTaskModule.LearnedCategories"/>): a cell of a learned category
    /// input becomes its index in that vocabulary, and a value it does not hold becomes 0 and is
    /// counted in <see cref="CsvReport.UnseenCategories"/>. A learned input without an entry learns
    /// its vocabulary from the rows read, which are then the training rows.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Categories { get; init; }
}
