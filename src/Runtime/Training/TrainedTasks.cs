namespace Mtl.Training;

/// <summary>Which tasks' losses flow in a run without stages (<see cref="TrainerOptions.Tasks"/>), checked before anything is built.</summary>
internal static class TrainedTasks
{
    /// <summary>One flag per task of <paramref name="tasks"/>, true where its loss flows; null when every task's does.</summary>
    public static bool[]? Mask(TrainerOptions options, IReadOnlyList<TaskSpec> tasks)
    {
        if (options.Tasks is not { } trained) return null;
        if (options.Stages.Count > 0) throw new ArgumentException("TrainerOptions.Tasks is for a run without stages; give each stage its own (TrainingStage.Tasks)", nameof(options));
        if (trained.Count == 0) throw new ArgumentException("TrainerOptions.Tasks lists no task to train", nameof(options));
        if (trained.FirstOrDefault(t => tasks.All(s => s.Name != t)) is { } unknown)
        {
            throw new ArgumentException($"TrainerOptions.Tasks lists '{unknown}', which is not one of the trainer's tasks ({string.Join(", ", tasks.Select(t => t.Name))})", nameof(options));
        }
        return tasks.Select(t => trained.Contains(t.Name)).ToArray();
    }
}
