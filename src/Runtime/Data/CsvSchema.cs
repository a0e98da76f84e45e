using Mtl.Torch;

namespace Mtl.Data;

/// <summary>
/// Where an input's or a label's values come from: the columns (one per element, row-major, for
/// numeric data; exactly one for a category column) and, for a category column, the listed values
/// in index order (the first is index 0), or <see cref="LearnsCategories"/>: the values are learned
/// from the training rows (see <see cref="CategoryVocabulary"/>).
/// </summary>
public sealed record ColumnSource(IReadOnlyList<string> Columns, IReadOnlyList<string>? Categories = null, bool LearnsCategories = false);

/// <summary>
/// A model input read from a CSV file: its name, element type and per-example shape (the source
/// has one column per element, row-major), or a category column (an int64/int32 scalar input whose
/// cells are one of <see cref="ColumnSource.Categories"/>, or of a learned vocabulary).
/// </summary>
public sealed record CsvInput(string Name, ScalarType DType, long[] Shape, ColumnSource Source);

/// <summary>
/// A task's label read from a CSV file: one column for binary and classes(k) (a 0/1 or integer
/// cell, or one of the listed categories), n columns of numbers for regression(n), k columns of
/// 0/1 cells for multilabel(k).
/// </summary>
public sealed record CsvLabel(TaskSpec Task, ColumnSource Source);

/// <summary>What a CSV file holds for a model: its inputs and the labels of some of its tasks.</summary>
public sealed record CsvSchema(IReadOnlyList<CsvInput> Inputs, IReadOnlyList<CsvLabel> Labels);
