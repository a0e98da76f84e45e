using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// The task gradients of a data-parallel step, the same on every rank: the tasks labelled on any
/// rank's shard, each one's gradient row and loss averaged over the ranks that label it (so two
/// ranks with equal shards give the rows one process gets from both shards together), and where
/// this rank's tasks stand among them (<see cref="Local"/>[k] for its k-th task).
/// </summary>
internal sealed record TaskRows(int[] Tasks, Tensor Rows, Tensor[] Losses, int[] Local)
{
    /// <summary>The tasks labelled in this step on any rank's shard, in task order (one small all-reduce).</summary>
    public static int[] PresentOverRanks(distributed.ProcessGroupGloo group, int taskCount, int[] tasks)
    {
        var flags = new double[taskCount];
        foreach (var t in tasks) flags[t] = 1;
        var reduced = tensor(flags, [taskCount]);
        group.all_reduce(reduced);
        var summed = reduced.data<double>().ToArray();
        return Enumerable.Range(0, taskCount).Where(t => summed[t] > 0).ToArray();
    }

    public static TaskRows OverRanks(distributed.ProcessGroupGloo group, int taskCount, int[] tasks, Tensor rows, Tensor[] losses)
    {
        var width = rows.shape[1];
        // Row t of the task-count × P matrix is task t's gradient (zeros where this rank has no loss of it).
        var full = zeros([taskCount, width], rows.dtype);
        var counts = new double[2 * taskCount];
        for (var k = 0; k < tasks.Length; k++)
        {
            full.select(0, tasks[k]).copy_(rows.select(0, k));
            counts[tasks[k]] = 1;
            counts[taskCount + tasks[k]] = losses[k].detach().to(float64).item<double>();
        }
        var meta = tensor(counts, [counts.Length]);
        group.all_reduce(full);
        group.all_reduce(meta);
        var summed = meta.data<double>().ToArray();
        var present = Enumerable.Range(0, taskCount).Where(t => summed[t] > 0).ToArray();
        var holders = tensor(present.Select(t => summed[t]).ToArray(), [present.Length, 1]).to(rows.dtype);
        var averaged = full.index_select(0, tensor(present.Select(t => (long)t).ToArray(), [present.Length])).div_(holders);
        var averagedLosses = present.Select(t => tensor(summed[taskCount + t] / summed[t])).ToArray();
        return new TaskRows(present, averaged, averagedLosses, tasks.Select(t => Array.IndexOf(present, t)).ToArray());
    }
}
