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
    /// <summary>How many ranks' shards label each task in this step (one small all-reduce).</summary>
    public static double[] HoldersOverRanks(distributed.ProcessGroupGloo group, int taskCount, int[] tasks)
    {
        var flags = new double[taskCount];
        foreach (var t in tasks) flags[t] = 1;
        var reduced = tensor(flags, [taskCount]);
        group.all_reduce(reduced);
        return reduced.data<double>().ToArray();
    }

    /// <summary>The tasks some rank labels, in task order, from <see cref="HoldersOverRanks"/>.</summary>
    public static int[] Present(double[] holders) => Enumerable.Range(0, holders.Length).Where(t => holders[t] > 0).ToArray();

    /// <summary>The rows and losses averaged over the ranks that hold each task (<paramref name="holders"/>, from <see cref="HoldersOverRanks"/>).</summary>
    public static TaskRows OverRanks(distributed.ProcessGroupGloo group, double[] holders, int[] tasks, Tensor rows, Tensor[] losses)
    {
        var taskCount = holders.Length;
        // Row t of the task-count × P matrix is task t's gradient (zeros where this rank has no loss of it).
        var full = zeros([taskCount, rows.shape[1]], rows.dtype);
        for (var k = 0; k < tasks.Length; k++) full.select(0, tasks[k]).copy_(rows.select(0, k));
        group.all_reduce(full);
        var lossMeans = LossesOverRanks(group, holders, tasks, losses.Select(l => l.detach().to(float64).item<double>()).ToArray());
        var present = Present(holders);
        var counts = tensor(present.Select(t => holders[t]).ToArray(), [present.Length, 1]).to(rows.dtype);
        var averaged = full.index_select(0, tensor(present.Select(t => (long)t).ToArray(), [present.Length])).div_(counts);
        var averagedLosses = present.Select(t => tensor(lossMeans[t])).ToArray();
        return new TaskRows(present, averaged, averagedLosses, tasks.Select(t => Array.IndexOf(present, t)).ToArray());
    }

    /// <summary>
    /// Each task's loss averaged over the ranks that hold it (one all-reduce), indexed by task: the
    /// loss one process gets on the union of equal shards; NaN for a task no rank labels.
    /// <paramref name="values"/>[k] is this rank's loss of <paramref name="tasks"/>[k].
    /// </summary>
    public static double[] LossesOverRanks(distributed.ProcessGroupGloo group, double[] holders, int[] tasks, IReadOnlyList<double> values)
    {
        var sums = new double[holders.Length];
        for (var k = 0; k < tasks.Length; k++) sums[tasks[k]] = values[k];
        var reduced = tensor(sums, [sums.Length]);
        group.all_reduce(reduced);
        var summed = reduced.data<double>().ToArray();
        return summed.Select((s, t) => holders[t] > 0 ? s / holders[t] : double.NaN).ToArray();
    }
}
