namespace Mtl.Catalog;

/// <summary>
/// Where a model's data comes from in a table and how it is prepared: the statements of an
/// <c>input { }</c> body and the data statements of a task body, and how a CSV cell is read (which
/// cells mean "no value", which spell a boolean). The language checks files against it and the
/// runtime's CSV reader reads cells by it.
/// </summary>
public static class DataCatalog
{
    /// <summary><c>columns a, b, "c d"</c>: the numeric columns that fill an input, in element order.</summary>
    public const string Columns = "columns";

    /// <summary>
    /// <c>category island [Biscoe, Dream, Torgersen]</c>: one column whose values become a class
    /// index (from 0, in list order); <c>category island</c>: the values are learned from the
    /// training rows (from 1, in ordinal order, after <see cref="UnseenCategory"/>).
    /// </summary>
    public const string Category = "category";

    /// <summary>The class index of a value that a learned category column did not see in its training rows.</summary>
    public const int UnseenCategory = 0;

    /// <summary><c>standardize</c>: (x − mean) / std with statistics fitted on the training data only.</summary>
    public const string Standardize = "standardize";

    /// <summary><c>label species [Adelie, Chinstrap, Gentoo]</c>: the column(s) holding a task's label.</summary>
    public const string Label = "label";

    /// <summary>What an <c>input { }</c> body may say.</summary>
    public static IReadOnlyList<string> InputStatements { get; } = [Columns, Category, Standardize];

    /// <summary>The data statements of a task body (the others are in <see cref="TaskCatalog"/>).</summary>
    public static IReadOnlyList<string> TaskStatements { get; } = [Label, Standardize];

    /// <summary>
    /// Cells that hold no value, compared after trimming spaces: empty, and <c>NA</c> (what R and
    /// pandas write for a missing value). In a label column such a cell is a missing label.
    /// </summary>
    public static IReadOnlyList<string> MissingValues { get; } = ["", "NA"];

    /// <summary>Spellings of true in a 0/1 column (binary and multilabel labels), compared ignoring case.</summary>
    public static IReadOnlyList<string> TrueValues { get; } = ["1", "true"];

    /// <summary>Spellings of false in a 0/1 column, compared ignoring case.</summary>
    public static IReadOnlyList<string> FalseValues { get; } = ["0", "false"];
}
