using System.Globalization;
using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Training.Weighting;
using static Mtl.Torch.torch;

/// <summary>
/// What one training step costs with each task-weighting method, relative to fixed weighting:
/// trunk Linear(64,128)-ReLU-Linear(128,64)-ReLU, K heads Linear(64,32)-ReLU-Linear(32,1) with
/// MSE, batch 256, Adam (lr 1e-3), 128 batches made once and cycled. Every method trains its own
/// copy of the model (built after manual_seed(0)); a round runs a block of steps of each, in an
/// order that rotates from round to round, and a method's cost/ew is the median over the rounds
/// of its block's thread CPU time over the fixed method's in the same round. Each method that
/// can take its gradients at the shared representation runs a second time with
/// <c>gradients: representation</c>, named <c>method/rep</c>.
/// </summary>
static class WeightingBench
{
    private const long Batch = 256;
    private const int Batches = 128;
    private const string RepresentationSuffix = "/rep";

    /// <summary>
    /// Times every method, or only those named in <paramref name="only"/> (as the lines name them,
    /// <c>method/rep</c> included; <c>fixed</c>, the reference, always runs).
    /// </summary>
    public static void Run(int rounds, int block, IReadOnlyList<int> taskCounts, IReadOnlyList<string> only)
    {
        var known = TaskWeighting.Names.Concat(WeightingCatalog.RepresentationMethods.Select(n => n + RepresentationSuffix)).ToList();
        if (only.FirstOrDefault(n => !known.Contains(n)) is { } unknown) throw new ArgumentException($"unknown method '{unknown}'; known: {string.Join(", ", known)}", nameof(only));
        foreach (var k in taskCounts)
        {
            using var data = new BenchData(k);
            var names = known.Where(n => only.Count == 0 || n == "fixed" || only.Contains(n)).ToList();
            var runs = names.Select(name => new MethodRun(name, k, data)).ToList();
            try
            {
                foreach (var run in runs) run.Steps(block);  // warm-up: JIT, Adam's state, first allocations
                var times = names.ToDictionary(n => n, _ => new List<double>());
                for (var round = 0; round < rounds; round++)
                {
                    for (var i = 0; i < runs.Count; i++)
                    {
                        var run = runs[(i + round) % runs.Count];
                        var start = ThreadCpu.Seconds();
                        run.Steps(block);
                        times[run.Name].Add((ThreadCpu.Seconds() - start) * 1e6 / block);
                    }
                }
                var ew = times["fixed"];
                foreach (var name in names)
                {
                    var ratio = Median(times[name].Select((t, r) => t / ew[r]));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"weighting {name} K={k}: {Median(times[name]):F0} us, ew {Median(ew):F0} us, cost/ew {ratio:F2}"));
                }
            }
            finally
            {
                foreach (var run in runs) run.Dispose();
            }
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The batches every method trains on: inputs [256,64] and one target [256,1] per task.</summary>
    private sealed class BenchData : IDisposable
    {
        public readonly Tensor[] Inputs = new Tensor[Batches];
        public readonly Tensor[][] Targets = new Tensor[Batches][];

        public BenchData(int k)
        {
            manual_seed(1);
            for (var b = 0; b < Batches; b++)
            {
                Inputs[b] = randn(Batch, 64);
                Targets[b] = Enumerable.Range(0, k).Select(_ => randn(Batch, 1)).ToArray();
            }
        }

        public void Dispose()
        {
            foreach (var x in Inputs) x.Dispose();
            foreach (var t in Targets.SelectMany(t => t)) t.Dispose();
        }
    }

    /// <summary>One method training its own model, step by step as the trainer runs it.</summary>
    private sealed class MethodRun : IDisposable
    {
        private readonly Mtl.Torch.Modules.Sequential trunk;
        private readonly Mtl.Torch.Modules.Sequential[] heads;
        private readonly Mtl.Torch.Modules.Optimizer optimizer;
        private readonly TaskWeighting method;
        private readonly WeightingContext context;
        private readonly BenchData data;
        private int next;

        public MethodRun(string name, int k, BenchData data)
        {
            Name = name;
            this.data = data;
            manual_seed(0);
            var last = nn.Linear(128, 64);
            trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), last, nn.ReLU());
            heads = Enumerable.Range(0, k).Select(_ => nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))).ToArray();
            method = name.EndsWith(RepresentationSuffix, StringComparison.Ordinal)
                ? TaskWeighting.Create(name[..^RepresentationSuffix.Length], Enumerable.Repeat(1.0, k).ToArray(), new Dictionary<string, object> { [WeightingCatalog.Gradients] = WeightingCatalog.Representation })
                : TaskWeighting.Create(name, Enumerable.Repeat(1.0, k).ToArray());
            context = new WeightingContext
            {
                TaskNames = Enumerable.Range(0, k).Select(i => $"t{i}").ToList(),
                SharedParameters = trunk.parameters().ToList(),
                TaskParameters = heads.SelectMany(h => h.parameters()).ToList(),
                LastSharedLayer = last.parameters().ToList(),
                Random = new Random(0),
            };
            method.Attach(context);
            var parameters = trunk.parameters().Concat(context.TaskParameters).Concat(method.parameters());
            optimizer = optim.Adam(parameters, lr: 1e-3);
        }

        public string Name { get; }

        public void Steps(int count)
        {
            for (var i = 0; i < count; i++) Step();
        }

        private void Step()
        {
            using var scope = NewDisposeScope();
            var b = next++ % Batches;
            optimizer.zero_grad();
            var z = trunk.forward(data.Inputs[b]);
            var losses = heads.Select((h, t) => (Tensor?)nn.functional.mse_loss(h.forward(z), data.Targets[b][t])).ToArray();
            context.SharedRepresentation = z;
            method.Backward(losses, context);
            optimizer.step();
            context.Step++;
            if (method.NeedsLossesAfterStep)
            {
                using var mode = no_grad();
                var after = heads.Select((h, t) => (double?)nn.functional.mse_loss(h.forward(trunk.forward(data.Inputs[b])), data.Targets[b][t]).item<double>()).ToList();
                method.AfterStep(after, context);
            }
        }

        public void Dispose()
        {
            optimizer.Dispose();
            method.Dispose();
            trunk.Dispose();
            foreach (var h in heads) h.Dispose();
        }
    }
}
