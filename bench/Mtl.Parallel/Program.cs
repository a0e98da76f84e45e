// One rank of a data-parallel run (started by mtl-run, which sets RANK, WORLD_SIZE, MASTER_ADDR
// and MASTER_PORT), or one process when WORLD_SIZE is unset: trains a two-task model on seeded
// synthetic data and prints, per rank, the last epoch's loss, the weights' digest and sum, and the
// time per epoch after the first. Two ranks with --batch B must end as one process with --batch 2B.
//   dotnet Mtl.Parallel.dll [--batch B] [--epochs E] [--rows N]
// With --allreduce it measures the raw latency of Gloo's all_reduce instead (see Latency below).
using System.Globalization;
using Mtl;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using static Mtl.Torch.torch;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
set_num_threads(1);
int Option(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
var (batch, epochs, rows) = (Option("--batch", 64), Option("--epochs", 3), Option("--rows", 2048));

if (args.Contains("--allreduce"))
{
    Latency(Array.IndexOf(args, "--host") is var h and >= 0 && h + 1 < args.Length ? args[h + 1] : null, Option("--repeats", 200));
    return;
}

using var process = DistributedProcess.FromEnvironment(TimeSpan.FromSeconds(60));
var rank = process?.Rank ?? 0;
using var data = Synthetic(rows);
manual_seed(7);
using var model = new TwoTasks();
using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
TaskSpec[] tasks = [new TaskSpec("value", TaskKind.Regression), new TaskSpec("kind", TaskKind.Classes, 3)];
using var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions { Epochs = epochs, BatchSize = batch, Seed = 3, Parallel = process?.Group });
var history = trainer.Fit(data);
// The first epoch pays for JIT compilation and the checks before training: time the others.
var timed = history.Count > 1 ? history.Skip(1).ToList() : history.ToList();
var seconds = timed.Average(r => r.Seconds);
var weights = model.parameters().Select(p => p.detach().flatten()).ToList();
using var all = cat(weights);
Console.WriteLine($"rank {rank} of {process?.WorldSize ?? 1}: loss {history[^1].TrainLoss:R} sum {all.sum().item<double>():R} digest {TensorDigest.Of(all).Crc32C:x8} steps {trainer.Step} seconds/epoch {seconds:F4}");
foreach (var w in weights) w.Dispose();

// The raw all_reduce latency of a group joined as the environment says (mtl-run -n 2), with the
// Gloo device on `host` (null: libtorch's default, the hostname's address): for float32 tensors of
// 1 value, of this model's gradients (12,000 values, one bucket) and of a full 25 MiB bucket, the
// median and the 10th/90th percentiles of `repeats` calls after 20 not timed, with a barrier
// before each call so that every rank starts it at once.
static void Latency(string? host, int repeats)
{
    var world = int.Parse(Environment.GetEnvironmentVariable("WORLD_SIZE") ?? "1", CultureInfo.InvariantCulture);
    var rank = int.Parse(Environment.GetEnvironmentVariable("RANK") ?? "0", CultureInfo.InvariantCulture);
    var address = Environment.GetEnvironmentVariable("MASTER_ADDR") ?? "127.0.0.1";
    var port = int.Parse(Environment.GetEnvironmentVariable("MASTER_PORT") ?? "29500", CultureInfo.InvariantCulture);
    using var store = new distributed.TCPStore(address, port, world, is_master: rank == 0, TimeSpan.FromSeconds(60));
    using var group = new distributed.ProcessGroupGloo(store, rank, world, TimeSpan.FromSeconds(60), host);
    foreach (var (name, count) in new[] { ("1 value", 1L), ("12,000 values", 12_000L), ("25 MiB", 25L * 1024 * 1024 / 4) })
    {
        using var values = zeros(count);
        var times = new List<double>();
        for (var i = 0; i < 20 + repeats; i++)
        {
            group.barrier();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            group.all_reduce(values);
            if (i >= 20) times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        double At(double q) => times[(int)Math.Min(times.Count - 1, Math.Round(q * (times.Count - 1)))];
        Console.WriteLine($"rank {rank} of {world} host {host ?? "default"}: all_reduce of {name}: median {At(0.5):F3} ms (p10 {At(0.1):F3}, p90 {At(0.9):F3}) over {repeats} calls");
    }
}

static MultiTaskDataset Synthetic(int rows)
{
    using var scope = NewDisposeScope();
    manual_seed(1);
    var x = randn(rows, 16);
    var value = x.narrow(1, 0, 4).sum(1, keepdim: true).sin();
    var kind = x.narrow(1, 4, 3).argmax(1);
    return new MultiTaskDataset(new Dictionary<string, Tensor> { ["x"] = x }, new Dictionary<string, Tensor> { ["value"] = value, ["kind"] = kind },
        [new TaskSpec("value", TaskKind.Regression), new TaskSpec("kind", TaskKind.Classes, 3)]);
}

/// <summary>The reference shape of the benchmarks: a trunk 16 → 128 → 64 and two heads.</summary>
internal sealed class TwoTasks : MultiTaskModule
{
    private readonly Sequential trunk, value, kind;

    public TwoTasks() : base(nameof(TwoTasks))
    {
        trunk = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU());
        value = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1));
        kind = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 3));
        RegisterComponents();
    }

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var shared = trunk.forward(inputs["x"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = value.forward(shared), ["kind"] = kind.forward(shared) }, shared);
    }

    public override IEnumerable<nn.Module> SharedModules() => [trunk];
}
