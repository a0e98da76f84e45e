using System.Text;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Data;

/// <summary>
/// Reads a model's data from a CSV file by a <see cref="CsvSchema"/>: a header row naming the
/// columns (matched exactly), then one row per example; RFC 4180 quoting (commas, quotes and line
/// breaks inside quoted fields) and numbers in the invariant culture, whatever the current one.
/// Inputs must be present and finite (a row missing one is an error, or skipped and counted with
/// <see cref="CsvOptions.SkipRowsWithMissingInputs"/>); a missing label is a missing label, counted
/// per task, or an error for a task that forbids them. Errors are <see cref="CsvDataException"/>s
/// naming the file, line, column and cell; a schema that does not fit its tasks is an
/// <see cref="ArgumentException"/>. Every row is kept or counted: the <see cref="CsvReport"/> says
/// how many were read, skipped and missing labels.
/// </summary>
public static class CsvTable
{
    /// <summary>Reads the file at <paramref name="path"/> (UTF-8; messages name it by <paramref name="path"/>) into a dataset of <paramref name="tasks"/>.</summary>
    public static (MultiTaskDataset Data, CsvReport Report) Read(string path, CsvSchema schema, IReadOnlyList<TaskSpec> tasks, CsvOptions? options = null)
    {
        using var reader = Open(path);
        return Read(reader, path, schema, tasks, options);
    }

    /// <summary>Reads CSV text into a dataset of <paramref name="tasks"/>; <paramref name="source"/> names it in messages. Tasks without a label in the schema have no targets.</summary>
    public static (MultiTaskDataset Data, CsvReport Report) Read(TextReader reader, string source, CsvSchema schema, IReadOnlyList<TaskSpec> tasks, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(tasks);
        foreach (var label in schema.Labels)
        {
            if (!tasks.Any(t => t.Name == label.Task.Name)) throw new ArgumentException($"the schema has a label for task '{label.Task.Name}', which is not one of the tasks ({string.Join(", ", tasks.Select(t => t.Name))})", nameof(schema));
        }
        var duplicate = schema.Labels.GroupBy(l => l.Task.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"the schema has {duplicate.Count()} labels for task '{duplicate.Key}'", nameof(schema));
        // The dataset takes the tensors out of the scope; if it rejects them, the scope frees them.
        using var scope = NewDisposeScope();
        var (inputs, targets, report) = ReadColumns(reader, source, schema, schema.Labels, options);
        return (new MultiTaskDataset(inputs, targets, tasks), report);
    }

    /// <summary>Reads the inputs only (label columns need not exist), for prediction; the caller owns the tensors.</summary>
    public static (IReadOnlyDictionary<string, Tensor> Inputs, CsvReport Report) ReadInputs(string path, CsvSchema schema, CsvOptions? options = null)
    {
        using var reader = Open(path);
        return ReadInputs(reader, path, schema, options);
    }

    /// <summary>Reads the inputs only (label columns need not exist), for prediction; the caller owns the tensors.</summary>
    public static (IReadOnlyDictionary<string, Tensor> Inputs, CsvReport Report) ReadInputs(TextReader reader, string source, CsvSchema schema, CsvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        using var scope = NewDisposeScope();
        var (inputs, _, report) = ReadColumns(reader, source, schema, [], options);
        foreach (var tensor in inputs.Values) tensor.DetachFromDisposeScope();
        return (inputs, report);
    }

    private static StreamReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (looked for {Path.GetFullPath(path)})", path);
        return new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
    }

    /// <summary>
    /// The inputs and the labels' targets as tensors (in the caller's dispose scope), and
    /// the report. Every row is read before any tensor is built, so an error leaves nothing behind.
    /// </summary>
    private static (Dictionary<string, Tensor> Inputs, Dictionary<string, Tensor> Targets, CsvReport Report) ReadColumns(
        TextReader reader, string source, CsvSchema schema, IReadOnlyList<CsvLabel> labels, CsvOptions? options)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CsvOptions();
        if (schema.Inputs.Count == 0) throw new ArgumentException("the schema has no inputs: a model reads at least one", nameof(schema));
        var twice = schema.Inputs.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"the schema declares input '{twice.Key}' {twice.Count()} times", nameof(schema));
        var cells = new CsvCells(options.MissingValues);
        using var rows = new CsvRows(reader, source);
        var inputs = schema.Inputs.Select(i => new CsvInputReader(i, rows, cells)).ToList();
        var targets = labels.Select(l => new CsvLabelReader(l, rows, cells)).ToList();
        long kept = 0, skipped = 0;
        while (rows.Next())
        {
            if (options.SkipRowsWithMissingInputs && inputs.Any(i => i.IsMissing(rows)))
            {
                skipped++;
                continue;
            }
            foreach (var input in inputs) input.Read(rows);
            foreach (var target in targets) target.Read(rows);
            kept++;
        }
        if (rows.Count == 0) throw new CsvDataException(source, 2, null, null, "no data rows: the file has only its header");
        if (kept == 0) throw new CsvDataException(source, rows.Line, null, null, $"no data rows left: each of the {rows.Count} rows misses an input and was skipped");
        var report = new CsvReport(source, kept, skipped, targets.ToDictionary(t => t.Task.Name, t => t.MissingRows));
        return (inputs.ToDictionary(i => i.Name, i => i.ToTensor(kept)), targets.ToDictionary(t => t.Task.Name, t => t.ToTensor(kept)), report);
    }
}
