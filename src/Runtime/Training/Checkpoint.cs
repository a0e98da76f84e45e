using System.Globalization;
using System.Text;
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
/// generator, the history and the model's learned category vocabularies (<c>categories</c>, by
/// input name; absent when it has none). Written atomically: a crash mid-write never replaces a
/// good file.
/// </summary>
/// <remarks>
/// <para>Integrity (version 2): the metadata keeps the CRC-32C of every tensor's bytes
/// (<c>crc32c</c>, by tensor name), and <c>mtl.checkpoint.crc32c</c> beside it keeps the CRC-32C
/// of the metadata itself, so a damaged byte anywhere in the file is found: in the header by the
/// format's checks and the trainer's expected names, dtypes and shapes, in the metadata by its
/// checksum, in a tensor by its own. See <see cref="TensorDigest"/> for why CRC-32C. Floating
/// tensors must be finite to be saved and to be loaded. Version-1 files (no checksums) still load,
/// with every other check.</para>
/// <para>Loading is all or nothing: the metadata is read first (without reading any tensor, so a
/// file that is not a checkpoint is turned away at once), then every tensor name, dtype and shape
/// is checked against the trainer before any tensor is read, then the data against its checksums,
/// then every part's state against that part; only then is anything applied. Every problem is a
/// <see cref="CheckpointException"/> naming the file and the entry.</para>
/// </remarks>
public static class Checkpoint
{
    private const string MetadataKey = "mtl.checkpoint";
    private const string MetadataChecksumKey = "mtl.checkpoint.crc32c";
    private const string ChecksumsField = "crc32c";
    private const string CategoriesField = "categories";
    private const int Version = 2;
    private const int FirstVersion = 1;

    /// <summary>
    /// Writes the trainer's state to <paramref name="path"/>, replacing it atomically. Refuses,
    /// with a <see cref="CheckpointException"/> and before touching the file, a state with NaN or
    /// infinite weights, optimizer state, weighting parameters or best weights.
    /// </summary>
    public static void Save(string path, Trainer trainer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(trainer);
        using var scope = NewDisposeScope();
        var parts = trainer.Parts;
        var loop = trainer.Loop;
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (key, value) in parts.Model.state_dict()) tensors["model." + key] = value;
        using var optimizer = parts.Optimizer.state_dict();
        var steps = new JsonObject();
        foreach (var (index, entry) in optimizer.state)
        {
            steps[index.ToString(CultureInfo.InvariantCulture)] = entry.step;
            foreach (var (name, tensor) in entry.tensors) tensors[$"optimizer.{index}.{name}"] = tensor;
        }
        var weightingParameters = parts.Weighting.parameters().ToList();
        for (var i = 0; i < weightingParameters.Count; i++) tensors[$"weighting.{i}"] = weightingParameters[i];
        if (parts.BestWeights.Tensors is { } best)
        {
            foreach (var (key, value) in best) tensors["best." + key] = value;
        }
        tensors["rng"] = get_rng_state();

        var checksums = new JsonObject();
        var nonFinite = new List<string>();
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var digest = TensorDigest.Of(tensor);
            if (!digest.IsFinite) nonFinite.Add($"'{name}' holds {digest.DescribeNonFinite()}");
            checksums[name] = Hex(digest.Crc32C);
        }
        if (nonFinite.Count > 0)
        {
            throw new CheckpointException(path, $"not saved, the file is left as it was: {string.Join("; ", nonFinite.Take(5))}{(nonFinite.Count > 5 ? $"; and {nonFinite.Count - 5} more tensors" : "")}");
        }

        var earlyStop = parts.EarlyStop.State;
        var schedule = parts.Schedule.State;
        var meta = new JsonObject
        {
            ["version"] = Version,
            ["epoch"] = loop.Epoch,
            ["step"] = loop.Step,
            ["random"] = loop.Random.ToString(CultureInfo.InvariantCulture),
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
            [ChecksumsField] = checksums,
        };
        if (parts.Model.LearnedCategories.Count > 0)
        {
            var categories = new JsonObject();
            foreach (var (input, vocabulary) in parts.Model.LearnedCategories.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                categories[input] = new JsonArray(vocabulary.Select(v => (JsonNode)JsonValue.Create(v)).ToArray());
            }
            meta[CategoriesField] = categories;
        }
        if (loop.Stage is { } stage)
        {
            meta["stage"] = stage.Index;
            meta["stage_epoch"] = stage.Epoch;
            meta["stage_start_step"] = stage.StartStep;
        }
        var text = ToJsonString(meta);
        save_safetensors(tensors, path, new Dictionary<string, string>
        {
            [MetadataKey] = text,
            [MetadataChecksumKey] = Hex(TensorDigest.Crc32COf(Encoding.UTF8.GetBytes(text))),
        });
    }

    /// <summary>
    /// Restores a checkpoint into a trainer built with the same model, tasks, optimizer and
    /// options: all of it, or, with a <see cref="CheckpointException"/>, nothing. A file that cannot
    /// be opened or read gives the usual <see cref="IOException"/>.
    /// </summary>
    public static void Load(string path, Trainer trainer)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(trainer);
        var metadata = Safely(path, () => Safetensors.ReadMetadata(path));
        var saved = Saved.Parse(path, metadata);
        var stage = CheckStage(path, saved, trainer);
        // A checkpoint of another stage loads into that stage's parts, built afresh; the trainer
        // enters the stage only once everything has been checked.
        var prepared = stage is { } position && position.Index != trainer.Loop.Stage!.Index ? trainer.Prepare(position.Index) : null;
        try
        {
            Load(path, trainer, prepared is null ? trainer.Parts : trainer.PartsOf(prepared), saved, metadata, prepared);
        }
        catch when (prepared is not null)
        {
            prepared.Optimizer.Dispose();
            throw;
        }
    }

    /// <summary>The stage position of the checkpoint: present exactly when the trainer has stages, and within them.</summary>
    private static StagePosition? CheckStage(string path, Saved saved, Trainer trainer)
    {
        var stages = trainer.Stages;
        if (saved.Stage is not { } stage)
        {
            if (stages.Count > 0) throw new CheckpointException(path, "the metadata has no 'stage': it was written by a trainer without stages, and this one has stages");
            return null;
        }
        if (stages.Count == 0) throw new CheckpointException(path, $"it was written by a trainer with stages (it is in stage {stage.Index + 1}), and this one has none");
        if (stage.Index >= stages.Count) throw new CheckpointException(path, $"'stage' is {stage.Index} but the trainer has {stages.Count} stages");
        if (stage.Epoch > stages[stage.Index].Epochs) throw new CheckpointException(path, $"'stage_epoch' is {stage.Epoch} but stage '{stages[stage.Index].Name}' has {stages[stage.Index].Epochs} epochs");
        if (stage.StartStep > saved.Step) throw new CheckpointException(path, $"'stage_start_step' is {stage.StartStep}, after 'step' {saved.Step}");
        var named = saved.History.Skip(saved.History.Count - stage.Epoch).FirstOrDefault(r => r.Stage != stages[stage.Index].Name);
        if (named is not null) throw new CheckpointException(path, $"history[{named.Epoch - 1}] belongs to stage '{named.Stage}', not to stage '{stages[stage.Index].Name}' the checkpoint is in");
        return stage;
    }

    private static void Load(string path, Trainer trainer, TrainerParts parts, Saved saved, IReadOnlyDictionary<string, string> metadata, Trainer.StageParts? prepared)
    {

        // What the metadata alone says, against the parts, before any tensor is read.
        if (saved.OptimizerGroups.Count != parts.Optimizer.param_groups.Count)
        {
            throw new CheckpointException(path, $"'optimizer_groups' has {saved.OptimizerGroups.Count} parameter groups but the optimizer has {parts.Optimizer.param_groups.Count}");
        }
        var schedule = new ScheduleState(saved.Scheduler, saved.Plateau);
        Check(path, saved.Plateau is null ? "scheduler" : "scheduler / plateau", () => parts.Schedule.Check(schedule));
        CheckKeys(path, "weighting", saved.Weighting.Keys, parts.Weighting.state_dict().Keys, parts.Weighting.GetType().Name);
        CheckCategories(path, saved.Categories, parts.Model);
        if (trainer.RelationProblem(saved.History) is { } relation) throw new CheckpointException(path, relation);

        using var scope = NewDisposeScope();
        var expected = new Expected(parts, saved);
        using var content = Safely(path, () => Safetensors.Load(path, device: null, header => expected.CheckHeader(path, header, metadata)));
        CheckData(path, content, saved);

        // The optimizer's state, built from the tensors and checked by the optimizer itself.
        var groups = new List<OptimizerState.Group>();
        var index = 0;
        for (var g = 0; g < saved.OptimizerGroups.Count; g++)
        {
            var count = parts.Optimizer.param_groups[g].parameters.Count;
            groups.Add(new OptimizerState.Group(Enumerable.Range(index, count).ToList(), saved.OptimizerGroups[g].Options, saved.OptimizerGroups[g].InitialLr));
            index += count;
        }
        var entries = saved.OptimizerSteps.ToDictionary(s => s.Key, s => new OptimizerState.Entry(s.Value, Prefixed(content, $"optimizer.{s.Key}.")));
        var optimizerState = new OptimizerState(entries, groups);
        Check(path, "optimizer_groups / optimizer_steps", () => parts.Optimizer.check_state_dict(optimizerState));
        var best = Prefixed(content, "best.");

        // libtorch checks a generator state as it takes it: the one step that may still refuse, so it goes first.
        var rng = content.tensors["rng"];
        Check(path, "rng", () => set_rng_state(rng));

        if (prepared is not null) trainer.Enter(prepared);
        parts.Model.load_state_dict(Prefixed(content, "model."));
        parts.Optimizer.load_state_dict(optimizerState);
        parts.Schedule.Restore(schedule);
        parts.Weighting.load_state_dict(saved.Weighting);
        var weightingParameters = parts.Weighting.parameters().ToList();
        for (var i = 0; i < weightingParameters.Count; i++) weightingParameters[i].copy_(content.tensors[$"weighting.{i}"]);
        parts.EarlyStop.Restore(new EarlyStopState(saved.BestValue, saved.StaleEpochs));
        parts.BestWeights.Load(best);
        parts.Model.SetLearnedCategories(saved.Categories);
        trainer.Restore(new LoopState(saved.Epoch, saved.Step, saved.Random, saved.History) { Stage = saved.Stage });
    }

    /// <summary>
    /// Each saved vocabulary belongs to an input the model learns the categories of, and fits it
    /// (<see cref="LearnedCategoryInput.Problem"/>). A learned input without one (a checkpoint
    /// from before learned categories, a model trained on tensors) is left without one.
    /// </summary>
    private static void CheckCategories(string path, IReadOnlyDictionary<string, IReadOnlyList<string>> saved, MultiTaskModule model)
    {
        foreach (var (name, vocabulary) in saved)
        {
            var input = model.LearnedCategoryInputs.FirstOrDefault(i => i.Name == name);
            if (input is null)
            {
                var learned = model.LearnedCategoryInputs.Select(i => $"'{i.Name}'").ToList();
                throw new CheckpointException(path, $"'{CategoriesField}' has a vocabulary for input '{name}', but this model does not learn the categories of an input '{name}' (it learns those of: {(learned.Count == 0 ? "none" : string.Join(", ", learned))})");
            }
            if (input.Problem(vocabulary) is { } problem) throw new CheckpointException(path, $"'{CategoriesField}.{name}' does not fit this model: {problem}");
        }
    }

    /// <summary>The checksums (version 2) and finiteness of every tensor read.</summary>
    private static void CheckData(string path, SafetensorsContent content, Saved saved)
    {
        foreach (var (name, tensor) in content.tensors)
        {
            var digest = TensorDigest.Of(tensor);
            if (saved.Checksums is { } checksums && checksums[name] != digest.Crc32C)
            {
                throw new CheckpointException(path, $"tensor '{name}' is damaged: its data has CRC-32C {Hex(digest.Crc32C)} but the checkpoint recorded {Hex(checksums[name])}");
            }
            if (!digest.IsFinite) throw new CheckpointException(path, $"tensor '{name}' holds {digest.DescribeNonFinite()}");
        }
    }

    /// <summary>What the trainer expects the file to hold, checked against the header before any tensor is read.</summary>
    private sealed class Expected
    {
        private readonly Dictionary<string, (ScalarType dtype, long[] shape)> _required = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (ScalarType dtype, long[] shape)> _best = new(StringComparer.Ordinal);
        private readonly IReadOnlyList<Parameter> _optimized;
        private readonly IReadOnlyList<string> _stateNames;
        private readonly string _optimizerName;
        private readonly Saved _saved;

        public Expected(TrainerParts parts, Saved saved)
        {
            _saved = saved;
            foreach (var (key, value) in parts.Model.state_dict())
            {
                _required["model." + key] = (value.dtype, value.shape);
                _best["best." + key] = (value.dtype, value.shape);
            }
            var weighting = parts.Weighting.parameters().ToList();
            for (var i = 0; i < weighting.Count; i++) _required[$"weighting.{i}"] = (weighting[i].dtype, weighting[i].shape);
            _optimized = parts.Optimizer.param_groups.SelectMany(g => g.parameters).ToList();
            _stateNames = parts.Optimizer.state_names;
            _optimizerName = parts.Optimizer.GetType().Name;
        }

        public void CheckHeader(string path, SafetensorsHeader header, IReadOnlyDictionary<string, string> metadata)
        {
            if (!metadata.SequenceEqual(header.metadata)) throw new CheckpointException(path, "the file changed while it was being read");
            var names = new HashSet<string>(header.tensors.Select(t => t.name), StringComparer.Ordinal);
            if (_saved.Checksums is { } checksums)
            {
                if (names.FirstOrDefault(n => !checksums.ContainsKey(n)) is { } unlisted) throw new CheckpointException(path, $"tensor '{unlisted}' has no checksum in '{ChecksumsField}'");
                if (checksums.Keys.FirstOrDefault(n => !names.Contains(n)) is { } absent) throw new CheckpointException(path, $"tensor '{absent}' has a checksum in '{ChecksumsField}' but is not in the file");
            }
            if (!names.Contains("rng")) throw new CheckpointException(path, "tensor 'rng' is missing");
            foreach (var entry in header.tensors)
            {
                if (entry.name == "rng")
                {
                    // libtorch checks the generator state's length and contents when it takes it.
                    if (entry.dtype != ScalarType.Byte || entry.shape.Length != 1) throw new CheckpointException(path, $"tensor 'rng' is {ScalarTypeInfo.Name(entry.dtype)} of shape {Tensor.FormatShape(entry.shape)}, not a generator state (a vector of bytes)");
                    continue;
                }
                var (dtype, shape) = Of(path, entry.name);
                if (entry.dtype != dtype || !entry.shape.AsSpan().SequenceEqual(shape))
                {
                    throw new CheckpointException(path, $"tensor '{entry.name}' is {ScalarTypeInfo.Name(entry.dtype)} of shape {Tensor.FormatShape(entry.shape)} but the trainer has {ScalarTypeInfo.Name(dtype)} of shape {Tensor.FormatShape(shape)}");
                }
            }
            if (_required.Keys.FirstOrDefault(n => !names.Contains(n)) is { } missing) throw new CheckpointException(path, $"tensor '{missing}' is missing");
            var bestCount = _best.Keys.Count(names.Contains);
            if (bestCount > 0 && bestCount < _best.Count)
            {
                throw new CheckpointException(path, $"the best weights are incomplete: '{_best.Keys.First(n => !names.Contains(n))}' is missing");
            }
        }

        /// <summary>The dtype and shape a tensor of the file must have; a name the trainer has no place for is an error.</summary>
        private (ScalarType dtype, long[] shape) Of(string path, string name)
        {
            if (_required.TryGetValue(name, out var known) || _best.TryGetValue(name, out known)) return known;
            const string optimizer = "optimizer.";
            if (name.StartsWith(optimizer, StringComparison.Ordinal))
            {
                var dot = name.IndexOf('.', optimizer.Length);
                if (dot > 0 && int.TryParse(name.AsSpan(optimizer.Length, dot - optimizer.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    && name.AsSpan(optimizer.Length, dot - optimizer.Length).SequenceEqual(index.ToString(CultureInfo.InvariantCulture)))
                {
                    var state = name[(dot + 1)..];
                    if (!_saved.OptimizerSteps.ContainsKey(index)) throw new CheckpointException(path, $"tensor '{name}' is optimizer state of parameter {index}, which has no entry in 'optimizer_steps'");
                    if (index >= _optimized.Count) throw new CheckpointException(path, $"tensor '{name}' is optimizer state of parameter {index} but the optimizer has {_optimized.Count} parameters");
                    if (!_stateNames.Contains(state))
                    {
                        throw new CheckpointException(path, $"tensor '{name}' is optimizer state '{state}', which {_optimizerName} does not keep (it keeps: {(_stateNames.Count == 0 ? "none" : string.Join(", ", _stateNames))}): was the checkpoint written with another optimizer?");
                    }
                    return (_optimized[index].dtype, _optimized[index].shape);
                }
            }
            throw new CheckpointException(path, $"tensor '{name}' is not part of this trainer's state");
        }
    }

    /// <summary>The metadata of a checkpoint, parsed and checked field by field.</summary>
    private sealed record Saved(
        int Epoch,
        long Step,
        ulong Random,
        double BestValue,
        int StaleEpochs,
        Dictionary<int, long> OptimizerSteps,
        List<(Dictionary<string, double> Options, double? InitialLr)> OptimizerGroups,
        Dictionary<string, double>? Scheduler,
        Dictionary<string, double>? Plateau,
        Dictionary<string, double> Weighting,
        List<EpochRecord> History,
        Dictionary<string, uint>? Checksums,
        StagePosition? Stage,
        IReadOnlyDictionary<string, IReadOnlyList<string>> Categories)
    {
        /// <summary>The fields every history record has: those the log writes.</summary>
        private static readonly string[] RecordFields = JsonNode.Parse(TrainingLog.ToJson(new EpochRecord(0, 0, 0, new Dictionary<string, double>(), new Dictionary<string, double>(), [], new Dictionary<string, double>(), 0)))!
            .AsObject().Select(p => p.Key).ToArray();

        public static Saved Parse(string path, IReadOnlyDictionary<string, string> metadata)
        {
            if (!metadata.TryGetValue(MetadataKey, out var text))
            {
                throw new CheckpointException(path, $"not an Mtl checkpoint (its metadata has no '{MetadataKey}')");
            }
            var hasChecksum = metadata.TryGetValue(MetadataChecksumKey, out var recorded);
            if (hasChecksum)
            {
                var actual = Hex(TensorDigest.Crc32COf(Encoding.UTF8.GetBytes(text)));
                if (actual != recorded) throw new CheckpointException(path, $"the metadata is damaged: its CRC-32C is {actual} but '{MetadataChecksumKey}' recorded {recorded}");
            }
            JsonObject meta;
            try
            {
                meta = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject ?? throw new CheckpointException(path, $"the metadata '{MetadataKey}' is not a JSON object");
            }
            catch (JsonException e)
            {
                throw new CheckpointException(path, $"the metadata '{MetadataKey}' is not valid JSON: {e.Message}", e);
            }

            var read = new FieldReader(path);
            var version = read.Int(meta, "version");
            if (version is not (FirstVersion or Version)) throw new CheckpointException(path, $"checkpoint version {version} is not supported (this build reads versions {FirstVersion} and {Version})");
            if (version >= 2 && !hasChecksum) throw new CheckpointException(path, $"a version {version} checkpoint needs '{MetadataChecksumKey}' in its metadata, and it is missing");

            var epoch = read.Int(meta, "epoch", min: 0);
            var step = read.Long(meta, "step", min: 0);
            var random = read.Field(meta, "random") is JsonValue r && r.TryGetValue<string>(out var digits)
                && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var state)
                ? state
                : throw new CheckpointException(path, "'random' must be the shuffling generator's state as a string of decimal digits");

            var steps = new Dictionary<int, long>();
            foreach (var (key, value) in read.Object(meta, "optimizer_steps"))
            {
                if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var parameter) || parameter.ToString(CultureInfo.InvariantCulture) != key)
                {
                    throw new CheckpointException(path, $"'optimizer_steps' has key '{key}', which is not a parameter number");
                }
                steps[parameter] = read.Long(value, $"optimizer_steps.{key}", min: 1);
            }

            var groups = new List<(Dictionary<string, double>, double?)>();
            var groupArray = read.Array(meta, "optimizer_groups");
            for (var g = 0; g < groupArray.Count; g++)
            {
                var group = read.Object(groupArray[g], $"optimizer_groups[{g}]");
                var initial = read.Field(group, "initial_lr", $"optimizer_groups[{g}].initial_lr");
                groups.Add((read.Numbers(read.Field(group, "options", $"optimizer_groups[{g}].options"), $"optimizer_groups[{g}].options"),
                    initial is null ? null : read.Number(initial, $"optimizer_groups[{g}].initial_lr")));
            }

            var history = new List<EpochRecord>();
            var records = read.Array(meta, "history");
            for (var i = 0; i < records.Count; i++)
            {
                var record = read.Object(records[i], $"history[{i}]");
                if (RecordFields.FirstOrDefault(f => !record.ContainsKey(f)) is { } missing) throw new CheckpointException(path, $"history[{i}] has no '{missing}'");
                try
                {
                    history.Add(TrainingLog.FromJson(record.ToJsonString()));
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
                {
                    throw new CheckpointException(path, $"history[{i}] is not a valid epoch record: {e.Message}", e);
                }
                if (history[i].Epoch != i + 1) throw new CheckpointException(path, $"history[{i}] is the record of epoch {history[i].Epoch}, not of epoch {i + 1}");
            }
            if (history.Count != epoch) throw new CheckpointException(path, $"'epoch' is {epoch} but 'history' has {history.Count} records");

            Dictionary<string, uint>? checksums = null;
            if (version >= 2)
            {
                checksums = new Dictionary<string, uint>(StringComparer.Ordinal);
                foreach (var (name, value) in read.Object(meta, ChecksumsField))
                {
                    checksums[name] = value is JsonValue v && v.TryGetValue<string>(out var hex) && hex.Length == 8
                        && uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var crc)
                        ? crc
                        : throw new CheckpointException(path, $"'{ChecksumsField}.{name}' is not 8 hex digits");
                }
            }

            StagePosition? stage = null;
            if (meta.ContainsKey("stage"))
            {
                stage = new StagePosition(read.Int(meta, "stage", min: 0), read.Int(meta, "stage_epoch", min: 0), read.Long(meta, "stage_start_step", min: 0));
                if (stage.Epoch > epoch) throw new CheckpointException(path, $"'stage_epoch' is {stage.Epoch} but 'epoch' is {epoch}");
            }

            var categories = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (meta.ContainsKey(CategoriesField))
            {
                foreach (var (input, node) in read.Object(meta, CategoriesField))
                {
                    var values = node as JsonArray ?? throw new CheckpointException(path, $"'{CategoriesField}.{input}' must be a JSON array of strings");
                    categories[input] = values.Select((v, i) => v is JsonValue value && value.TryGetValue<string>(out var text)
                        ? text
                        : throw new CheckpointException(path, $"'{CategoriesField}.{input}[{i}]' must be a string")).ToList();
                }
            }

            var scheduler = read.Field(meta, "scheduler");
            var plateau = read.Field(meta, "plateau");
            return new Saved(
                epoch,
                step,
                random,
                read.Number(read.Field(meta, "best_value"), "best_value"),
                read.Int(meta, "stale_epochs", min: 0),
                steps,
                groups,
                scheduler is null ? null : read.Numbers(scheduler, "scheduler"),
                plateau is null ? null : read.Numbers(plateau, "plateau"),
                read.Numbers(read.Field(meta, "weighting"), "weighting"),
                history,
                checksums,
                stage,
                categories);
        }
    }

    /// <summary>Reads typed fields of the metadata; each problem names the field.</summary>
    private sealed class FieldReader(string path)
    {
        /// <summary>A field that must be present (its value may be null).</summary>
        public JsonNode? Field(JsonObject parent, string key, string? name = null) =>
            parent.TryGetPropertyValue(key, out var value) ? value : throw new CheckpointException(path, $"the metadata has no '{name ?? key}'");

        public JsonObject Object(JsonObject parent, string key) => Object(Field(parent, key), key);

        public JsonObject Object(JsonNode? node, string name) =>
            node as JsonObject ?? throw new CheckpointException(path, $"'{name}' must be a JSON object");

        public JsonArray Array(JsonObject parent, string key) =>
            Field(parent, key) as JsonArray ?? throw new CheckpointException(path, $"'{key}' must be a JSON array");

        public int Int(JsonObject parent, string key, int min = int.MinValue) =>
            Field(parent, key) is JsonValue v && v.TryGetValue<int>(out var value) && value >= min
                ? value
                : throw new CheckpointException(path, $"'{key}' must be an integer{(min == int.MinValue ? "" : $" of at least {min}")}");

        public long Long(JsonObject parent, string key, long min) => Long(Field(parent, key), key, min);

        public long Long(JsonNode? node, string name, long min) =>
            node is JsonValue v && v.TryGetValue<long>(out var value) && value >= min
                ? value
                : throw new CheckpointException(path, $"'{name}' must be an integer of at least {min}");

        /// <summary>A number: a JSON number, or a string for the non-finite ones (<c>"NaN"</c>, <c>"-Infinity"</c>).</summary>
        public double Number(JsonNode? node, string name)
        {
            if (node is JsonValue v)
            {
                if (v.TryGetValue<double>(out var number)) return number;
                if (v.TryGetValue<string>(out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number)) return number;
            }
            throw new CheckpointException(path, $"'{name}' must be a number");
        }

        public Dictionary<string, double> Numbers(JsonNode? node, string name) =>
            Object(node, name).ToDictionary(p => p.Key, p => Number(p.Value, $"{name}.{p.Key}"));
    }

    /// <summary>Runs a read of the file, turning the format's errors into the checkpoint's.</summary>
    private static T Safely<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, e.Message, e);
        }
    }

    /// <summary>Runs a part's own check of its state, turning its refusal into the checkpoint's error naming the entry.</summary>
    private static void Check(string path, string entry, Action check)
    {
        try
        {
            check();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or TorchException)
        {
            throw new CheckpointException(path, $"'{entry}' does not fit this trainer: {e.Message}", e);
        }
    }

    private static void CheckKeys(string path, string entry, IEnumerable<string> saved, IEnumerable<string> own, string owner)
    {
        var savedKeys = saved.ToHashSet(StringComparer.Ordinal);
        var ownKeys = own.ToHashSet(StringComparer.Ordinal);
        if (ownKeys.FirstOrDefault(k => !savedKeys.Contains(k)) is { } missing) throw new CheckpointException(path, $"'{entry}' has no '{missing}', which {owner} keeps");
        if (savedKeys.FirstOrDefault(k => !ownKeys.Contains(k)) is { } unknown) throw new CheckpointException(path, $"'{entry}' has '{unknown}', which {owner} does not keep");
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

    private static string Hex(uint value) => value.ToString("x8", CultureInfo.InvariantCulture);

    // Non-finite numbers (a plateau's best of +inf, say) are kept as strings.
    private static JsonNode Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    private static JsonObject Numbers(IReadOnlyDictionary<string, double> values)
    {
        var result = new JsonObject();
        foreach (var (key, value) in values) result[key] = Number(value);
        return result;
    }
}
