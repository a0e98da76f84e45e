using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// One phase of a staged run (<see cref="TrainerOptions.Stages"/>, a .mtl file's <c>stage</c>):
/// its own number of epochs, the tasks whose losses flow, the modules held fixed besides
/// <see cref="TrainerOptions.Frozen"/>, and a fresh optimizer, schedule and early stopping. What
/// a stage leaves null it inherits from the <see cref="TrainerOptions"/>.
/// </summary>
/// <param name="Name">Names the stage in the history, the log, the report and the progress line; unique within a run.</param>
/// <param name="Epochs">At most this many epochs (early stopping may end the stage sooner); at least 1.</param>
/// <param name="CreateOptimizer">
/// Builds the stage's optimizer when the stage starts, given the modules frozen in it
/// (<see cref="TrainerOptions.Frozen"/> and <see cref="Frozen"/>): over the parameters that
/// train, none of the frozen ones (<c>ParameterGroups.Split(model, frozen, ...)</c>). The
/// trainer owns it and disposes it when the stage ends or the trainer is disposed.
/// </param>
public sealed record TrainingStage(string Name, int Epochs, Func<IReadOnlyList<nn.Module>, Optimizer> CreateOptimizer)
{
    /// <summary>The tasks whose losses flow in this stage; null: every task. The others still have validation metrics.</summary>
    public IReadOnlyList<string>? Tasks { get; init; }

    /// <summary>Modules of the model held fixed in this stage only, besides <see cref="TrainerOptions.Frozen"/> (see <see cref="MultiTaskModule.Freeze"/>).</summary>
    public IReadOnlyList<nn.Module> Frozen { get; init; } = [];

    /// <summary>The stage's schedule chain, built when the stage starts over the stage's length; null: <see cref="TrainerOptions.Schedule"/>, built afresh for the stage.</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>The stage's early stopping, which ends only this stage; null: <see cref="TrainerOptions.EarlyStop"/>, counted afresh for the stage.</summary>
    public EarlyStopping? EarlyStop { get; init; }
}
