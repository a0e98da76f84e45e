using Mtl.Data;
using Mtl.Torch;

namespace Mtl.Training;

/// <summary>
/// Every task's masked loss (<see cref="TaskLoss"/>) over one batch, in task order: what training
/// backpropagates and evaluation averages. A task with a target standardizer
/// (<see cref="MultiTaskModule.TargetStandardizers"/>) is scored against its standardised targets
/// (a missing label stays NaN), as its output is in standardised units.
/// </summary>
internal sealed class TaskLosses : IDisposable
{
    private readonly IReadOnlyList<TaskSpec> _tasks;
    private readonly TaskLoss[] _losses;
    private readonly IReadOnlyDictionary<string, Standardizer> _standardizers;

    public TaskLosses(IReadOnlyList<TaskSpec> tasks, IReadOnlyDictionary<string, Standardizer>? targetStandardizers = null)
    {
        _tasks = tasks;
        _standardizers = targetStandardizers ?? new Dictionary<string, Standardizer>();
        _losses = tasks.Select(t => new TaskLoss(t)).ToArray();
    }

    /// <summary>
    /// Each task's loss on the batch, in the caller's dispose scope; null for a task the batch has
    /// no targets for or no labelled example of. A model that returns no output for a task is an error.
    /// </summary>
    public Tensor?[] Compute(MultiTaskOutput output, MultiTaskBatch batch)
    {
        var losses = new Tensor?[_tasks.Count];
        for (var i = 0; i < _tasks.Count; i++)
        {
            var name = _tasks[i].Name;
            if (!output.Tasks.TryGetValue(name, out var prediction)) throw new InvalidOperationException($"the model returned no output for task '{name}'");
            if (!batch.Targets.TryGetValue(name, out var target)) continue;
            if (_standardizers.TryGetValue(name, out var standardizer)) target = standardizer.forward(target);
            losses[i] = _losses[i].Compute(prediction, target);
        }
        return losses;
    }

    /// <summary>What task <paramref name="task"/>'s mean loss on <paramref name="target"/> divides by (see <see cref="TaskLoss.Denominator"/>).</summary>
    public double Denominator(int task, Tensor target) => _losses[task].Denominator(target);

    public void Dispose()
    {
        foreach (var loss in _losses) loss.Dispose();
    }
}
