using System.Globalization;
using Mtl;
using Mtl.Catalog;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using static Mtl.Torch.torch;

/// <summary>
/// What measuring task relatedness costs: an epoch of <see cref="Trainer.Fit(MultiTaskDataset, MultiTaskDataset?)"/>
/// with <see cref="TrainerOptions.Relatedness"/> at the default rate (<see cref="TrainCatalog.RelatednessEvery"/>)
/// against the same epoch without, side by side in one process. Trunk Linear(64,128)-ReLU-
/// Linear(128,64)-ReLU, K = 3 heads Linear(64,32)-ReLU-Linear(32,1) with MSE, fixed weights, Adam
/// (lr 1e-3), 25600 random rows in batches of 64 (400 steps an epoch, 8 of them sampled). Each
/// round trains one epoch of each on a fresh model (built after manual_seed(0)), the order
/// alternating from round to round, timed by the thread's CPU time; the ratio is the median over
/// the rounds of with/without. On a busy machine that ratio is within the noise, so each round
/// also trains an epoch that samples every step: its extra cost over the epoch without, divided
/// by the default rate, is the cost the default adds, measured where it is large.
/// </summary>
static class RelatednessBench
{
    private const int Tasks = 3, Rows = 25600, Batch = 64;

    public static void Run(int rounds)
    {
        var tasks = Enumerable.Range(0, Tasks).Select(i => new TaskSpec($"t{i}", TaskKind.Regression)).ToArray();
        manual_seed(1);
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = randn(Rows, 64) },
            tasks.ToDictionary(t => t.Name, _ => randn(Rows, 1)),
            tasks);
        double Epoch(int? every)
        {
            manual_seed(0);
            using var model = new BenchModel(Tasks);
            using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
            using var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = Batch, Relatedness = every });
            var start = ThreadCpu.Seconds();
            var history = trainer.Fit(data);
            var seconds = ThreadCpu.Seconds() - start;
            if ((history[0].Relatedness is not null) != (every is not null)) throw new InvalidOperationException("relatedness was not measured as asked");
            return seconds;
        }

        int?[] settings = [null, TrainCatalog.RelatednessEvery, 1];
        foreach (var every in settings) Epoch(every);  // warm-up: JIT, first allocations
        var times = settings.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < settings.Length; i++)
            {
                var k = (i + round) % settings.Length;
                times[k].Add(Epoch(settings[k]));
            }
        }
        var (without, with, everyStep) = (times[0], times[1], times[2]);
        var ratios = with.Select((w, r) => w / without[r]).Order().ToArray();
        var perSample = Median(everyStep.Select((w, r) => w / without[r] - 1));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relatedness every {TrainCatalog.RelatednessEvery}, K={Tasks}, {Rows / Batch} steps an epoch: with {Median(with) * 1e3:F0} ms, without {Median(without) * 1e3:F0} ms, with/without {Median(ratios):F3} (middle half of the rounds {ratios[ratios.Length / 4]:F3}-{ratios[3 * ratios.Length / 4]:F3})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relatedness every step: {Median(everyStep) * 1e3:F0} ms, +{perSample * 100:F0}% a sampled step, so +{perSample / TrainCatalog.RelatednessEvery * 100:F1}% at every {TrainCatalog.RelatednessEvery}"));
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private sealed class BenchModel : MultiTaskModule
    {
        private readonly Mtl.Torch.Modules.Sequential trunk;
        private readonly Mtl.Torch.Modules.Sequential[] heads;

        public BenchModel(int k) : base(nameof(BenchModel))
        {
            trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU());
            heads = Enumerable.Range(0, k).Select(_ => nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))).ToArray();
            register_module("trunk", trunk);
            for (var i = 0; i < k; i++) register_module($"t{i}", heads[i]);
        }

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var shared = trunk.forward(inputs["x"]);
            return new MultiTaskOutput(heads.Select((h, i) => ($"t{i}", h.forward(shared))).ToDictionary(p => p.Item1, p => p.Item2), shared);
        }

        public override IEnumerable<nn.Module> SharedModules() => [trunk];
    }
}
