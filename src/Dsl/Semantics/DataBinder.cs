using Mtl.Catalog;
using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Shared = Mtl.Catalog;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Binds where a model's data comes from in a table and how it is prepared: an input's body
/// (<c>columns</c>, <c>category</c>, <c>standardize</c>), a task's <c>label</c> and
/// <c>standardize</c>, and the checks across the model (every input read from the table, no label
/// among the inputs, listed categories that fit the embeddings they feed).
/// </summary>
internal sealed class DataBinder
{
    private const string ColumnsExample = "column names: columns a, b, \"c d\"";
    private const string CategoryExample = "a column and, optionally, its values: category island [Biscoe, Dream, Torgersen]";

    private readonly DiagnosticBag _diagnostics;
    private readonly StatementForms _forms;

    public DataBinder(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
        _forms = new StatementForms(diagnostics);
    }

    /// <summary>The input's column source and whether it is standardised, or null when its body has errors (reported).</summary>
    public (ColumnSource? Source, bool Standardize)? BindInput(InputSyntax input, TensorType type)
    {
        var errors = _diagnostics.ErrorCount;
        var body = _forms.Body(input.Body, "input", DataCatalog.InputStatements);
        var owner = $"input '{input.Name.Text}'";
        ColumnSource? source = null;
        body.TryGetValue(DataCatalog.Columns, out var columns);
        body.TryGetValue(DataCatalog.Category, out var category);
        if (columns is not null && category is not null)
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.OptionsConflict,
                category.Keyword.Span,
                "keep one: 'columns' for numbers, 'category' for one column of names",
                input.Name.Text,
                "'columns' and 'category' cannot go together");
        }
        else if (columns is not null)
        {
            source = BindColumns(owner, type, columns);
        }
        else if (category is not null)
        {
            source = BindCategory(type, category);
        }

        var standardize = false;
        if (body.TryGetValue(DataCatalog.Standardize, out var flag) && Flag(flag))
        {
            standardize = true;
            if (!type.DType.IsFloatingPoint())
            {
                _diagnostics.Report(DiagnosticCode.WrongDType, flag.Keyword.Span, DataCatalog.Standardize, "a float or double", type);
            }
        }

        return _diagnostics.ErrorCount == errors ? (source, standardize) : null;
    }

    /// <summary>A task's label columns and whether its label is standardised, or null on errors (reported).</summary>
    public (ColumnSource? Label, bool Standardize)? BindTask(string task, TaskKind kind, int size, IReadOnlyDictionary<string, StatementSyntax> body)
    {
        var errors = _diagnostics.ErrorCount;
        ColumnSource? label = null;
        if (body.TryGetValue(DataCatalog.Label, out var labelSyntax) && Shared.TaskCatalog.IsDense(kind))
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.DenseLabelColumns,
                labelSyntax.Keyword.Span,
                "remove 'label' and give the targets in the generated example class",
                task,
                TaskCatalog.Describe(kind, size),
                kind == TaskKind.TokenClasses ? "token" : "pixel");
        }
        else if (labelSyntax is not null)
        {
            label = kind is TaskKind.Binary or TaskKind.Classes
                ? BindNamedLabel(task, kind, size, labelSyntax)
                : BindColumns($"task '{task}'", new TensorType(DType.Float, Shape.Of(size)), labelSyntax, TaskCatalog.Describe(kind, size));
        }

        var standardize = false;
        if (body.TryGetValue(DataCatalog.Standardize, out var statement) && Flag(statement))
        {
            standardize = _forms.Check(statement, $"a regression task; task '{task}' is {TaskCatalog.Describe(kind, size)}", kind == TaskKind.Regression);
        }

        return _diagnostics.ErrorCount == errors ? (label, standardize) : null;
    }

    /// <summary>
    /// Across the model: when anything is read from a table every input must be (a table cannot
    /// fill the others), a task without a label column is worth a warning, and a label column read
    /// as an input is an error, and so are more listed categories than an embedding the input
    /// feeds can look up (learned categories are checked when training starts).
    /// </summary>
    public void CheckModel(
        IReadOnlyList<(InputSyntax Syntax, ModelInput Input)> inputs, IReadOnlyList<(TaskSyntax Syntax, TaskHead Task)> tasks, IReadOnlyList<SharedBlock> shared)
    {
        CheckCategoryVocabularies(inputs, shared.Select(b => b.Pipeline).Concat(tasks.Select(t => t.Task.Pipeline)).ToList());
        var withColumns = inputs.Where(i => i.Input.Source is not null).ToList();
        var labelled = tasks.Where(t => t.Task.Label is not null).ToList();
        if (withColumns.Count == 0 && labelled.Count == 0)
        {
            return;
        }

        var reader = withColumns.Count switch
        {
            0 => $"task '{labelled[0].Task.Name}' reads its label",
            1 => $"input '{withColumns[0].Input.Name}' reads",
            _ => $"inputs {string.Join(", ", withColumns.Select(i => "'" + i.Input.Name + "'"))} read",
        };
        foreach (var (syntax, input) in inputs.Where(i => i.Input.Source is null))
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.NoColumns, syntax.Name.Span, "add 'columns ...' or 'category ...' to its body", input.Name, reader);
        }

        foreach (var (syntax, task) in tasks)
        {
            if (task.Label is null)
            {
                _diagnostics.ReportWithFix(
                    DiagnosticCode.NoLabelColumn, syntax.Name.Span, "add 'label <column>' to its body, unless its labels come from elsewhere", task.Name);
                continue;
            }

            foreach (var column in task.Label.Columns)
            {
                if (withColumns.FirstOrDefault(i => i.Input.Source!.Columns.Contains(column)) is { Input: { } input })
                {
                    var span = syntax.Body.First(s => s.Keyword.Text == DataCatalog.Label).Span;
                    _diagnostics.ReportWithFix(
                        DiagnosticCode.LabelAmongInputs, span, $"drop '{column}' from input '{input.Name}'", column, task.Name, input.Name);
                }
            }
        }
    }

    /// <summary>A listed category's index goes up to count − 1, so every embedding the input feeds needs a vocab of at least the count.</summary>
    private void CheckCategoryVocabularies(IReadOnlyList<(InputSyntax Syntax, ModelInput Input)> inputs, IReadOnlyList<Pipeline> pipelines)
    {
        foreach (var (syntax, input) in inputs)
        {
            if (input.Source is not { Categories.Count: > 0 } source || CategoryEmbeddings.Smallest(input.Name, pipelines) is not { } vocab)
            {
                continue;
            }

            var count = source.Categories.Count;
            if (count > vocab)
            {
                var list = syntax.Body.First(s => s.Keyword.Text == DataCatalog.Category).Values[1];
                _diagnostics.ReportWithFix(
                    DiagnosticCode.CategoriesExceedVocabulary,
                    list.Span,
                    $"give the embedding vocab: {count}, or list at most {vocab} categories",
                    input.Name,
                    count,
                    count - 1,
                    vocab);
            }
        }
    }

    /// <summary><c>columns a, b, "c d"</c>: one column per value of an example.</summary>
    private ColumnSource? BindColumns(string owner, TensorType type, StatementSyntax statement, string? kind = null)
    {
        var ok = _forms.Check(statement, ColumnsExample, statement.Values.Count > 0 && statement.Arguments is null && statement.Body is null);
        if (!ok)
        {
            return null;
        }

        if (type.DType == DType.Bool)
        {
            _diagnostics.Report(DiagnosticCode.WrongDType, statement.Keyword.Span, statement.Keyword.Text, "a float, double, long or int", type);
            return null;
        }

        if (Texts(statement, statement.Values, ColumnsExample) is not { } columns)
        {
            return null;
        }

        var count = type.Shape.ElementCount;
        if (columns.Count != count)
        {
            _diagnostics.Report(DiagnosticCode.ColumnCountMismatch, statement.Span, owner, Wording.Count(count, "value"), kind ?? type.ToString(), Wording.Count(count, "column"), columns.Count);
            return null;
        }

        return new ColumnSource(columns.ToEquatableArray(), EquatableArray<string>.Empty);
    }

    /// <summary>
    /// <c>category island [Biscoe, Dream, Torgersen]</c>: a class index from one column of names;
    /// <c>category island</c>: the same, with the names learned from the training rows.
    /// </summary>
    private ColumnSource? BindCategory(TensorType type, StatementSyntax statement)
    {
        var values = statement.Values;
        var ok = _forms.Check(
            statement,
            CategoryExample,
            values.Count is 1 or 2 && values[0] is not ListSyntax && (values.Count == 1 || values[1] is ListSyntax) &&
            statement.Arguments is null && statement.Body is null);
        if (!ok)
        {
            return null;
        }

        if (!type.DType.IsInteger() || type.Shape.Rank != 0)
        {
            _diagnostics.Report(DiagnosticCode.WrongDType, statement.Keyword.Span, DataCatalog.Category, "a long or int scalar (a class index)", type);
            return null;
        }

        var column = Texts(statement, [values[0]], CategoryExample);
        if (values.Count == 1)
        {
            return column is null ? null : new ColumnSource(column.ToEquatableArray(), EquatableArray<string>.Empty, LearnsCategories: true);
        }

        var categories = Categories(statement, (ListSyntax)values[1]);
        return column is null || categories is null ? null : new ColumnSource(column.ToEquatableArray(), categories.ToEquatableArray());
    }

    /// <summary>
    /// A binary or class label: <c>label smoker</c> (0/1, or class indices) or <c>label species [Adelie, Gentoo]</c>
    /// (the values by index: binary lists the negative value, then the positive one).
    /// </summary>
    private ColumnSource? BindNamedLabel(string task, TaskKind kind, int size, StatementSyntax statement)
    {
        const string example = "a column and, optionally, its values: label species [Adelie, Chinstrap, Gentoo]";
        var values = statement.Values;
        var ok = _forms.Check(
            statement,
            example,
            values.Count is 1 or 2 && values[0] is not ListSyntax && (values.Count == 1 || values[1] is ListSyntax) &&
            statement.Arguments is null && statement.Body is null);
        if (!ok || Texts(statement, [values[0]], example) is not { } column)
        {
            return null;
        }

        if (values.Count == 1)
        {
            return new ColumnSource(column.ToEquatableArray(), EquatableArray<string>.Empty);
        }

        var list = (ListSyntax)values[1];
        if (Categories(statement, list) is not { } categories)
        {
            return null;
        }

        var expected = kind == TaskKind.Binary ? 2 : size;
        if (categories.Count != expected)
        {
            _diagnostics.Report(DiagnosticCode.CategoryCountMismatch, list.Span, task, TaskCatalog.Describe(kind, size), expected, categories.Count);
            return null;
        }

        return new ColumnSource(column.ToEquatableArray(), categories.ToEquatableArray());
    }

    /// <summary>The listed values of a category column: names, numbers or strings, at least one, each once.</summary>
    private List<string>? Categories(StatementSyntax statement, ListSyntax list)
    {
        var ok = _forms.Check(statement, "at least one value in '[ ]'", list.Items.Count > 0);
        var values = Distinct(statement, list.Items, "names, numbers or strings in '[ ]'", item => item switch
        {
            NameSyntax name => name.Text,
            StringSyntax value => value.Value,
            NumberSyntax number => number.Text,
            _ => null,
        });
        return ok ? values : null;
    }

    /// <summary>Column names written as names or strings, each once and none empty.</summary>
    private List<string>? Texts(StatementSyntax statement, IEnumerable<ValueSyntax> values, string expected) =>
        Distinct(statement, values, expected, value => value switch
        {
            NameSyntax name => name.Text,
            StringSyntax { Value.Length: > 0 } column => column.Value,
            _ => null,
        });

    /// <summary>The text of each value (null from <paramref name="text"/> is the wrong form), each once; null when any is reported.</summary>
    private List<string>? Distinct(StatementSyntax statement, IEnumerable<ValueSyntax> values, string expected, Func<ValueSyntax, string?> text)
    {
        var texts = new List<string>();
        var ok = true;
        foreach (var value in values)
        {
            if (text(value) is not { } written)
            {
                _diagnostics.Report(DiagnosticCode.StatementForm, value.Span, statement.Keyword.Text, expected);
                ok = false;
            }
            else if (texts.Contains(written))
            {
                _diagnostics.Report(DiagnosticCode.DuplicateArgument, value.Span, written, statement.Keyword.Text);
                ok = false;
            }
            else
            {
                texts.Add(written);
            }
        }

        return ok ? texts : null;
    }

    /// <summary><c>standardize</c> alone.</summary>
    private bool Flag(StatementSyntax statement) =>
        _forms.Check(statement, "nothing after it", statement.Values.Count == 0 && statement.Arguments is null && statement.Body is null);
}
