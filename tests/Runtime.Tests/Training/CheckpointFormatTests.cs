using System.Text.Json.Nodes;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Pins the checkpoint format: a version-1 file written by an earlier trainer (Fixtures/, made by
/// <see cref="Write"/>) must load, save back to the same tensors and metadata, and let training go
/// on; a version-2 file (the same run, written with checksums) must load and save back byte for byte.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class CheckpointFormatTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-checkpoint-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Fixture => Path.Combine(RepositoryPaths.Root, "tests", "Runtime.Tests", "Training", "Fixtures", "checkpoint-v1.safetensors");

    private static string FixtureV2 => Path.Combine(RepositoryPaths.Root, "tests", "Runtime.Tests", "Training", "Fixtures", "checkpoint-v2.safetensors");

    /// <summary>Everything a checkpoint holds: weighting parameters, a schedule not built yet, early stopping with best weights.</summary>
    private sealed class Run : IDisposable
    {
        public readonly TwoTaskModel Model;
        public readonly Optimizer Optimizer;
        public readonly TaskWeighting Weighting;
        public readonly Trainer Trainer;

        public Run(int epochs, string? checkpoint = null)
        {
            manual_seed(8);
            Model = new TwoTaskModel();
            Optimizer = optim.Adam(Model.parameters(), lr: 1e-2);
            Weighting = TaskWeighting.Create("uncertainty", [1, 0.5]);
            Trainer = new Trainer(Model, TwoTaskData.Tasks, Optimizer, new TrainerOptions
            {
                Epochs = epochs,
                BatchSize = 32,
                Seed = 9,
                CheckpointPath = checkpoint,
                Weighting = Weighting,
                EarlyStop = new EarlyStopping("kind.accuracy", Patience: 10),
                // 21 steps in 3 epochs: the warmup is still rising and the plateau has never stepped (its best is -inf).
                Schedule = new LearningRateSchedule([
                    new SchedulePhase("warmup", new Dictionary<string, object> { ["steps"] = 100L }),
                    new SchedulePhase("plateau", new Dictionary<string, object> { ["monitor"] = "kind.accuracy" }),
                ]),
            });
        }

        public IReadOnlyList<EpochRecord> Fit()
        {
            using var data = TwoTaskData.Make(200, seed: 8);
            using var validation = TwoTaskData.Make(64, seed: 9, randomKinds: true);
            return Trainer.Fit(data, validation);
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
    /// How the fixture was written: the checkpoint of the third epoch, saved before the best
    /// weights (epoch 2's, one stale epoch since) are restored, so <c>model.*</c> and <c>best.*</c> differ.
    /// </summary>
    internal static void Write(string path)
    {
        using var run = new Run(epochs: 3, checkpoint: path);
        run.Fit();
    }

    [Fact]
    public void A_version_1_checkpoint_loads_and_saves_back_the_same_tensors_and_metadata_as_version_2()
    {
        var again = Path.Combine(_folder, "again.ckpt");
        using (var run = new Run(epochs: 3))
        {
            Checkpoint.Load(Fixture, run.Trainer);
            Assert.Equal(3, run.Trainer.Epoch);
            Assert.Equal(21, run.Trainer.Step);
            Assert.Equal([1, 2, 3], run.Trainer.History.Select(r => r.Epoch));
            Checkpoint.Save(again, run.Trainer);
        }

        using var scope = NewDisposeScope();
        using var old = load_safetensors(Fixture);
        using var saved = load_safetensors(again);
        Assert.Equal(old.tensors.Keys.Order(StringComparer.Ordinal), saved.tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(old.tensors.Keys, k => k.StartsWith("best.", StringComparison.Ordinal));
        Assert.Contains(old.tensors.Keys, k => k.StartsWith("weighting.", StringComparison.Ordinal));
        foreach (var (key, tensor) in old.tensors)
        {
            var other = saved.tensors[key];
            Assert.Equal(tensor.dtype, other.dtype);
            Assert.Equal(tensor.shape, other.shape);
            Assert.True(tensor.equal(other), $"tensor '{key}' changed");
        }
        var before = JsonNode.Parse(old.metadata["mtl.checkpoint"])!.AsObject();
        var after = JsonNode.Parse(saved.metadata["mtl.checkpoint"])!.AsObject();
        // Saved again as version 2: the same state, plus the checksum of every tensor.
        Assert.Equal(1, before["version"]!.GetValue<int>());
        Assert.Equal(2, after["version"]!.GetValue<int>());
        Assert.False(before.ContainsKey("crc32c"));
        Assert.Equal(saved.tensors.Keys.Order(StringComparer.Ordinal), after["crc32c"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(saved.metadata.ContainsKey("mtl.checkpoint.crc32c"));
        foreach (var versioned in new[] { before, after })
        {
            versioned.Remove("version");
            versioned.Remove("crc32c");
        }
        Assert.True(JsonNode.DeepEquals(before, after), $"the metadata changed:\n{before}\n{after}");
        Assert.Equal(1, before["stale_epochs"]!.GetValue<int>());
        Assert.Equal("-Infinity", before["plateau"]!["best"]!.GetValue<string>());
        Assert.False(old.tensors["model.kind.2.bias"].equal(old.tensors["best.kind.2.bias"]));
    }

    [Fact]
    public void A_version_2_checkpoint_loads_and_saves_back_byte_for_byte()
    {
        var again = Path.Combine(_folder, "again.ckpt");
        using (var run = new Run(epochs: 3))
        {
            Checkpoint.Load(FixtureV2, run.Trainer);
            Assert.Equal(3, run.Trainer.Epoch);
            Assert.Equal(21, run.Trainer.Step);
            Checkpoint.Save(again, run.Trainer);
        }
        Assert.Equal(File.ReadAllBytes(FixtureV2), File.ReadAllBytes(again));
    }

    [Fact]
    public void Training_goes_on_from_a_version_1_checkpoint_with_its_schedule_state()
    {
        using var run = new Run(epochs: 4);
        Checkpoint.Load(Fixture, run.Trainer);
        var loaded = run.Trainer.History.ToList();
        var history = run.Fit();
        Assert.Equal(4, history.Count);
        Assert.Equal(28, run.Trainer.Step);
        Assert.Equal(loaded.Select(TrainingLog.ToJson), history.Take(3).Select(TrainingLog.ToJson));
        // The warmup resumes at step 21 rather than starting over: 28 of its 100 steps taken.
        Assert.Equal(1e-2 * 28 / 100, history[^1].LearningRates[0], 12);
    }
}
