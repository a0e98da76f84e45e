namespace Mtl.Training;

/// <summary>The progress of early stopping a checkpoint keeps: the best monitored value so far (NaN before the first) and the epochs since it.</summary>
internal readonly record struct EarlyStopState(double BestValue, int StaleEpochs);

/// <summary>
/// Early stopping's bookkeeping, one validation result per epoch: whether the monitored value
/// improved on the best so far by more than <see cref="EarlyStopping.MinDelta"/> (in the monitor's
/// direction), and whether it has gone <see cref="EarlyStopping.Patience"/> epochs without. An
/// epoch whose validation lacks the monitor, or gives NaN for it, changes nothing; an infinite
/// value is never an improvement (it counts as an epoch without one). Without
/// settings early stopping is off: nothing improves and training never stops early, but a restored
/// state is kept (and saved again).
/// </summary>
internal sealed class EarlyStopper
{
    public EarlyStopper(EarlyStopping? settings, IReadOnlyList<TaskSpec> tasks)
    {
        Settings = settings;
        if (settings is not null) Maximize = settings.Maximize ?? MonitorDirection.Maximizes(settings.Monitor, tasks);
    }

    public EarlyStopping? Settings { get; }

    /// <summary>Whether larger values are better: the settings' choice, else the monitor's default direction.</summary>
    public bool Maximize { get; }

    /// <summary>The best monitored value so far; NaN before the first.</summary>
    public double BestValue { get; private set; } = double.NaN;

    /// <summary>Epochs with a monitored value since the best one.</summary>
    public int StaleEpochs { get; private set; }

    /// <summary>Whether patience has run out.</summary>
    public bool ShouldStop => Settings is { } stop && StaleEpochs >= stop.Patience;

    public EarlyStopState State => new(BestValue, StaleEpochs);

    public void Restore(EarlyStopState state) => (BestValue, StaleEpochs) = (state.BestValue, state.StaleEpochs);

    /// <summary>Reads one epoch's validation result; true when the monitored value is a new best.</summary>
    public bool Observe(IReadOnlyDictionary<string, double> validation)
    {
        if (Settings is not { } stop) return false;
        if (!validation.TryGetValue(stop.Monitor, out var value) || double.IsNaN(value)) return false;
        // An infinite value (a diverged model) is never a best, whichever side it is on.
        var improved = double.IsFinite(value) && (double.IsNaN(BestValue) || (Maximize ? value > BestValue + stop.MinDelta : value < BestValue - stop.MinDelta));
        if (!improved)
        {
            StaleEpochs++;
            return false;
        }
        BestValue = value;
        StaleEpochs = 0;
        return true;
    }
}
