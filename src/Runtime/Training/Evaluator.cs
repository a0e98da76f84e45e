using Mtl.Data;
using Mtl.Training.Metrics;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// Evaluates a model on labelled data, in evaluation mode without gradients: each task's mean
/// loss over its labelled examples (<c>task.loss</c>), every declared metric (<c>task.metric</c>)
/// and <c>loss</c>, the sum of the task losses scaled by the tasks' declared weights. Each batch
/// runs in its own dispose scope.
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
    /// (their weighted sum, leaving out NaN ones) and every declared <c>task.metric</c>.
    /// </summary>
    public Dictionary<string, double> Evaluate(MultiTaskDataset data)
    {
        var metrics = _tasks.Select(t => t.Metrics.Select(m => Metric.Create(m, t.Kind, t.Size)).ToList()).ToList();
        var sums = new double[_tasks.Count];
        var counts = new double[_tasks.Count];
        var wasTraining = _model.training;
        _model.eval();
        using (no_grad())
        {
            using var source = data.Batches(_batchSize, shuffle: false).GetEnumerator();
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
                        var labelled = _losses.Denominator(i, target);
                        sums[i] += loss.item<double>() * labelled;
                        counts[i] += labelled;
                    }
                    foreach (var metric in metrics[i]) metric.Update(output.Tasks[_tasks[i].Name], target);
                }
            }
        }
        _model.train(wasTraining);
        var result = new Dictionary<string, double>();
        double weighted = 0;
        for (var i = 0; i < _tasks.Count; i++)
        {
            var mean = counts[i] == 0 ? double.NaN : sums[i] / counts[i];
            result[$"{_tasks[i].Name}.loss"] = mean;
            if (!double.IsNaN(mean)) weighted += _tasks[i].Weight * mean;
            foreach (var metric in metrics[i]) result[$"{_tasks[i].Name}.{metric.Name}"] = metric.Compute();
        }
        result["loss"] = weighted;
        return result;
    }

    /// <summary>
    /// Each task on its own dataset: that task's <c>task.loss</c> and metrics from its dataset, and
    /// <c>loss</c>, the weighted sum of those losses in the datasets' order (leaving out NaN ones).
    /// </summary>
    public Dictionary<string, double> Evaluate(TaskDatasets data)
    {
        var result = new Dictionary<string, double>();
        double weighted = 0;
        foreach (var name in data.Names)
        {
            var metrics = Evaluate(data.Datasets[name]);
            foreach (var (key, value) in metrics)
            {
                if (key.StartsWith(name + ".", StringComparison.Ordinal)) result[key] = value;
            }
            var loss = metrics[name + ".loss"];
            if (!double.IsNaN(loss)) weighted += _tasks.First(t => t.Name == name).Weight * loss;
        }
        result["loss"] = weighted;
        return result;
    }
}
