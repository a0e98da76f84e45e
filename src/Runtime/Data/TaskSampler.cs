namespace Mtl.Data;

/// <summary>
/// Chooses which task's batch comes next. An epoch is Σₜ ⌈Nₜ / batch⌉ batches, the number it
/// takes to see every dataset once; with round robin each dataset is seen exactly once, with
/// proportional and temperature sampling the draws follow the probabilities (a task may be seen
/// more or less than once, each time from a freshly shuffled pass over its data).
/// </summary>
public sealed class TaskSampler
{
    private readonly double[] _cumulative;

    public TaskSampler(SamplingKind kind, IReadOnlyList<long> sizes, double temperature = 1.0)
    {
        if (sizes.Count == 0) throw new ArgumentException("a sampler needs at least one task", nameof(sizes));
        if (sizes.Any(s => s <= 0)) throw new ArgumentException("every task dataset must hold at least one example", nameof(sizes));
        if (kind == SamplingKind.Temperature && !(temperature > 0)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be positive");
        Kind = kind;
        Temperature = kind == SamplingKind.Temperature ? temperature : 1.0;
        var weights = sizes.Select(s => kind == SamplingKind.RoundRobin ? 1.0 : Math.Pow(s, 1.0 / Temperature)).ToArray();
        var total = weights.Sum();
        Probabilities = weights.Select(w => w / total).ToArray();
        _cumulative = new double[Probabilities.Count];
        double running = 0;
        for (var i = 0; i < _cumulative.Length; i++) _cumulative[i] = running += Probabilities[i];
        _cumulative[^1] = 1.0;
    }

    public SamplingKind Kind { get; }

    public double Temperature { get; }

    /// <summary>The probability of drawing each task (uniform for round robin).</summary>
    public IReadOnlyList<double> Probabilities { get; }

    /// <summary>The task of every batch of one epoch, in order.</summary>
    public IReadOnlyList<int> Schedule(IReadOnlyList<long> batchesPerTask, Random random)
    {
        var total = (int)batchesPerTask.Sum();
        var schedule = new List<int>(total);
        if (Kind == SamplingKind.RoundRobin)
        {
            var left = batchesPerTask.ToArray();
            while (schedule.Count < total)
            {
                for (var t = 0; t < left.Length; t++)
                {
                    if (left[t] == 0) continue;
                    left[t]--;
                    schedule.Add(t);
                }
            }
            return schedule;
        }
        for (var i = 0; i < total; i++)
        {
            var u = random.NextDouble();
            var t = 0;
            while (u >= _cumulative[t] && t < _cumulative.Length - 1) t++;
            schedule.Add(t);
        }
        return schedule;
    }
}
