using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Long runs with a checkpoint, the JSONL log and report.html written after every epoch. They read
/// memory between epochs through the trainer's plain progress writer (one line per epoch), and run
/// alone (the live-handle collection), so nothing else allocates meanwhile.
/// </summary>
[Collection(LiveHandleCollection.Name)]
public sealed class SoakTests : IDisposable
{
    private static readonly TaskSpec[] Tasks = [new("value", TaskKind.Regression), new("kind", TaskKind.Classes, 3)];
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mtl-soak-");

    /// <summary>A trunk of 4 -> 8 and two one-layer heads: small enough for 10,000 steps in seconds.</summary>
    private sealed class TinyModel : MultiTaskModule
    {
        private readonly Sequential trunk = nn.Sequential(nn.Linear(4, 8), nn.ReLU());
        private readonly Sequential value = nn.Sequential(nn.Linear(8, 1));
        private readonly Sequential kind = nn.Sequential(nn.Linear(8, 3));

        public TinyModel() : base(nameof(TinyModel)) => RegisterComponents();

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var shared = trunk.forward(inputs["x"]);
            return new(new Dictionary<string, Tensor> { ["value"] = value.forward(shared), ["kind"] = kind.forward(shared) }, shared);
        }

        public override IEnumerable<nn.Module> SharedModules() => [trunk];
    }

    /// <summary>Calls <paramref name="sample"/> after each epoch, with the epoch's number (the trainer writes one plain line per epoch).</summary>
    private sealed class EpochProbe(Action<int> sample) : TextWriter
    {
        private int _epochs;

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            if (value is not null && value.StartsWith("epoch ", StringComparison.Ordinal)) sample(++_epochs);
        }
    }

    private static MultiTaskDataset Data(int rows, long seed)
    {
        manual_seed(seed);
        using var scope = NewDisposeScope();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = randn(rows, 4) },
            new Dictionary<string, Tensor> { ["value"] = randn(rows, 1), ["kind"] = randint(3, [rows]) },
            Tasks);
    }

    private TrainerOptions Options(int epochs, int batch, TextWriter probe) => new()
    {
        Epochs = epochs,
        BatchSize = batch,
        Progress = probe,
        // Patience beyond the run: the best weights are tracked and checkpointed, training never stops early.
        EarlyStop = new EarlyStopping("loss", Patience: epochs + 1),
        CheckpointPath = Path.Combine(_folder.FullName, "last.ckpt"),
        LogPath = Path.Combine(_folder.FullName, "training.jsonl"),
        ReportPath = Path.Combine(_folder.FullName, "report.html"),
    };

    [Fact]
    public void Ten_thousand_steps_with_checkpoint_log_and_report_each_epoch_keep_the_live_handle_count_flat()
    {
        using var train = Data(400, seed: 1);
        using var validation = Data(32, seed: 2);
        var baseline = LiveHandleCollection.Settle();
        var counts = new List<long>();
        manual_seed(3);
        using (var model = new TinyModel())
        using (var optimizer = optim.Adam(model.parameters(), lr: 1e-3))
        // 100 epochs of 100 steps (400 rows, batch 4).
        using (var trainer = new Trainer(model, Tasks, optimizer, Options(100, 4, new EpochProbe(_ => counts.Add(Tensor.LiveHandleCount)))))
        {
            trainer.Fit(train, validation);
            Assert.Equal(10_000, trainer.Step);
        }
        // No collection since the baseline: a handle left to the finalizer would still be counted.
        Assert.Equal(100, counts.Count);
        Assert.All(counts, c => Assert.Equal(counts[0], c));
        Assert.Equal(baseline, Tensor.LiveHandleCount);
        Assert.Equal(100, File.ReadLines(Path.Combine(_folder.FullName, "training.jsonl")).Count());
    }

    [Fact]
    public void Writing_the_checkpoint_log_and_report_each_epoch_retains_no_more_managed_memory_than_the_history()
    {
        // One step per epoch, so the history (and with it the checkpoint's metadata and the report)
        // grows as fast as it can. What stays reachable after a full collection may grow by the
        // history's own records (about 1.3 KB an epoch here), not by buffers sized to the
        // checkpoint's metadata: those grew it by about 17 KB an epoch.
        using var train = Data(8, seed: 1);
        using var validation = Data(8, seed: 2);
        manual_seed(3);
        using var model = new TinyModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        var retained = new Dictionary<int, long>();
        void Sample(int epoch)
        {
            if (epoch is not (100 or 400)) return;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            retained[epoch] = GC.GetTotalMemory(forceFullCollection: true);
        }
        using (var trainer = new Trainer(model, Tasks, optimizer, Options(400, 8, new EpochProbe(Sample))))
        {
            trainer.Fit(train, validation);
        }
        var perEpoch = (retained[400] - retained[100]) / 300.0;
        Assert.True(perEpoch < 4096, $"{perEpoch:F0} bytes stayed reachable per epoch between epochs 100 and 400");
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
