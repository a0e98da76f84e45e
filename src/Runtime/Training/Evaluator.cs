using Mtl.Data;
using Mtl.Training.Metrics;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// Evaluates a model on labelled data, in evaluation mode without gradients: each task's mean
/// loss over its labelled examples (<c>task.loss</c>), every declared metric (<c>task.metric</c>)
/// and <c>loss</c>, the sum of the task losses scaled by the tasks' declared weights. A task
/// without labelled examples has NaN for its loss and metrics and is left out of <c>loss</c>; a
/// task with labelled examples is always in it, so a NaN loss is never hidden. Each batch runs in
/// its own dispose scope. A task with standardised targets has its loss in standardised units
/// (the objective) and its metrics in the original units.
/// </summary>
internal sealed class Evaluator
{
    private readonly MultiTaskModule _model;
    private readonly IReadOnlyList<TaskSpec> _tasks;
    private readonly TaskLosses _losses;
    private readonly long _batchSize;

    /// <summary>Evaluates <paramref name="model"/> on <paramref name="tasks"/> with their <paramref name="losses"/>, in batches of <paramref name="batchSize"/> (the training batch size) or 256 examples, whichever is more.</summary>
    public Evaluator(MultiTaskModule model, IReadOnlyList<TaskSpec> tasks, TaskLosses losses, long batchSize)
    {
        _model = model;
        _tasks = tasks;
        _losses = losses;
        _batchSize = Math.Max(batchSize, 256);
    }

    /// <summary>
    /// Mean loss per task over all its labelled examples (<c>task.loss</c>, NaN for a task without
    /// one: each batch's mean counts by its labelled examples, not its size), <c>loss</c>
    /// (their weighted sum over the tasks with labelled examples; NaN when there are none) and
    /// every declared <c>task.metric</c>. A task with labelled examples is never left out of the
    /// total: a NaN or infinite loss of it (a diverged model) makes <c>loss</c> NaN or infinite.
    /// </summary>
    public Dictionary<string, double> Evaluate(MultiTaskDataset data) => Evaluate(data, null, out _);

    /// <summary>
    /// <see cref="Evaluate(MultiTaskDataset)"/> as one rank of <paramref name="group"/> (every rank
    /// calls it): each rank evaluates its part of every batch, and the loss sums and counts and the
    /// metrics' states are gathered from all ranks (<see cref="Metric.State"/>), so every rank gets
    /// the values one process gets from the whole of <paramref name="data"/>, up to the rounding
    /// of sums taken in another order. Null: this process evaluates all of it.
    /// </summary>
    public Dictionary<string, double> Evaluate(MultiTaskDataset data, distributed.ProcessGroupGloo? group) => Evaluate(data, group, out _);

    /// <summary><see cref="Evaluate(MultiTaskDataset, distributed.ProcessGroupGloo?)"/>, telling which tasks had labelled examples.</summary>
    private Dictionary<string, double> Evaluate(MultiTaskDataset data, distributed.ProcessGroupGloo? group, out bool[] labelled)
    {
        var metrics = NewMetrics();
        var sums = new double[_tasks.Count];
        var counts = new double[_tasks.Count];
        var wasTraining = _model.training;
        _model.eval();
        // The model goes back to its mode even when a batch fails (bad data, a diverged model).
        try
        {
            using var mode = no_grad();
            using var source = data.Batches(_batchSize, shuffle: false, seed: 0, group?.rank ?? 0, group?.size ?? 1).GetEnumerator();
            while (true)
            {
                using var scope = NewDisposeScope();
                if (!source.MoveNext()) break;
                var batch = source.Current;
                var output = _model.forward(batch.Inputs);
                var losses = _losses.Compute(output, batch);
                for (var i = 0; i < _tasks.Count; i++)
                {
                    if (!batch.Targets.TryGetValue(_tasks[i].Name, out var target)) continue;
                    if (losses[i] is { } loss)
                    {
                        var denominator = _losses.Denominator(i, target);
                        sums[i] += loss.item<double>() * denominator;
                        counts[i] += denominator;
                    }
                    // Metrics are in the targets' original units; the loss (above) is the objective's.
                    var original = _model.OriginalUnits(_tasks[i].Name, output.Tasks[_tasks[i].Name]);
                    foreach (var metric in metrics[i]) metric.Update(original, target);
                }
            }
        }
        finally
        {
            _model.train(wasTraining);
        }
        if (group is not null) metrics = GatherOverRanks(group, sums, counts, metrics);
        var result = new Dictionary<string, double>();
        labelled = counts.Select(c => c > 0).ToArray();
        double weighted = 0;
        for (var i = 0; i < _tasks.Count; i++)
        {
            var mean = labelled[i] ? sums[i] / counts[i] : double.NaN;
            result[$"{_tasks[i].Name}.loss"] = mean;
            if (labelled[i]) weighted += _tasks[i].Weight * mean;
            foreach (var metric in metrics[i]) result[$"{_tasks[i].Name}.{metric.Name}"] = metric.Compute();
        }
        result["loss"] = labelled.Any(l => l) ? weighted : double.NaN;
        return result;
    }

    /// <summary>
    /// Each task on its own dataset: that task's <c>task.loss</c> and metrics from its dataset, and
    /// <c>loss</c>, the weighted sum of those losses in the datasets' order over the tasks with
    /// labelled examples (NaN when there are none; a NaN task loss makes it NaN).
    /// </summary>
    public Dictionary<string, double> Evaluate(TaskDatasets data, distributed.ProcessGroupGloo? group = null)
    {
        var result = new Dictionary<string, double>();
        double weighted = 0;
        var any = false;
        foreach (var name in data.Names)
        {
            var task = _tasks.Select((t, i) => (t, i)).Where(p => p.t.Name == name).Select(p => p.i).DefaultIfEmpty(-1).First();
            if (task < 0) throw new ArgumentException($"a dataset is given for '{name}', which is not a task (tasks: {string.Join(", ", _tasks.Select(t => t.Name))})", nameof(data));
            var metrics = Evaluate(data.Datasets[name], group, out var labelled);
            foreach (var (key, value) in metrics)
            {
                if (key.StartsWith(name + ".", StringComparison.Ordinal)) result[key] = value;
            }
            if (!labelled[task]) continue;
            weighted += _tasks[task].Weight * metrics[name + ".loss"];
            any = true;
        }
        result["loss"] = any ? weighted : double.NaN;
        return result;
    }

    /// <summary>A fresh metric for every declared metric of every task, in task order.</summary>
    private List<List<Metric>> NewMetrics() => _tasks.Select(t => t.Metrics.Select(m => Metric.Create(m, t.Kind, t.Size, t.IgnoreIndex)).ToList()).ToList();

    /// <summary>
    /// Sums the loss sums and counts (in place) over the ranks, and gives each task's metrics
    /// merged from every rank's state in rank order (the same on every rank). The states differ in
    /// length (AUC keeps every score), so they travel as one all-reduce of a world × longest matrix
    /// in which each rank fills its own row, after one all-reduce of the lengths.
    /// </summary>
    private List<List<Metric>> GatherOverRanks(distributed.ProcessGroupGloo group, double[] sums, double[] counts, List<List<Metric>> metrics)
    {
        using var scope = NewDisposeScope();
        var own = new List<double>([.. sums, .. counts]);
        foreach (var metric in metrics.SelectMany(m => m))
        {
            var state = metric.State();
            own.Add(state.Length);
            own.AddRange(state);
        }
        var lengths = new double[group.size];
        lengths[group.rank] = own.Count;
        var lengthsOverRanks = tensor(lengths, [group.size]);
        group.all_reduce(lengthsOverRanks);
        var sizes = lengthsOverRanks.data<double>().ToArray().Select(l => (int)l).ToArray();
        var longest = sizes.Max();
        var rows = zeros([group.size, longest], float64);
        rows.select(0, group.rank).narrow(0, 0, own.Count).copy_(tensor([.. own], [own.Count]));
        group.all_reduce(rows);
        var all = rows.data<double>().ToArray();

        Array.Clear(sums);
        Array.Clear(counts);
        var merged = NewMetrics();
        for (var rank = 0; rank < group.size; rank++)
        {
            var at = rank * longest;
            for (var i = 0; i < sums.Length; i++) sums[i] += all[at + i];
            for (var i = 0; i < counts.Length; i++) counts[i] += all[at + sums.Length + i];
            at += sums.Length + counts.Length;
            foreach (var metric in merged.SelectMany(m => m))
            {
                var length = (int)all[at++];
                metric.Merge(all.AsSpan(at, length).ToArray());
                at += length;
            }
        }
        return merged;
    }
}
