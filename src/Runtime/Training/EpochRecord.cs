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
    double Seconds);
