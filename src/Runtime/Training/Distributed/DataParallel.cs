using Mtl.Training.Weighting;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>What a <see cref="Trainer"/> does differently as one rank of <see cref="TrainerOptions.Parallel"/>.</summary>
internal static class DataParallel
{
    /// <summary>The weighting methods whose state every rank keeps the same from averaged gradients and summed epoch losses.</summary>
    private static readonly HashSet<string> Supported = ["fixed", "uncertainty", "dwa", "rlw"];

    /// <summary>The options a rank runs with: rank 0 as given; every other rank without log, report, checkpoint or progress (rank 0 writes them).</summary>
    public static TrainerOptions OptionsOfRank(TrainerOptions options) =>
        options.Parallel is { rank: > 0 }
            ? options with { LogPath = null, ReportPath = null, CheckpointPath = null, Progress = null, Display = ProgressMode.None }
            : options;

    /// <summary>
    /// Refuses a weighting method that would drift apart on the ranks: one that combines per-task
    /// gradients (those must be averaged over the ranks before the method combines them, which
    /// is not done yet) or reads each rank's own losses after a step.
    /// </summary>
    public static void CheckWeighting(TrainerOptions options, TaskWeighting weighting)
    {
        if (options.Parallel is null || Supported.Contains(weighting.Name)) return;
        throw new NotSupportedException(
            $"data-parallel training supports the weighting methods {string.Join(", ", Supported)} so far, not '{weighting.Name}': its per-task gradients or losses would have to be combined over the ranks first");
    }

    /// <summary>
    /// Sums the epoch's per-task loss sums and counts (in place) and its total and batch count over
    /// the ranks, so every rank logs, and gives the weighting method, the means over all of them.
    /// </summary>
    public static (double Total, int Batches) SumOverRanks(distributed.ProcessGroupGloo group, double[] sums, int[] counts, double total, int batches)
    {
        using var scope = NewDisposeScope();
        var values = new double[2 * sums.Length + 2];
        for (var i = 0; i < sums.Length; i++) (values[i], values[sums.Length + i]) = (sums[i], counts[i]);
        (values[^2], values[^1]) = (total, batches);
        var reduced = tensor(values, [values.Length]);
        group.all_reduce(reduced);
        var result = reduced.data<double>().ToArray();
        for (var i = 0; i < sums.Length; i++) (sums[i], counts[i]) = (result[i], (int)result[sums.Length + i]);
        return (result[^2], (int)result[^1]);
    }
}
