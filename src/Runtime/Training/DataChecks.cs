using Mtl.Data;

namespace Mtl.Training;

/// <summary>
/// What the trainer checks of data before it trains or evaluates on it: each input the model
/// declares (<see cref="MultiTaskModule.DeclaredInputs"/>) is present with its dtype and
/// per-example shape, and the targets fit the trainer's tasks. A dataset's targets were checked
/// against its own task specs when it was built; they are checked again only for a task the
/// trainer declares differently (another kind, size or missing-label rule). Errors are
/// <see cref="InvalidDataException"/>s that name the data, the model, the member, and what was
/// expected and found. Before training (<see cref="BeforeFit(MultiTaskDataset, MultiTaskDataset?, MultiTaskModule, IReadOnlyList{TaskSpec}, TaskLosses)"/>)
/// also: an empty dataset, or one without a labelled example of any task, is an
/// <see cref="ArgumentException"/>; a task without a labelled example gets a warning, and its
/// validation losses and metrics are left out (absent, not NaN or 0); and the model takes its
/// learned category vocabularies from the training data (<see cref="CategoryLearning"/>).
/// </summary>
internal static class DataChecks
{
    /// <summary>What the checks before training found: warnings to show, and the tasks the validation data cannot score.</summary>
    public sealed record FitChecks(IReadOnlyList<string> Warnings, IReadOnlyCollection<string> Unvalidated)
    {
        /// <summary>A validation result without the losses and metrics of the tasks it has no labelled example of.</summary>
        public Dictionary<string, double> WithoutUnvalidated(Dictionary<string, double> metrics)
        {
            foreach (var task in Unvalidated)
            {
                foreach (var key in metrics.Keys.Where(k => k.StartsWith(task + ".", StringComparison.Ordinal)).ToList()) metrics.Remove(key);
            }
            return metrics;
        }
    }

    public static FitChecks BeforeFit(MultiTaskDataset train, MultiTaskDataset? validation, MultiTaskModule model, IReadOnlyList<TaskSpec> tasks, TaskLosses losses)
    {
        ArgumentNullException.ThrowIfNull(train);
        var warnings = new List<string>();
        foreach (var name in Unlabelled(train, "the training dataset", nameof(train), tasks, losses))
        {
            warnings.Add($"warning: task '{name}' has no labelled example in the training dataset; it is not trained and it has no training loss");
        }
        var unvalidated = validation is null ? [] : Unlabelled(validation, "the validation dataset", nameof(validation), tasks, losses);
        foreach (var name in unvalidated) warnings.Add($"warning: task '{name}' has no labelled example in the validation dataset; it has no validation loss or metrics");
        Require("training data", train, model, tasks);
        if (validation is not null) Require("validation data", validation, model, tasks);
        CategoryLearning.BeforeFit(model, [("the training data", train)], validation is null ? [] : [("the validation data", validation)]);
        return new FitChecks(warnings, unvalidated);
    }

    public static FitChecks BeforeFit(TaskDatasets train, TaskDatasets? validation, MultiTaskModule model, IReadOnlyList<TaskSpec> tasks, TaskLosses losses)
    {
        ArgumentNullException.ThrowIfNull(train);
        var warnings = new List<string>();
        foreach (var name in Unlabelled(train, "training", nameof(train), tasks, losses))
        {
            warnings.Add(train.Datasets.ContainsKey(name)
                ? $"warning: task '{name}' has no labelled example in its training dataset; it is not trained and it has no training loss"
                : $"warning: task '{name}' has no training dataset; it is not trained and it has no training loss");
        }
        var unvalidated = validation is null ? [] : Unlabelled(validation, "validation", nameof(validation), tasks, losses);
        foreach (var name in unvalidated) warnings.Add($"warning: task '{name}' has no labelled example in its validation dataset; it has no validation loss or metrics");
        Require("training data", train, model, tasks);
        if (validation is not null) Require("validation data", validation, model, tasks);
        CategoryLearning.BeforeFit(
            model,
            train.Names.Select(n => ($"the training dataset of task '{n}'", train.Datasets[n])).ToList(),
            validation is null ? [] : validation.Names.Select(n => ($"the validation dataset of task '{n}'", validation.Datasets[n])).ToList());
        return new FitChecks(warnings, unvalidated);
    }

    /// <summary>
    /// The tasks <paramref name="data"/> has no labelled example of (no targets, every label
    /// missing); an empty dataset, or one without a labelled example of any task, is an error.
    /// </summary>
    private static List<string> Unlabelled(MultiTaskDataset data, string what, string parameter, IReadOnlyList<TaskSpec> tasks, TaskLosses losses)
    {
        if (data.Count == 0) throw new ArgumentException($"{what} is empty: it has no examples to train or validate on", parameter);
        var unlabelled = tasks.Where((t, i) => !HasLabels(data, i, tasks, losses)).Select(t => t.Name).ToList();
        if (unlabelled.Count == tasks.Count) throw new ArgumentException($"{what} has no labelled example of any task ({string.Join(", ", unlabelled)}): every label is missing", parameter);
        return unlabelled;
    }

    /// <summary>
    /// Per-task datasets (none of them empty, <see cref="TaskDatasets"/> sees to that): the tasks
    /// whose own dataset has no labelled example of them, and when training the tasks without a
    /// dataset. None labelled at all is an error.
    /// </summary>
    private static List<string> Unlabelled(TaskDatasets data, string what, string parameter, IReadOnlyList<TaskSpec> tasks, TaskLosses losses)
    {
        foreach (var name in data.Names)
        {
            if (tasks.All(t => t.Name != name)) throw new ArgumentException($"a dataset is given for '{name}', which is not a task (tasks: {string.Join(", ", tasks.Select(t => t.Name))})", parameter);
        }
        var unlabelled = new List<string>();
        for (var i = 0; i < tasks.Count; i++)
        {
            var name = tasks[i].Name;
            if (data.Datasets.TryGetValue(name, out var own) ? !HasLabels(own, i, tasks, losses) : what == "training") unlabelled.Add(name);
        }
        if (unlabelled.Count == tasks.Count) throw new ArgumentException($"the {what} datasets have no labelled example of any task ({string.Join(", ", unlabelled)})", parameter);
        return unlabelled;
    }

    /// <summary>Whether <paramref name="data"/> has a labelled example of task number <paramref name="task"/>.</summary>
    internal static bool HasLabels(MultiTaskDataset data, int task, IReadOnlyList<TaskSpec> tasks, TaskLosses losses) =>
        data.Targets.TryGetValue(tasks[task].Name, out var target) && losses.Denominator(task, target) > 0;

    public static void Require(string role, MultiTaskDataset data, MultiTaskModule model, IReadOnlyList<TaskSpec> tasks)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireInputs(data.Inputs, model, $"the {role} does not fit");
        try
        {
            foreach (var (name, targets) in data.Targets)
            {
                // Targets of a task the trainer does not train are never read.
                // (Not a pattern variable read after the `continue`: a mutant without it would not compile.)
                var task = tasks.FirstOrDefault(t => t.Name == name);
                if (task is null) continue;
                var checkedAs = data.Tasks.FirstOrDefault(t => t.Name == name);
                if (checkedAs is not null && checkedAs.Kind == task.Kind && checkedAs.Size == task.Size && checkedAs.MissingLabels == task.MissingLabels && checkedAs.IgnoreIndex == task.IgnoreIndex) continue;
                DataValidation.RequireTargets(task, targets);
            }
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"the {role} does not fit {model.GetName}: {error.Message}", error);
        }
        CategoryLearning.RequireLearned(role, data, model);
    }

    public static void Require(string role, TaskDatasets data, MultiTaskModule model, IReadOnlyList<TaskSpec> tasks)
    {
        ArgumentNullException.ThrowIfNull(data);
        foreach (var name in data.Names) Require($"{role} of task '{name}'", data.Datasets[name], model, tasks);
    }

    /// <summary>Inputs given for prediction: each declared input present with its dtype and per-example shape.</summary>
    public static void RequireInputs(IReadOnlyDictionary<string, Mtl.Torch.Tensor> inputs, MultiTaskModule model) =>
        RequireInputs(inputs, model, "the inputs do not fit");

    private static void RequireInputs(IReadOnlyDictionary<string, Mtl.Torch.Tensor> inputs, MultiTaskModule model, string doesNotFit)
    {
        try
        {
            foreach (var input in model.DeclaredInputs) DataValidation.RequireInput(inputs, input.Name, input.DType, input.Shape);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"{doesNotFit} {model.GetName}: {error.Message}", error);
        }
    }
}
