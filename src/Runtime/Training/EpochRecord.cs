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
}
