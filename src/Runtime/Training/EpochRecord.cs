namespace Mtl.Training;

/// <summary>What one epoch produced: the history the log, the report and early stopping read.</summary>
public sealed record EpochRecord(
    int Epoch,
    long Step,
    double TrainLoss,
    IReadOnlyDictionary<string, double> TaskLosses,
    IReadOnlyDictionary<string, double> Weights,
    IReadOnlyList<double> LearningRates,
    IReadOnlyDictionary<string, double> Validation,
    double Seconds)
{
    /// <summary>The stage the epoch belongs to (<see cref="TrainingStage.Name"/>); null for a run without stages.</summary>
    public string? Stage { get; init; }

    /// <summary>
    /// For a model with mixtures of experts (<c>mmoe</c>, <c>cgc</c>, <c>ple</c>), each one's mean gate
    /// weight per task and expert over the epoch's training examples, by block (its module name),
    /// then task; for <c>ple</c> the last level's gates. Null for a model without one.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<double>>>? Gates { get; init; }

    /// <summary>
    /// For a model trained with <see cref="TaskRelation"/> (<c>regularize mtrl</c>), the task
    /// covariance Ω in effect after the epoch (a learned one just updated), rows and columns in
    /// task order. Null without one.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<double>>? Omega { get; init; }

    /// <summary>
    /// Whether the epoch's early-stopping monitor was a new best (improved on the best so far, by
    /// more than <see cref="EarlyStopping.MinDelta"/>, in the run or its stage): the weights
    /// <see cref="TrainerOptions.RestoreBest"/> restores are those of the last best epoch of the run
    /// (of each stage). Always false without early stopping.
    /// </summary>
    public bool Best { get; init; }

    /// <summary>How related the tasks were this epoch (<see cref="TrainerOptions.Relatedness"/>); null when not measured.</summary>
    public TaskRelatedness? Relatedness { get; init; }
}
