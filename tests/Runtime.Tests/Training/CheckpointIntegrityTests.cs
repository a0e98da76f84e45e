using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Checkpoints never load damaged or mismatched state and never half-restore: checksums, finiteness,
/// everything checked before anything is applied, one exception type; saves refuse non-finite
/// state and clean up after killed writers.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class CheckpointIntegrityTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-checkpoint-integrity-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>
    /// A trainer with every part a checkpoint holds: Adam (or SGD with momentum) state, weighting
    /// parameters, a given scheduler, early stopping with best weights.
    /// </summary>
    private sealed class Run : IDisposable
    {
        public readonly TwoTaskModel Model;
        public readonly Optimizer Optimizer;
        public readonly TaskWeighting Weighting;
        public readonly Trainer Trainer;

        public Run(int epochs, long seed, bool sgd = false)
        {
            manual_seed(seed);
            Model = new TwoTaskModel();
            Weighting = TaskWeighting.Create("uncertainty", [1, 0.5]);
            // The weighting's log-variances in a group of their own from the start, so the scheduler sees both groups.
            ParamGroup[] groups = [new ParamGroup(Model.parameters()), new ParamGroup(Weighting.parameters())];
            Optimizer = sgd ? optim.SGD(groups, lr: 1e-2, momentum: 0.9) : optim.Adam(groups, lr: 1e-2);
            Trainer = new Trainer(Model, TwoTaskData.Tasks, Optimizer, new TrainerOptions
            {
                Epochs = epochs,
                BatchSize = 32,
                Seed = seed,
                Weighting = Weighting,
                EarlyStop = new EarlyStopping("kind.accuracy", Patience: 10),
                Scheduler = optim.lr_scheduler.StepLR(Optimizer, 3, 0.5),
            });
        }

        public Run Fit()
        {
            using var data = TwoTaskData.Make(96, seed: 8);
            using var validation = TwoTaskData.Make(32, seed: 9, randomKinds: true);
            Trainer.Fit(data, validation);
            return this;
        }

        public void Dispose()
        {
            Trainer.Dispose();
            Weighting.Dispose();
            Optimizer.Dispose();
            Model.Dispose();
        }
    }

    /// <summary>
    /// Everything a checkpoint restores, as text: the checksum of every tensor (model, optimizer
    /// state, weighting parameters, best weights, libtorch's generator) and every number.
    /// </summary>
    private static string Fingerprint(Trainer trainer)
    {
        using var scope = NewDisposeScope();
        var text = new StringBuilder();
        void Add(string name, Tensor tensor) => text.Append(name).Append('=').Append(TensorDigest.Of(tensor).Crc32C.ToString("x8", CultureInfo.InvariantCulture)).Append('\n');
        var parts = trainer.Parts;
        foreach (var (key, value) in parts.Model.state_dict()) Add("model." + key, value);
        using (var optimizer = parts.Optimizer.state_dict())
        {
            foreach (var (index, entry) in optimizer.state.OrderBy(e => e.Key))
            {
                text.Append($"step.{index}={entry.step}\n");
                foreach (var (name, tensor) in entry.tensors.OrderBy(t => t.Key, StringComparer.Ordinal)) Add($"optimizer.{index}.{name}", tensor);
            }
            foreach (var group in optimizer.param_groups)
            {
                text.Append($"group {string.Join(",", group.options.OrderBy(o => o.Key, StringComparer.Ordinal))} {group.initial_lr}\n");
            }
        }
        foreach (var (i, parameter) in parts.Weighting.parameters().Select((p, i) => (i, p))) Add($"weighting.{i}", parameter);
        text.Append($"weighting {string.Join(",", parts.Weighting.state_dict().OrderBy(o => o.Key, StringComparer.Ordinal))}\n");
        foreach (var (key, value) in (parts.BestWeights.Tensors ?? new Dictionary<string, Tensor>()).OrderBy(b => b.Key, StringComparer.Ordinal)) Add("best." + key, value);
        Add("rng", get_rng_state());
        var loop = trainer.Loop;
        text.Append($"loop {loop.Epoch} {loop.Step} {loop.Random}\n");
        foreach (var record in loop.History) text.Append(TrainingLog.ToJson(record)).Append('\n');
        text.Append($"early stop {parts.EarlyStop.State}\n");
        var schedule = parts.Schedule.State;
        text.Append($"schedule {string.Join(",", schedule.Scheduler ?? [])} {string.Join(",", schedule.Plateau ?? [])}\n");
        return text.ToString();
    }

    /// <summary>
    /// Copies a checkpoint with its metadata and tensors edited, then the checksums written again
    /// (all of them, unless <paramref name="metadataChecksum"/> is false), so the load meets the edit
    /// itself rather than a checksum mismatch.
    /// </summary>
    private static void Rewrite(string from, string to, Action<JsonObject>? meta = null, Action<Dictionary<string, Tensor>>? tensors = null,
        Func<string, string>? text = null, bool metadataChecksum = true)
    {
        using var scope = NewDisposeScope();
        using var content = load_safetensors(from);
        var json = JsonNode.Parse(content.metadata["mtl.checkpoint"])!.AsObject();
        var edited = content.tensors.ToDictionary(t => t.Key, t => t.Value);
        tensors?.Invoke(edited);
        var checksums = new JsonObject();
        foreach (var (name, tensor) in edited) checksums[name] = TensorDigest.Of(tensor).Crc32C.ToString("x8", CultureInfo.InvariantCulture);
        json["crc32c"] = checksums;
        meta?.Invoke(json);
        var metadata = json.ToJsonString();
        if (text is not null) metadata = text(metadata);
        var entries = new Dictionary<string, string> { ["mtl.checkpoint"] = metadata };
        if (metadataChecksum) entries["mtl.checkpoint.crc32c"] = TensorDigest.Crc32COf(Encoding.UTF8.GetBytes(metadata)).ToString("x8", CultureInfo.InvariantCulture);
        save_safetensors(edited, to, entries);
    }

    /// <summary>A good checkpoint (<c>source.ckpt</c>, two epochs) and a trainer with a different state of the same shape (one epoch, another seed).</summary>
    private (string source, Run victim) SourceAndVictim(bool sgdVictim = false)
    {
        var source = PathOf("source.ckpt");
        using (var run = new Run(epochs: 2, seed: 8).Fit()) Checkpoint.Save(source, run.Trainer);
        return (source, new Run(epochs: 1, seed: 3, sgd: sgdVictim).Fit());
    }

    // ---- all or nothing ------------------------------------------------------------------------

    public static TheoryData<string, string> Defects => new()
    {
        { "no rng tensor", "tensor 'rng' is missing" },
        { "no optimizer_groups", "'optimizer_groups'" },
        { "no history", "'history'" },
        { "no step", "'step'" },
        { "history record without lr", "history[0] has no 'lr'" },
        { "non-numeric random", "'random'" },
        { "broken metadata JSON", "is not valid JSON" },
        { "weight of another shape", "tensor 'model.trunk.0.weight' is torch.float32 of shape [16, 5] but the trainer has torch.float32 of shape [16, 6]" },
        { "weight of another dtype", "tensor 'model.trunk.0.bias' is torch.float64 of shape [16] but the trainer has torch.float32" },
        { "unknown tensor", "tensor 'model.extra' is not part of this trainer's state" },
        { "missing weighting parameter", "tensor 'weighting.0' is missing" },
        { "one parameter group too many", "'optimizer_groups' has 3 parameter groups but the optimizer has 2" },
        { "optimizer state without a step count", "has no entry in 'optimizer_steps'" },
        { "step count without optimizer state", "has no 'exp_avg'" },
        { "epoch that does not match the history", "'epoch' is 5 but 'history' has 2 records" },
        { "NaN in a weight, checksums rewritten", "tensor 'model.kind.2.weight' holds 1 NaN value" },
        { "scheduler state of another scheduler", "'scheduler' does not fit this trainer" },
        { "unknown version", "checkpoint version 3 is not supported" },
        { "version 2 without the metadata checksum", "needs 'mtl.checkpoint.crc32c'" },
        { "damaged metadata", "the metadata is damaged" },
        { "damaged tensor", "tensor 'model.trunk.0.weight' is damaged" },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public void A_defective_checkpoint_fails_naming_the_file_and_entry_and_leaves_the_trainer_untouched(string defect, string message)
    {
        var (source, victim) = SourceAndVictim();
        using var _ = victim;
        var path = PathOf("defective.ckpt");
        using (var scope = NewDisposeScope())
        {
            switch (defect)
            {
                case "no rng tensor": Rewrite(source, path, tensors: t => t.Remove("rng")); break;
                case "no optimizer_groups": Rewrite(source, path, meta: m => m.Remove("optimizer_groups")); break;
                case "no history": Rewrite(source, path, meta: m => m.Remove("history")); break;
                case "no step": Rewrite(source, path, meta: m => m.Remove("step")); break;
                case "history record without lr": Rewrite(source, path, meta: m => m["history"]![0]!.AsObject().Remove("lr")); break;
                case "non-numeric random": Rewrite(source, path, meta: m => m["random"] = "twelve"); break;
                case "broken metadata JSON": Rewrite(source, path, text: t => t[..^1]); break;
                case "weight of another shape": Rewrite(source, path, tensors: t => t["model.trunk.0.weight"] = zeros(16, 5)); break;
                case "weight of another dtype": Rewrite(source, path, tensors: t => t["model.trunk.0.bias"] = t["model.trunk.0.bias"].to(ScalarType.Float64)); break;
                case "unknown tensor": Rewrite(source, path, tensors: t => t["model.extra"] = zeros(1)); break;
                case "missing weighting parameter": Rewrite(source, path, tensors: t => Assert.True(t.Remove("weighting.0"))); break;
                case "one parameter group too many": Rewrite(source, path, meta: m => m["optimizer_groups"]!.AsArray().Add(m["optimizer_groups"]![0]!.DeepClone())); break;
                case "optimizer state without a step count": Rewrite(source, path, meta: m => m["optimizer_steps"]!.AsObject().Remove("0")); break;
                case "step count without optimizer state": Rewrite(source, path, tensors: t => { t.Remove("optimizer.0.exp_avg"); t.Remove("optimizer.0.exp_avg_sq"); }); break;
                case "epoch that does not match the history": Rewrite(source, path, meta: m => m["epoch"] = 5); break;
                case "NaN in a weight, checksums rewritten":
                    Rewrite(source, path, tensors: t =>
                    {
                        var weight = t["model.kind.2.weight"].clone();
                        weight.reshape(-1).narrow(0, 0, 1).fill_(double.NaN);
                        t["model.kind.2.weight"] = weight;
                    });
                    break;
                case "scheduler state of another scheduler": Rewrite(source, path, meta: m => m["scheduler"] = new JsonObject { ["last_epoch"] = 1 }); break;
                case "unknown version": Rewrite(source, path, meta: m => m["version"] = 3); break;
                case "version 2 without the metadata checksum": Rewrite(source, path, metadataChecksum: false); break;
                case "damaged metadata": Damage(source, path, Encoding.UTF8.GetBytes("\\\"step\\\":"), 9); break;
                case "damaged tensor": Damage(source, path, DataRange(File.ReadAllBytes(source), "model.trunk.0.weight").begin); break;
                default: throw new ArgumentException(defect);
            }
        }
        var before = Fingerprint(victim.Trainer);

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, victim.Trainer));
        Assert.Contains(path, error.Message);
        Assert.Contains(message, error.Message);
        Assert.Equal(path, error.Path);
        Assert.Equal(before, Fingerprint(victim.Trainer));
    }

    /// <summary>Copies <paramref name="source"/> with the byte at <paramref name="position"/> changed.</summary>
    private static void Damage(string source, string path, long position)
    {
        var bytes = File.ReadAllBytes(source);
        bytes[position] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Copies <paramref name="source"/> with one digit after the first occurrence of <paramref name="marker"/> changed.</summary>
    private static void Damage(string source, string path, byte[] marker, int offset)
    {
        var bytes = File.ReadAllBytes(source);
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at > 0, "marker not found");
        Damage(source, path, at + offset);
    }

    [Fact]
    public void An_Adam_checkpoint_does_not_load_into_an_SGD_trainer()
    {
        var (source, victim) = SourceAndVictim(sgdVictim: true);
        using var _ = victim;
        var before = Fingerprint(victim.Trainer);
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(source, victim.Trainer));
        Assert.Contains("optimizer state 'exp_avg', which SGD does not keep (it keeps: momentum_buffer)", error.Message);
        Assert.Equal(before, Fingerprint(victim.Trainer));
    }

    [Fact]
    public void A_good_checkpoint_restores_everything_it_holds()
    {
        var path = PathOf("good.ckpt");
        string expected;
        using (var run = new Run(epochs: 2, seed: 8).Fit())
        {
            expected = Fingerprint(run.Trainer);
            Checkpoint.Save(path, run.Trainer);
        }
        using var victim = new Run(epochs: 1, seed: 3).Fit();
        Assert.NotEqual(expected, Fingerprint(victim.Trainer));
        Checkpoint.Load(path, victim.Trainer);
        Assert.Equal(expected, Fingerprint(victim.Trainer));
    }

    // ---- integrity -----------------------------------------------------------------------------

    /// <summary>Where each tensor's data lies in a safetensors file.</summary>
    private static (long begin, long end) DataRange(byte[] file, string name)
    {
        var length = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        using var header = JsonDocument.Parse(file.AsMemory(8, (int)length));
        var offsets = header.RootElement.GetProperty(name).GetProperty("data_offsets");
        return (8 + length + offsets[0].GetInt64(), 8 + length + offsets[1].GetInt64());
    }

    /// <summary>
    /// The tamper test: bytes changed in every region of a small checkpoint (the length prefix, every
    /// byte of the header JSON, which holds the metadata, its padding, and the first, middle and last
    /// byte of every tensor, and a NaN written over each float tensor's first value). Each copy
    /// either loads exactly the saved state or throws <see cref="CheckpointException"/> leaving the
    /// trainer as it was: never another exception, never different data.
    /// </summary>
    [Fact]
    public void Every_damaged_byte_either_loads_the_same_state_or_throws_the_checkpoint_exception_changing_nothing()
    {
        var (source, victim) = SourceAndVictim();
        using var _ = victim;
        var file = File.ReadAllBytes(source);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        var jsonLength = file.AsSpan(8, headerLength).TrimEnd((byte)' ').Length;
        var untouched = PathOf("victim.ckpt");
        Checkpoint.Save(untouched, victim.Trainer);
        string sourceState;
        using (var probe = new Run(epochs: 1, seed: 3))
        {
            Checkpoint.Load(source, probe.Trainer);
            sourceState = Fingerprint(probe.Trainer);
        }
        // Back to the victim's own generator state too (building the probe reseeded it).
        Checkpoint.Load(untouched, victim.Trainer);
        var victimState = Fingerprint(victim.Trainer);

        var cases = new List<(string region, int position, byte[] bytes)>();
        void Flip(string region, int position, byte mask) => cases.Add((region, position, [(byte)(file[position] ^ mask)]));
        for (var i = 0; i < 8; i++)
        {
            Flip("length prefix", i, 0x01);
            Flip("length prefix", i, 0x80);
        }
        for (var i = 8; i < 8 + jsonLength; i++)
        {
            Flip("header", i, 0x01);
            if (i % 7 == 0) Flip("header", i, 0x80);
            if (i % 7 == 3) Flip("header", i, 0xFF);
        }
        for (var i = 8 + jsonLength; i < 8 + headerLength; i++)
        {
            Flip("padding", i, 0x01);
            Flip("padding", i, 0x2A); // a space becomes a newline: still the same JSON
        }
        using (var content = load_safetensors(source))
        {
            foreach (var (name, tensor) in content.tensors)
            {
                var (begin, end) = DataRange(file, name);
                foreach (var position in new[] { begin, (begin + end) / 2, end - 1 }.Distinct())
                {
                    foreach (var mask in new byte[] { 0x01, 0x80, 0xFF }) Flip(name, (int)position, mask);
                }
                if (tensor.dtype == ScalarType.Float32) cases.Add((name + " (NaN)", (int)begin, BitConverter.GetBytes(float.NaN)));
            }
        }

        // One copy, damaged in place and mended after each case.
        var damaged = PathOf("damaged.ckpt");
        File.WriteAllBytes(damaged, file);
        void Patch(int position, ReadOnlySpan<byte> bytes)
        {
            using var handle = File.OpenHandle(damaged, FileMode.Open, FileAccess.Write);
            RandomAccess.Write(handle, bytes, position);
        }
        var loaded = 0;
        var problems = new List<string>();
        foreach (var (region, position, bytes) in cases)
        {
            if (bytes.AsSpan().SequenceEqual(file.AsSpan(position, bytes.Length))) continue;
            Patch(position, bytes);
            try
            {
                Checkpoint.Load(damaged, victim.Trainer);
                loaded++;
                if (Fingerprint(victim.Trainer) != sourceState) problems.Add($"{region} byte {position}: loaded different data");
                Checkpoint.Load(untouched, victim.Trainer);
            }
            catch (CheckpointException)
            {
                if (Fingerprint(victim.Trainer) != victimState) problems.Add($"{region} byte {position}: failed but changed the trainer");
            }
            catch (Exception e)
            {
                problems.Add($"{region} byte {position}: {e.GetType().Name}: {e.Message}");
            }
            Patch(position, file.AsSpan(position, bytes.Length));
        }
        Assert.Equal(file, File.ReadAllBytes(damaged));
        Assert.True(problems.Count == 0, $"{problems.Count} of {cases.Count} cases went wrong:\n" + string.Join("\n", problems.Take(20)));
        // Only whitespace in the padding may change and still load.
        Assert.Equal(headerLength - jsonLength, loaded);
    }

    [Fact]
    public void A_version_1_file_with_a_NaN_weight_is_refused_by_the_finiteness_check()
    {
        var (source, victim) = SourceAndVictim();
        using var _ = victim;
        var path = PathOf("v1-nan.ckpt");
        Rewrite(source, path, metadataChecksum: false, meta: m =>
        {
            m["version"] = 1;
            m.Remove("crc32c");
        }, tensors: t =>
        {
            var weight = t["model.value.0.bias"].clone();
            weight.fill_(double.PositiveInfinity);
            t["model.value.0.bias"] = weight;
        });
        var before = Fingerprint(victim.Trainer);
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, victim.Trainer));
        Assert.Contains("tensor 'model.value.0.bias' holds 1 infinite value", error.Message);
        Assert.Equal(before, Fingerprint(victim.Trainer));
    }

    // ---- what a file is, before reading it -----------------------------------------------------

    /// <summary>A valid safetensors file of <paramref name="count"/> one-byte tensors, written by hand.</summary>
    private static void WriteTinyTensors(string path, int count, string metadata)
    {
        var header = new StringBuilder("{\"__metadata__\":").Append(metadata);
        for (var i = 0; i < count; i++) header.Append(CultureInfo.InvariantCulture, $",\"t{i}\":{{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[{i},{i + 1}]}}");
        header.Append('}');
        while (header.Length % 8 != 0) header.Append(' ');
        var bytes = Encoding.UTF8.GetBytes(header.ToString());
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)bytes.Length);
        file.Write(length);
        file.Write(bytes);
        file.Write(new byte[count]);
    }

    [Fact]
    public void A_file_of_many_tiny_tensors_is_turned_away_before_any_tensor_is_created()
    {
        using var run = new Run(epochs: 1, seed: 3);
        var other = PathOf("other.safetensors");
        WriteTinyTensors(other, 200_000, "{\"format\":\"pt\"}");
        // A checkpoint's metadata over the same tensors: it passes as a checkpoint until its tensors are named.
        var real = PathOf("real.ckpt");
        Checkpoint.Save(real, run.Trainer);
        var metadata = Safetensors.ReadMetadata(real);
        var pretender = PathOf("pretender.ckpt");
        WriteTinyTensors(pretender, 200_000, JsonSerializer.Serialize(metadata));

        var created = Tensor.CreatedHandleCount;
        // Both are valid files: the header of every tensor is checked.
        var counted = Assert.Throws<InvalidOperationException>(() => Safetensors.Load(other, null, header => throw new InvalidOperationException($"{header.tensors.Count} tensors")));
        Assert.Equal("200000 tensors", counted.Message);
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(other, run.Trainer));
        Assert.Contains("not an Mtl checkpoint", error.Message);
        error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(pretender, run.Trainer));
        Assert.Contains("tensor 't0' has no checksum in 'crc32c'", error.Message);
        Assert.Equal(created, Tensor.CreatedHandleCount);
    }

    // ---- saving --------------------------------------------------------------------------------

    [Fact]
    public void Save_refuses_non_finite_weights_or_optimizer_state_and_keeps_the_good_file()
    {
        var path = PathOf("last.ckpt");
        using var run = new Run(epochs: 1, seed: 3).Fit();
        Checkpoint.Save(path, run.Trainer);
        var good = File.ReadAllBytes(path);

        using (no_grad())
        {
            run.Model.KindHead.parameters().First().fill_(double.NaN);
        }
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Save(path, run.Trainer));
        Assert.Contains("'model.kind.0.weight' holds 128 NaN values", error.Message);
        Assert.DoesNotContain("best.", error.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
    }

    [Fact]
    public void Save_refuses_infinite_optimizer_state()
    {
        var path = PathOf("last.ckpt");
        using var run = new Run(epochs: 1, seed: 3).Fit();
        Checkpoint.Save(path, run.Trainer);
        var good = File.ReadAllBytes(path);
        using (var state = run.Optimizer.state_dict())
        {
            state.state[2].tensors["exp_avg_sq"].fill_(double.PositiveInfinity);
            run.Optimizer.load_state_dict(state);
        }
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Save(path, run.Trainer));
        Assert.Contains("'optimizer.2.exp_avg_sq' holds 16 infinite values", error.Message);
        Assert.DoesNotContain("model.", error.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
    }
}
