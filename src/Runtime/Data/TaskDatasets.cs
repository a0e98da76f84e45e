using Mtl.Catalog;

namespace Mtl.Data;

/// <summary>Training data where each task comes with its own dataset (holding that task's targets only), and how to interleave them.</summary>
public sealed class TaskDatasets : IDisposable
{
    public TaskDatasets(IReadOnlyDictionary<string, MultiTaskDataset> datasets, SamplingKind sampling = TrainCatalog.Sampling, double temperature = 1.0)
    {
        if (datasets.Count == 0) throw new ArgumentException("at least one task dataset is needed", nameof(datasets));
        foreach (var (task, data) in datasets)
        {
            if (!data.Targets.ContainsKey(task)) throw new ArgumentException($"the dataset for task '{task}' holds no targets for it", nameof(datasets));
            if (data.Count == 0) throw new ArgumentException($"the dataset for task '{task}' is empty: it has no examples", nameof(datasets));
        }
        Datasets = datasets;
        Names = datasets.Keys.ToList();
        Sampler = new TaskSampler(sampling, Names.Select(n => datasets[n].Count).ToList(), temperature);
    }

    public IReadOnlyDictionary<string, MultiTaskDataset> Datasets { get; }

    /// <summary>Task names in the sampler's order.</summary>
    public IReadOnlyList<string> Names { get; }

    public TaskSampler Sampler { get; }

    public void Dispose()
    {
        foreach (var data in Datasets.Values) data.Dispose();
    }
}
