using Mtl.Data;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// Fits a model's standardizers at the start of training, on the training data only (never the
/// validation data): each input standardizer on that input's training rows (with per-task
/// datasets, the rows of every training dataset together), each target standardizer on its
/// task's training targets (missing labels left out). A standardizer that is already fitted —
/// loaded weights, a resumed checkpoint — is kept, so a resumed run equals an uninterrupted one.
/// </summary>
internal static class StandardizerFitting
{
    public static void Fit(MultiTaskModule model, IReadOnlyList<TaskSpec> tasks, MultiTaskDataset train) =>
        Fit(model, tasks, [(train, "the training dataset")], _ => (train, "the training dataset"));

    public static void Fit(MultiTaskModule model, IReadOnlyList<TaskSpec> tasks, TaskDatasets train) =>
        Fit(model, tasks,
            train.Names.Select(n => (train.Datasets[n], $"the training dataset of task '{n}'")).ToList(),
            task => train.Datasets.TryGetValue(task, out var data) ? (data, $"the training dataset of task '{task}'") : null);

    /// <summary>
    /// Inputs are fitted on the rows of every source together; a task's targets on the dataset that
    /// <paramref name="targetsOf"/> gives for it (none: the task has no training data).
    /// </summary>
    private static void Fit(
        MultiTaskModule model,
        IReadOnlyList<TaskSpec> tasks,
        IReadOnlyList<(MultiTaskDataset Data, string What)> inputSources,
        Func<string, (MultiTaskDataset Data, string What)?> targetsOf)
    {
        Check(model, tasks);
        foreach (var (name, standardizer) in model.InputStandardizers)
        {
            if (standardizer.IsFitted) continue;
            using var scope = NewDisposeScope();
            var rows = inputSources.Select(s => Input(s.Data, name, s.What)).ToList();
            standardizer.Fit(rows.Count == 1 ? rows[0] : cat(rows));
        }
        foreach (var (task, standardizer) in model.TargetStandardizers)
        {
            if (standardizer.IsFitted) continue;
            var (data, what) = targetsOf(task)
                ?? throw new ArgumentException($"task '{task}' standardises its targets, but it has no training dataset: the mean and standard deviation of its targets cannot be fitted", "train");
            using var scope = NewDisposeScope();
            standardizer.Fit(AsShaped(Targets(data, task, what), standardizer));
        }
    }

    /// <summary>Target standardizers belong to regression tasks of the trainer; input standardizers to inputs (checked when fitting).</summary>
    private static void Check(MultiTaskModule model, IReadOnlyList<TaskSpec> tasks)
    {
        foreach (var name in model.TargetStandardizers.Keys)
        {
            var task = tasks.FirstOrDefault(t => t.Name == name)
                ?? throw new InvalidOperationException($"the model standardises the targets of '{name}', which is not a task (tasks: {string.Join(", ", tasks.Select(t => t.Name))})");
            if (task.Kind != TaskKind.Regression)
            {
                throw new InvalidOperationException($"the model standardises the targets of task '{name}', which is {Catalog.TaskCatalog.Describe(task.Kind, task.Size)}: only regression targets are standardised");
            }
        }
    }

    private static Tensor Input(MultiTaskDataset data, string name, string what) =>
        data.Inputs.TryGetValue(name, out var values)
            ? values
            : throw new ArgumentException($"the model standardises input '{name}', but {what} has no such input (it has {string.Join(", ", data.Inputs.Keys.Select(k => $"'{k}'"))})");

    private static Tensor Targets(MultiTaskDataset data, string task, string what)
    {
        if (!data.Targets.TryGetValue(task, out var targets) || NoLabel(targets))
        {
            throw new ArgumentException($"task '{task}' standardises its targets, but {what} has no label for it: the mean and standard deviation of its targets cannot be fitted");
        }
        return targets;
    }

    /// <summary>regression(1) targets may be <c>[N]</c>; the standardizer's shape is then <c>[1]</c>.</summary>
    private static Tensor AsShaped(Tensor targets, Standardizer standardizer) =>
        targets.Dimensions == 1 && standardizer.Shape is [1] ? targets.unsqueeze(1) : targets;

    private static bool NoLabel(Tensor targets)
    {
        using var scope = NewDisposeScope();
        return targets.isnan().all().item<bool>();
    }
}
