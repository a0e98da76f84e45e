// A long training run through Mtl.Training.Trainer, printing the process's memory as it goes: the
// resident set (VmRSS), the live tensor handles and the managed heap, every REPORT steps.
// Usage: Mtl.Soak [bare|files] STEPS [STEPS_PER_EPOCH] [REPORT]
//   bare   the loop alone (no checkpoint, log or report);
//   files  a checkpoint, the JSONL log and report.html written after every epoch (in a temporary
//          folder, deleted at the end).
// Both validate on 64 examples each epoch and track the best weights (early stopping on loss that
// never stops). SOAK_FILES=log,report,ckpt (any of them) limits files to those. Prints
// "step rss_kib live_handles managed_kib" lines, each after a full collection, then the RSS at the
// first and last of them and its least-squares slope in MiB per 1,000 steps.
using System.Globalization;
using Mtl;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using static Mtl.Torch.torch;

var mode = args.Length > 0 ? args[0] : "files";
if (args.Length is < 2 or > 4 || mode is not ("bare" or "files"))
{
    Console.Error.WriteLine("usage: Mtl.Soak [bare|files] STEPS [STEPS_PER_EPOCH] [REPORT]");
    return 2;
}
var steps = int.Parse(args[1], CultureInfo.InvariantCulture);
var perEpoch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 100;
var report = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1000;
if (steps % perEpoch != 0 || report % perEpoch != 0)
{
    Console.Error.WriteLine("STEPS and REPORT must be multiples of STEPS_PER_EPOCH");
    return 2;
}

set_num_threads(1);
manual_seed(1);
const int Batch = 8;
TaskSpec[] tasks = [new("value", TaskKind.Regression), new("kind", TaskKind.Classes, 3)];
using var data = MakeData(perEpoch * Batch, tasks);
using var validation = MakeData(64, tasks);
using var model = new SoakModel();
using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
var folder = Directory.CreateTempSubdirectory("mtl-soak-");
try
{
    var files = mode == "files";
    var probe = new MemoryProbe(perEpoch, report);
    using (var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions
    {
        Epochs = steps / perEpoch,
        BatchSize = Batch,
        // Early stopping that never stops (patience beyond the run), so the best weights are tracked too.
        EarlyStop = new EarlyStopping("loss", Patience: steps),
        Progress = probe,
        LogPath = files && Wants("log") ? Path.Combine(folder.FullName, "training.jsonl") : null,
        ReportPath = files && Wants("report") ? Path.Combine(folder.FullName, "report.html") : null,
        CheckpointPath = files && Wants("ckpt") ? Path.Combine(folder.FullName, "last.ckpt") : null,
    }))
    {
        trainer.Fit(data, validation);
    }
    probe.Summary(mode);
}
finally
{
    folder.Delete(recursive: true);
}
return 0;

static bool Wants(string what) => Environment.GetEnvironmentVariable("SOAK_FILES") is not { } only || only.Split(',').Contains(what);

static MultiTaskDataset MakeData(int rows, TaskSpec[] tasks)
{
    using var scope = NewDisposeScope();
    return new MultiTaskDataset(
        new Dictionary<string, Tensor> { ["x"] = randn(rows, 8) },
        new Dictionary<string, Tensor> { ["value"] = randn(rows, 1), ["kind"] = randint(3, [rows]) },
        tasks);
}

/// <summary>A trunk of 8 -> 16 and two small heads.</summary>
internal sealed class SoakModel : MultiTaskModule
{
    private readonly Sequential trunk = nn.Sequential(nn.Linear(8, 16), nn.ReLU());
    private readonly Sequential value = nn.Sequential(nn.Linear(16, 1));
    private readonly Sequential kind = nn.Sequential(nn.Linear(16, 3));

    public SoakModel() : base(nameof(SoakModel)) => RegisterComponents();

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var shared = trunk.forward(inputs["x"]);
        return new(new Dictionary<string, Tensor> { ["value"] = value.forward(shared), ["kind"] = kind.forward(shared) }, shared);
    }

    public override IEnumerable<nn.Module> SharedModules() => [trunk];
}

/// <summary>
/// The trainer's plain progress writer, used as a hook: the trainer writes one line per epoch, and
/// every REPORT steps' worth of them this collects garbage, then prints the step, the resident
/// set, the live tensor handles and the managed heap.
/// </summary>
internal sealed class MemoryProbe(int perEpoch, int report) : TextWriter
{
    private readonly List<(long Step, long RssKib)> _samples = new();
    private int _epochs;

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public override void WriteLine(string? value)
    {
        if (value is null || !value.StartsWith("epoch ", StringComparison.Ordinal)) return;
        _epochs++;
        var step = (long)_epochs * perEpoch;
        if (step % report != 0) return;
        // A full collection first, so the numbers count what is still reachable (or native), not
        // garbage the collector has not got round to: growth here is retained memory.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var rss = ResidentKib();
        _samples.Add((step, rss));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{step} {rss} {Tensor.LiveHandleCount} {GC.GetTotalMemory(false) / 1024}"));
    }

    /// <summary>The RSS at the first and last sample, and the least-squares slope over all samples (less sensitive to one early jump than the two ends).</summary>
    public void Summary(string mode)
    {
        if (_samples.Count < 2) return;
        var (firstStep, firstRss) = _samples[0];
        var (lastStep, lastRss) = _samples[^1];
        var meanStep = _samples.Average(s => (double)s.Step);
        var meanRss = _samples.Average(s => (double)s.RssKib);
        var slope = _samples.Sum(s => (s.Step - meanStep) * (s.RssKib - meanRss)) / _samples.Sum(s => (s.Step - meanStep) * (s.Step - meanStep));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{mode}: RSS {firstRss / 1024.0:F1} MiB at step {firstStep}, {lastRss / 1024.0:F1} MiB at step {lastStep}; slope {slope * 1000 / 1024:+0.00;-0.00} MiB per 1,000 steps"));
    }

    private static long ResidentKib()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        }
        return -1;
    }
}
