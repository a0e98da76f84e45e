using System.Text.Json.Nodes;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>The JSONL log after a crash and a resume from the checkpoint equals the log of a run that never stopped.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class LogResumeTests : IDisposable
{
    private const int Epochs = 5;
    private const int CrashEpoch = 3;

    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-logresume-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>How the log looks on disk when the process dies after epoch <see cref="CrashEpoch"/>'s checkpoint.</summary>
    public enum Crash
    {
        /// <summary>Dies after the checkpoint, before the epoch's log line.</summary>
        BeforeLogLine,

        /// <summary>Dies while appending the epoch's log line: half of it is there.</summary>
        DuringLogLine,

        /// <summary>Dies after the checkpoint and the log line.</summary>
        AfterLogLine,

        /// <summary>
        /// The next epoch's line was logged but its checkpoint never written (the order before the
        /// checkpoint came first): the resumed run must not log that epoch twice.
        /// </summary>
        NextEpochLoggedWithoutCheckpoint,
    }

    /// <summary>A progress writer that throws on the given epoch's line, the last thing an epoch does: a crash after its checkpoint and log line.</summary>
    private sealed class CrashAt(int epoch) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            if (value is not null && value.StartsWith($"epoch {epoch}/", StringComparison.Ordinal)) throw new IOException("simulated crash");
            base.WriteLine(value);
        }
    }

    private void Run(string checkpoint, string log, bool resume, TextWriter? progress = null)
    {
        manual_seed(resume ? 999 : 21);
        using var data = TwoTaskData.Make(160, seed: 8);
        using var validation = TwoTaskData.Make(48, seed: 9);
        using var model = new TwoTaskModel(dropout: 0.2);
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
        {
            Epochs = Epochs,
            BatchSize = 32,
            Seed = 9,
            CheckpointPath = checkpoint,
            LogPath = log,
            EarlyStop = new EarlyStopping("kind.accuracy", Patience: 10),
            Scheduler = optim.lr_scheduler.StepLR(optimizer, 3, 0.5),
            Progress = progress,
        });
        if (resume) Checkpoint.Load(checkpoint, trainer);
        trainer.Fit(data, validation);
    }

    /// <summary>The log's lines without the per-epoch <c>seconds</c>, which is wall-clock timing and differs between any two runs.</summary>
    private static List<string> WithoutTiming(string log) => File.ReadAllLines(log).Select(line =>
    {
        var node = JsonNode.Parse(line)!.AsObject();
        Assert.True(node.Remove("seconds"), "every line has its timing");
        return node.ToJsonString();
    }).ToList();

    [Theory]
    [InlineData(Crash.BeforeLogLine)]
    [InlineData(Crash.DuringLogLine)]
    [InlineData(Crash.AfterLogLine)]
    [InlineData(Crash.NextEpochLoggedWithoutCheckpoint)]
    public void The_log_after_a_crash_and_resume_equals_the_uninterrupted_log(Crash crash)
    {
        var straightLog = Path.Combine(_folder, "straight", "training.jsonl");
        Run(Path.Combine(_folder, "straight", "run.ckpt"), straightLog, resume: false);
        var expected = WithoutTiming(straightLog);
        Assert.Equal(Epochs, expected.Count);

        var checkpoint = Path.Combine(_folder, "crashed", "run.ckpt");
        var log = Path.Combine(_folder, "crashed", "training.jsonl");
        Assert.Throws<IOException>(() => Run(checkpoint, log, resume: false, new CrashAt(CrashEpoch)));
        var lines = File.ReadAllLines(log);
        Assert.Equal(CrashEpoch, lines.Length);
        var onDisk = crash switch
        {
            Crash.BeforeLogLine => string.Concat(lines[..^1].Select(l => l + "\n")),
            Crash.DuringLogLine => string.Concat(lines[..^1].Select(l => l + "\n")) + lines[^1][..(lines[^1].Length / 2)],
            Crash.AfterLogLine => string.Concat(lines.Select(l => l + "\n")),
            // The uninterrupted run's next line stands in for the one logged before the crash.
            _ => string.Concat(lines.Select(l => l + "\n")) + File.ReadAllLines(straightLog)[CrashEpoch] + "\n",
        };
        File.WriteAllText(log, onDisk);

        Run(checkpoint, log, resume: true);
        Assert.Equal(expected, WithoutTiming(log));
    }

    [Fact]
    public void A_new_run_starts_a_new_log_and_fitting_again_keeps_the_lines_once()
    {
        var log = Path.Combine(_folder, "again", "training.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        File.WriteAllText(log, "{\"a line of\": \"an earlier run\"}\n");
        manual_seed(3);
        using var data = TwoTaskData.Make(64, seed: 8);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 32, LogPath = log });
        trainer.Fit(data);
        Assert.Equal(trainer.History.Select(TrainingLog.ToJson), File.ReadAllLines(log));
        // A second Fit with nothing left to do leaves the same lines, not two copies.
        trainer.Fit(data);
        Assert.Equal(trainer.History.Select(TrainingLog.ToJson), File.ReadAllLines(log));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(log)!, "*.tmp"));
    }
}
