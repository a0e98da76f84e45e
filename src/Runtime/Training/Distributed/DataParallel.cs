using Mtl.Catalog;
using Mtl.Training.Weighting;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>What a <see cref="Trainer"/> does differently as one rank of <see cref="TrainerOptions.Parallel"/>.</summary>
internal static class DataParallel
{
    /// <summary>The options a rank runs with: rank 0 as given; every other rank without log, report, checkpoint or progress (rank 0 writes them).</summary>
    public static TrainerOptions OptionsOfRank(TrainerOptions options) =>
        options.Parallel is { rank: > 0 }
            ? options with { LogPath = null, ReportPath = null, CheckpointPath = null, Progress = null, Display = ProgressMode.None }
            : options;

    /// <summary>
    /// Refuses a weighting method that would drift apart on the ranks. Every method of the catalog
    /// keeps its state the same on every rank: from averaged gradients and summed epoch losses; the
    /// gradient methods from task gradients averaged over the ranks before they combine them
    /// (<see cref="TaskRows"/>); gradnorm from the norms of the task gradients at the last shared
    /// layer averaged over the ranks; famo from the losses before and after the step averaged over
    /// the ranks. A method outside the catalog is refused (nothing says what it reads). With task
    /// gradients at the shared representation, whose rows belong to each rank's own examples, the
    /// methods that combine by the Gram matrix run (its entries are sums over the rows, which sum
    /// over the ranks); graddrop, which combines the rows value by value, is refused.
    /// </summary>
    public static void CheckWeighting(TrainerOptions options, TaskWeighting weighting)
    {
        if (options.Parallel is null) return;
        if (!WeightingCatalog.All.ContainsKey(weighting.Name))
        {
            throw new NotSupportedException(
                $"data-parallel training runs the weighting methods {string.Join(", ", WeightingCatalog.Names)}, not '{weighting.Name}': a method of its own may read each rank's own gradients or losses, which would have to be combined over the ranks first");
        }
        if (weighting is GradientWeighting { Gradients: WeightingCatalog.Representation } and not GramWeighting)
        {
            throw new NotSupportedException(
                $"'{weighting.Name}' with gradients: representation cannot run data-parallel: its task gradients are taken at each rank's own examples' shared representation, and it combines them value by value, not by their inner products (which the ranks can sum); use gradients: parameters, or a method that combines by the Gram matrix ({string.Join(", ", WeightingCatalog.RepresentationMethods.Where(m => m != weighting.Name))})");
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
