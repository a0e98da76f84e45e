using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mtl.Training;

/// <summary>
/// One JSON object per epoch, appended to a .jsonl file: losses, weights, metrics, learning rates,
/// time, for a model with mixtures of experts their mean gate weights (<c>gates</c>: block, task,
/// one weight per expert), for <c>regularize mtrl</c> the task covariance (<c>omega</c>, rows in task order),
/// and with <see cref="TrainerOptions.Relatedness"/> the epoch's
/// <see cref="TaskRelatedness"/> (<c>relatedness</c>: <c>samples</c>, <c>cosine</c> and
/// <c>norm_ratio</c> by task pair, <c>share</c> by task), and <c>best: true</c> on an epoch whose
/// early-stopping monitor was a new best (<see cref="EpochRecord.Best"/>). A task's loss or metric that has no value (no labelled example) is left out of its object.
/// </summary>
public static class TrainingLog
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The record as one JSON object; <c>stage</c> (after <c>epoch</c>) only for a run with stages, so a run without writes what it always has.</summary>
    public static string ToJson(EpochRecord record)
    {
        var json = new JsonObject { ["epoch"] = record.Epoch };
        if (record.Stage is { } stage) json["stage"] = stage;
        json["step"] = record.Step;
        json["loss"] = JsonSerializer.SerializeToNode(record.TrainLoss, Json);
        json["losses"] = JsonSerializer.SerializeToNode(record.TaskLosses, Json);
        json["weights"] = JsonSerializer.SerializeToNode(record.Weights, Json);
        json["lr"] = JsonSerializer.SerializeToNode(record.LearningRates, Json);
        json["validation"] = JsonSerializer.SerializeToNode(record.Validation, Json);
        json["seconds"] = JsonSerializer.SerializeToNode(record.Seconds, Json);
        if (record.Best) json["best"] = true;
        if (record.Gates is { } gates) json["gates"] = JsonSerializer.SerializeToNode(gates, Json);
        if (record.Omega is { } omega) json["omega"] = JsonSerializer.SerializeToNode(omega, Json);
        if (record.Relatedness is { } related)
        {
            json["relatedness"] = new JsonObject
            {
                ["samples"] = related.Samples,
                ["cosine"] = JsonSerializer.SerializeToNode(related.Cosine, Json),
                ["norm_ratio"] = JsonSerializer.SerializeToNode(related.NormRatio, Json),
                ["share"] = JsonSerializer.SerializeToNode(related.Share, Json),
            };
        }
        return json.ToJsonString(Json);
    }

    public static EpochRecord FromJson(string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        return new EpochRecord(
            root.GetProperty("epoch").GetInt32(),
            root.GetProperty("step").GetInt64(),
            Number(root.GetProperty("loss")),
            Map(root.GetProperty("losses")),
            Map(root.GetProperty("weights")),
            root.GetProperty("lr").EnumerateArray().Select(Number).ToList(),
            Map(root.GetProperty("validation")),
            Number(root.GetProperty("seconds")))
        {
            Stage = root.TryGetProperty("stage", out var stage) ? stage.GetString() ?? throw new FormatException("'stage' must be a string") : null,
            Gates = root.TryGetProperty("gates", out var gates) ? Gates(gates) : null,
            Omega = root.TryGetProperty("omega", out var omega) ? omega.EnumerateArray().Select(row => (IReadOnlyList<double>)row.EnumerateArray().Select(Number).ToList()).ToList() : null,
            Relatedness = root.TryGetProperty("relatedness", out var related) ? Relatedness(related) : null,
            Best = root.TryGetProperty("best", out var best) && best.GetBoolean(),
        };
    }

    /// <summary>Reads a whole log back (the report and resumed runs use it).</summary>
    public static IReadOnlyList<EpochRecord> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(FromJson).ToList();

    /// <summary>
    /// Replaces the log with <paramref name="history"/> (an empty file for none), atomically: a
    /// crash while rewriting leaves the old log. A resumed run starts from here, so epochs logged
    /// after the checkpoint it resumes from, or a line cut short by a crash, do not stay.
    /// </summary>
    internal static void Rewrite(string? path, IReadOnlyList<EpochRecord> history)
    {
        if (path is null) return;
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full);
        if (folder is not null) Directory.CreateDirectory(folder);
        var temporary = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temporary, string.Concat(history.Select(r => ToJson(r) + "\n")));
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    internal static void Append(string? path, EpochRecord record)
    {
        if (path is null) return;
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.AppendAllText(path, ToJson(record) + "\n");
    }

    private static double Number(JsonElement element) => element.ValueKind == JsonValueKind.String
        ? double.Parse(element.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
        : element.GetDouble();

    private static Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<double>>> Gates(JsonElement element) =>
        element.EnumerateObject().ToDictionary(
            block => block.Name,
            block => (IReadOnlyDictionary<string, IReadOnlyList<double>>)block.Value.EnumerateObject()
                .ToDictionary(task => task.Name, task => (IReadOnlyList<double>)task.Value.EnumerateArray().Select(Number).ToList()));

    private static TaskRelatedness Relatedness(JsonElement element) => new(
        element.GetProperty("samples").GetInt32(),
        Pairs(element.GetProperty("cosine")),
        Pairs(element.GetProperty("norm_ratio")),
        Map(element.GetProperty("share")));

    private static Dictionary<string, IReadOnlyDictionary<string, double>> Pairs(JsonElement element) =>
        element.EnumerateObject().ToDictionary(a => a.Name, a => (IReadOnlyDictionary<string, double>)Map(a.Value));

    private static Dictionary<string, double> Map(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => p.Name, p => Number(p.Value));
}
