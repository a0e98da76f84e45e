using Mtl.Data;

namespace Mtl.Training;

/// <summary>
/// What the trainer checks of data before it trains or evaluates on it: each input the model
/// declares (<see cref="MultiTaskModule.DeclaredInputs"/>) is present with its dtype and
/// per-example shape, and the targets fit the trainer's tasks. A dataset's targets were checked
/// against its own task specs when it was built; they are checked again only for a task the
/// trainer declares differently (another kind, size or missing-label rule). Errors are
/// <see cref="InvalidDataException"/>s that name the data, the model, the member, and what was
/// expected and found.
/// </summary>
internal static class DataChecks
{
    public static void Require(string role, MultiTaskDataset data, MultiTaskModule model, IReadOnlyList<TaskSpec> tasks)
    {
        ArgumentNullException.ThrowIfNull(data);
        try
        {
            foreach (var input in model.DeclaredInputs) DataValidation.RequireInput(data.Inputs, input.Name, input.DType, input.Shape);
            foreach (var (name, targets) in data.Targets)
            {
                // Targets of a task the trainer does not train are never read.
                if (tasks.FirstOrDefault(t => t.Name == name) is not { } task) continue;
                var checkedAs = data.Tasks.FirstOrDefault(t => t.Name == name);
                if (checkedAs is not null && checkedAs.Kind == task.Kind && checkedAs.Size == task.Size && checkedAs.MissingLabels == task.MissingLabels) continue;
                DataValidation.RequireTargets(task, targets);
            }
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"the {role} does not fit {model.GetName}: {error.Message}", error);
        }
    }

    public static void Require(string role, TaskDatasets data, MultiTaskModule model, IReadOnlyList<TaskSpec> tasks)
    {
        ArgumentNullException.ThrowIfNull(data);
        foreach (var name in data.Names) Require($"{role} of task '{name}'", data.Datasets[name], model, tasks);
    }

    /// <summary>Inputs given for prediction: each declared input present with its dtype and per-example shape.</summary>
    public static void RequireInputs(IReadOnlyDictionary<string, Mtl.Torch.Tensor> inputs, MultiTaskModule model)
    {
        try
        {
            foreach (var input in model.DeclaredInputs) DataValidation.RequireInput(inputs, input.Name, input.DType, input.Shape);
        }
        catch (InvalidDataException error)
        {
            throw new InvalidDataException($"the inputs do not fit {model.GetName}: {error.Message}", error);
        }
    }
}
