using Mtl.Torch.Modules;
using Mtl.Training.Weighting;

namespace Mtl.Training;

/// <summary>
/// The stateful parts of a trainer that a <see cref="Checkpoint"/> saves and restores, each
/// through its own state and in place: the model's and the weighting method's parameters and
/// state, the optimizer's state, the schedulers', early stopping's and the best weights.
/// </summary>
internal sealed record TrainerParts(
    MultiTaskModule Model,
    Optimizer Optimizer,
    TaskWeighting Weighting,
    ScheduleStepper Schedule,
    EarlyStopper EarlyStop,
    BestWeights BestWeights);

/// <summary>The training loop's own values a checkpoint keeps: epochs and optimizer steps done, the shuffling generator's state and the history.</summary>
internal sealed record LoopState(int Epoch, long Step, ulong Random, IReadOnlyList<EpochRecord> History)
{
    /// <summary>Where a run with stages is; null without stages.</summary>
    public StagePosition? Stage { get; init; }
}

/// <summary>Where a staged run is: the stage (0-based), the epochs done in it and the optimizer step it started at (its schedule counts from there).</summary>
internal sealed record StagePosition(int Index, int Epoch, long StartStep);
