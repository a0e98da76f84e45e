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
/// <remarks>
/// A category input whose values are learned (<see cref="ColumnSource.LearnsCategories"/>) is read
/// with the vocabulary in <see cref="CsvOptions.Categories"/> when it has one (a value not in it
/// reads as 0 and is counted in <see cref="CsvReport.UnseenCategories"/>); otherwise its vocabulary
/// is learned (<see cref="CategoryVocabulary"/>) from the training rows: every row read by
/// <see cref="Read(string, CsvSchema, IReadOnlyList{TaskSpec}, CsvOptions?)"/>, the training part's
/// rows only by <see cref="ReadSplit(string, CsvSchema, IReadOnlyList{TaskSpec}, double, long, CsvOptions?)"/>.
/// Reading inputs for prediction never learns: it needs the vocabulary.
/// </remarks>
public static class CsvTable
{
    /// <summary>Reads the file at <paramref name="path"/> (UTF-8; messages name it by <paramref name="path"/>) into a dataset of <paramref name="tasks"/>.</summary>
    public static (MultiTaskDataset Data, CsvReport Report) Read(string path, CsvSchema schema, IReadOnlyList<TaskSpec> tasks, CsvOptions? options = null)
    {
        using var reader = Open(path);
        return Read(reader, path, schema, tasks, options);
    }

    /// <summary>Reads CSV text into a dataset of <paramref name="tasks"/>; <paramref name="source"/> names it in messages. Tasks without a label in the schema have no targets.</summary>
    public static (MultiTaskDataset Data, CsvReport Report) Read(TextReader reader, string source, CsvSchema schema, IReadOnlyList<TaskSpec> tasks, CsvOptions? options = null) =>
        ReadDataset(reader, source, schema, tasks, options, LearnFrom.AllRows, trainFraction: 0, seed: 0);

    /// <summary>
    /// Reads the file at <paramref name="path"/> and splits its rows as
    /// <see cref="MultiTaskDataset.Split"/> does for the same fraction and seed; learned
    /// categories are learned from the training part's rows only and then applied to the
    /// validation part (a value only the validation part holds reads as 0, counted in the report).
    /// The report is the file's: rows skipped before the split, missing labels of all kept rows,
    /// and the validation cells whose category the training part did not hold.
    /// </summary>
    public static (MultiTaskDataset Train, MultiTaskDataset Validation, CsvReport Report) ReadSplit(
        string path, CsvSchema schema, IReadOnlyList<TaskSpec> tasks, double trainFraction, long seed, CsvOptions? options = null)
    {
        using var reader = Open(path);
        return ReadSplit(reader, path, schema, tasks, trainFraction, seed, options);
    }

    /// <summary>CSV text read and split as <see cref="ReadSplit(string, CsvSchema, IReadOnlyList{TaskSpec}, double, long, CsvOptions?)"/> does; <paramref name="source"/> names it in messages.</summary>
    public static (MultiTaskDataset Train, MultiTaskDataset Validation, CsvReport Report) ReadSplit(
        TextReader reader, string source, CsvSchema schema, IReadOnlyList<TaskSpec> tasks, double trainFraction, long seed, CsvOptions? options = null)
    {
        if (!(trainFraction > 0 && trainFraction < 1)) throw new ArgumentOutOfRangeException(nameof(trainFraction), trainFraction, "the training fraction must be in (0, 1)");
        var (all, report) = ReadDataset(reader, source, schema, tasks, options, LearnFrom.TrainingPart, trainFraction, seed);
        using (all)
        {
            var (train, validation) = all.Split(trainFraction, seed);
            return (train, validation, report);
        }
    }

    /// <summary>A dataset of <paramref name="tasks"/>, learning what <paramref name="learn"/> says from the rows it says.</summary>
    private static (MultiTaskDataset Data, CsvReport Report) ReadDataset(
        TextReader reader, string source, CsvSchema schema, IReadOnlyList<TaskSpec> tasks, CsvOptions? options, LearnFrom learn, double trainFraction, long seed)
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
        var read = ReadColumns(reader, source, schema, schema.Labels, options, learn, trainFraction, seed);
        return (new MultiTaskDataset(read.Inputs, read.Targets, tasks) { Categories = read.Categories }, read.Report);
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
        var read = ReadColumns(reader, source, schema, [], options, LearnFrom.Nothing, trainFraction: 0, seed: 0);
        foreach (var tensor in read.Inputs.Values) tensor.DetachFromDisposeScope();
        return (read.Inputs, read.Report);
    }

    private static StreamReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file (looked for {Path.GetFullPath(path)})", path);
        return new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
    }

    /// <summary>Which rows a learned vocabulary missing from the options is learned from.</summary>
    private enum LearnFrom
    {
        /// <summary>None: the vocabulary must be given (reading inputs for prediction).</summary>
        Nothing,

        /// <summary>Every row kept: the file is the training data.</summary>
        AllRows,

        /// <summary>The rows the split puts in the training part.</summary>
        TrainingPart,
    }

    private sealed record Columns(
        Dictionary<string, Tensor> Inputs, Dictionary<string, Tensor> Targets, CsvReport Report, IReadOnlyDictionary<string, IReadOnlyList<string>> Categories);

    /// <summary>
    /// The inputs and the labels' targets as tensors (in the caller's dispose scope), the
    /// vocabularies of the learned category inputs, and the report. Every row is read before any
    /// tensor is built, so an error leaves nothing behind.
    /// </summary>
    private static Columns ReadColumns(
        TextReader reader, string source, CsvSchema schema, IReadOnlyList<CsvLabel> labels, CsvOptions? options, LearnFrom learn, double trainFraction, long seed)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(source);
        options ??= new CsvOptions();
        if (schema.Inputs.Count == 0) throw new ArgumentException("the schema has no inputs: a model reads at least one", nameof(schema));
        var twice = schema.Inputs.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"the schema declares input '{twice.Key}' {twice.Count()} times", nameof(schema));
        CheckGiven(schema, options);
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
        var categories = new Dictionary<string, IReadOnlyList<string>>();
        var unseen = new Dictionary<string, long>();
        var training = learn == LearnFrom.TrainingPart ? MultiTaskDataset.SplitRows(kept, trainFraction, seed).Train : null;
        foreach (var input in inputs.Where(i => i.LearnsCategories))
        {
            var vocabulary = options.Categories is { } given && given.TryGetValue(input.Name, out var known)
                ? known
                : learn switch
                {
                    LearnFrom.AllRows => CategoryVocabulary.Learn(input.Texts),
                    LearnFrom.TrainingPart => CategoryVocabulary.Learn(training!.Select(row => input.Texts[(int)row])),
                    _ => throw new ArgumentException($"input '{input.Name}' learns its categories from the training rows, so reading inputs needs its vocabulary: pass CsvOptions.Categories (a trained model's LearnedCategories, or the training dataset's Categories)", nameof(options)),
                };
            categories[input.Name] = vocabulary;
            unseen[input.Name] = input.Index(vocabulary);
        }
        var report = new CsvReport(source, kept, skipped, targets.ToDictionary(t => t.Task.Name, t => t.MissingRows)) { UnseenCategories = unseen.Count == 0 ? CsvReport.NoInputs : unseen };
        return new Columns(inputs.ToDictionary(i => i.Name, i => i.ToTensor(kept)), targets.ToDictionary(t => t.Task.Name, t => t.ToTensor(kept)), report, categories);
    }

    /// <summary>The vocabularies in the options: each of an input of the schema that learns its categories, and well formed.</summary>
    private static void CheckGiven(CsvSchema schema, CsvOptions options)
    {
        if (options.Categories is not { } given) return;
        foreach (var (name, vocabulary) in given)
        {
            var input = schema.Inputs.FirstOrDefault(i => i.Name == name);
            if (input is null || !input.Source.LearnsCategories)
            {
                var learned = schema.Inputs.Where(i => i.Source.LearnsCategories).Select(i => $"'{i.Name}'").ToList();
                throw new ArgumentException($"CsvOptions.Categories has a vocabulary for '{name}', which is not an input that learns its categories (those are: {(learned.Count == 0 ? "none" : string.Join(", ", learned))})", nameof(options));
            }
            if (CategoryVocabulary.Problem($"CsvOptions.Categories of input '{name}'", vocabulary) is { } problem) throw new ArgumentException(problem, nameof(options));
        }
    }
}
