using System.Text.Json;
using System.Text.Json.Nodes;
using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// Everything a run needs to continue exactly as if it had not stopped, in one safetensors file:
/// model weights (<c>model.*</c>), optimizer state (<c>optimizer.{parameter}.{name}</c>), the
/// weighting method's parameters (<c>weighting.{i}</c>), the best weights so far (<c>best.*</c>),
/// libtorch's generator state (<c>rng</c>), and as JSON metadata the epoch, step, optimizer steps
/// and group options, scheduler and weighting state, early-stopping state, the shuffling
/// generator and the history. Written atomically: a crash mid-write never replaces a good file.
/// </summary>
public static class Checkpoint
{
    private const string MetadataKey = "mtl.checkpoint";
    private const int Version = 1;

    public static void Save(string path, Trainer trainer)
    {
        using var scope = NewDisposeScope();
        var parts = trainer.Parts;
        var loop = trainer.Loop;
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (key, value) in parts.Model.state_dict()) tensors["model." + key] = value;
        using var optimizer = parts.Optimizer.state_dict();
        var steps = new JsonObject();
        foreach (var (index, entry) in optimizer.state)
        {
            steps[index.ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry.step;
            foreach (var (name, tensor) in entry.tensors) tensors[$"optimizer.{index}.{name}"] = tensor;
        }
        var weightingParameters = parts.Weighting.parameters().ToList();
        for (var i = 0; i < weightingParameters.Count; i++) tensors[$"weighting.{i}"] = weightingParameters[i];
        if (parts.BestWeights.Tensors is { } best)
        {
            foreach (var (key, value) in best) tensors["best." + key] = value;
        }
        tensors["rng"] = get_rng_state();
        var earlyStop = parts.EarlyStop.State;
        var schedule = parts.Schedule.State;
        var meta = new JsonObject
        {
            ["version"] = Version,
            ["epoch"] = loop.Epoch,
            ["step"] = loop.Step,
            ["random"] = loop.Random.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["best_value"] = Number(earlyStop.BestValue),
            ["stale_epochs"] = earlyStop.StaleEpochs,
            ["optimizer_steps"] = steps,
            ["optimizer_groups"] = new JsonArray(optimizer.param_groups.Select(g => (JsonNode)new JsonObject
            {
                ["options"] = Numbers(g.options),
                ["initial_lr"] = g.initial_lr is { } lr ? Number(lr) : null,
            }).ToArray()),
            ["scheduler"] = schedule.Scheduler is { } s ? Numbers(s) : null,
            ["plateau"] = schedule.Plateau is { } p ? Numbers(p) : null,
            ["weighting"] = Numbers(parts.Weighting.state_dict()),
            ["history"] = new JsonArray(loop.History.Select(r => JsonNode.Parse(TrainingLog.ToJson(r))).ToArray()),
        };
        save_safetensors(tensors, path, new Dictionary<string, string> { [MetadataKey] = ToJsonString(meta) });
    }

    /// <summary>Restores a checkpoint into a trainer built with the same model, tasks, optimizer and options.</summary>
    public static void Load(string path, Trainer trainer)
    {
        using var content = load_safetensors(path);
        if (!content.metadata.TryGetValue(MetadataKey, out var text))
        {
            throw new InvalidDataException($"{path}: not an Mtl checkpoint (its metadata has no '{MetadataKey}')");
        }
        var meta = JsonNode.Parse(text)?.AsObject() ?? throw new InvalidDataException($"{path}: the checkpoint metadata is empty");
        var version = meta["version"]?.GetValue<int>();
        if (version != Version) throw new InvalidDataException($"{path}: checkpoint version {version} is not supported (expected {Version})");

        var parts = trainer.Parts;
        parts.Model.load_state_dict(Prefixed(content, "model."));

        var groups = meta["optimizer_groups"]!.AsArray();
        var index = 0;
        var groupStates = new List<OptimizerState.Group>();
        for (var g = 0; g < parts.Optimizer.param_groups.Count; g++)
        {
            var count = parts.Optimizer.param_groups[g].parameters.Count;
            var group = g < groups.Count ? groups[g]!.AsObject() : throw new InvalidDataException($"{path}: the checkpoint has {groups.Count} parameter groups but the optimizer has {parts.Optimizer.param_groups.Count}");
            groupStates.Add(new OptimizerState.Group(Enumerable.Range(index, count).ToList(), ReadNumbers(group["options"]), group["initial_lr"] is { } lr ? ReadNumber(lr) : null));
            index += count;
        }
        var entries = new Dictionary<int, OptimizerState.Entry>();
        foreach (var (key, step) in meta["optimizer_steps"]!.AsObject())
        {
            var parameter = int.Parse(key, System.Globalization.CultureInfo.InvariantCulture);
            entries[parameter] = new OptimizerState.Entry(step!.GetValue<long>(), Prefixed(content, $"optimizer.{parameter}."));
        }
        parts.Optimizer.load_state_dict(new OptimizerState(entries, groupStates));

        parts.Schedule.Restore(new ScheduleState(meta["scheduler"] is { } s ? ReadNumbers(s) : null, meta["plateau"] is { } p ? ReadNumbers(p) : null));
        parts.Weighting.load_state_dict(ReadNumbers(meta["weighting"]));
        var weightingParameters = parts.Weighting.parameters().ToList();
        for (var i = 0; i < weightingParameters.Count; i++)
        {
            if (!content.tensors.TryGetValue($"weighting.{i}", out var value)) throw new InvalidDataException($"{path}: weighting parameter {i} is missing");
            weightingParameters[i].copy_(value);
        }
        set_rng_state(content.tensors["rng"]);

        var history = meta["history"]!.AsArray().Select(n => TrainingLog.FromJson(n!.ToJsonString())).ToList();
        var loop = new LoopState(
            meta["epoch"]!.GetValue<int>(),
            meta["step"]!.GetValue<long>(),
            ulong.Parse(meta["random"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
            history);
        var earlyStop = new EarlyStopState(ReadNumber(meta["best_value"]!), meta["stale_epochs"]!.GetValue<int>());
        parts.EarlyStop.Restore(earlyStop);
        parts.BestWeights.Load(Prefixed(content, "best."));
        trainer.Restore(loop);
    }

    /// <summary>
    /// <see cref="JsonNode.ToJsonString"/> without its pooled buffer: the metadata grows with the
    /// history, and each larger buffer rented from the shared pool stayed there after the save.
    /// </summary>
    private static string ToJsonString(JsonNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream)) node.WriteTo(writer, TrainingLog.Json);
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static Dictionary<string, Tensor> Prefixed(SafetensorsContent content, string prefix) =>
        content.tensors.Where(t => t.Key.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(t => t.Key[prefix.Length..], t => t.Value);

    // Non-finite numbers (a plateau's best of +inf, say) are kept as strings.
    private static JsonNode Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static JsonObject Numbers(IReadOnlyDictionary<string, double> values)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values) result[key] = Number(value);
        return result;
    }

    private static double ReadNumber(JsonNode node) => node.GetValueKind() == JsonValueKind.String
        ? double.Parse(node.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
        : node.GetValue<double>();

    private static Dictionary<string, double> ReadNumbers(JsonNode? node) =>
        node is null ? new() : node.AsObject().ToDictionary(p => p.Key, p => ReadNumber(p.Value!));
}
