namespace Mtl.Dsl.Model;

/// <summary>
/// Where an input's or a task label's values come from in a table (a CSV file): the columns, by
/// header name, one per value of an example in row-major order; for a category column (one
/// column) or a named-label column, the values it may hold, in index order.
/// </summary>
/// <param name="Categories">Empty unless the values are listed: <c>category island [Biscoe, Dream]</c>, <c>label species [Adelie, Gentoo]</c>.</param>
/// <param name="LearnsCategories">
/// <c>category island</c> without a list: the values are learned from the training rows (in
/// ordinal order, index 0 kept for a value not seen in training), then fixed and saved with the model.
/// </param>
public sealed record ColumnSource(EquatableArray<string> Columns, EquatableArray<string> Categories, bool LearnsCategories = false)
{
    /// <summary>Whether the column is a category column: its values listed or learned.</summary>
    public bool IsCategory => LearnsCategories || Categories.Count > 0;
}
