using Mtl.Catalog;
using Mtl.Training.Weighting;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>What a <see cref="Trainer"/> does differently as one rank of <see cref="TrainerOptions.Parallel"/>.</summary>
internal static class DataParallel
{
    /// <summary>
    /// The weighting methods whose state every rank keeps the same: from averaged gradients and
    /// summed epoch losses, and for the gradient methods from task gradients averaged over the
    /// ranks before they combine them (<see cref="TaskRows"/>).
    /// </summary>
    private static readonly HashSet<string> Supported = ["fixed", "uncertainty", "dwa", "rlw", "pcgrad", "mgda", "cagrad", "imtl", "graddrop", "gradvac", "aligned_mtl", "nash_mtl"];

    /// <summary>The options a rank runs with: rank 0 as given; every other rank without log, report, checkpoint or progress (rank 0 writes them).</summary>
    public static TrainerOptions OptionsOfRank(TrainerOptions options) =>
        options.Parallel is { rank: > 0 }
            ? options with { LogPath = null, ReportPath = null, CheckpointPath = null, Progress = null, Display = ProgressMode.None }
            : options;

    /// <summary>
    /// Refuses a weighting method that would drift apart on the ranks: one that reads each rank's
    /// own gradient norms (gradnorm) or losses after a step (famo), or takes task gradients at the
    /// shared representation (each rank's own examples).
    /// </summary>
    public static void CheckWeighting(TrainerOptions options, TaskWeighting weighting)
    {
        if (options.Parallel is null) return;
        if (!Supported.Contains(weighting.Name))
        {
            throw new NotSupportedException(
                $"data-parallel training supports the weighting methods {string.Join(", ", Supported)} so far, not '{weighting.Name}': it reads each rank's own gradient norms or losses after the step, which would have to be combined over the ranks first");
        }
        if (weighting is GradientWeighting { Gradients: WeightingCatalog.Representation })
        {
            throw new NotSupportedException(
                $"'{weighting.Name}' with gradients: representation cannot run data-parallel: its task gradients are taken at each rank's own examples' shared representation, which cannot be averaged over the ranks; use gradients: parameters");
        }
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
