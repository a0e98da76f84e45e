using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;

namespace Mtl.Training;

/// <summary>When the learning-rate schedule advances.</summary>
public enum ScheduleInterval
{
    Step,
    Epoch,
}

/// <summary>Stop when the monitored <c>task.metric</c> (or <c>loss</c>) has not improved for <see cref="Patience"/> epochs.</summary>
public sealed record EarlyStopping(string Monitor, int Patience = TrainCatalog.EarlyStopPatience, bool? Maximize = null, double MinDelta = 0);

/// <summary>An L2 tie λ‖θ_a − θ_b‖² between two modules of the same shape (soft parameter sharing).</summary>
public sealed record SoftTie(torch.nn.Module A, torch.nn.Module B, double Lambda);

/// <summary>Settings of one training run; every value has the default a .mtl file would give it.</summary>
public sealed record TrainerOptions
{
    public int Epochs { get; init; } = TrainCatalog.Epochs;

    public long BatchSize { get; init; } = TrainCatalog.BatchSize;

    /// <summary>Clip the joint gradient norm to this value; null leaves gradients alone.</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Micro-batches whose gradients are summed before each optimizer step.</summary>
    public int Accumulate { get; init; } = TrainCatalog.Accumulate;

    public long Seed { get; init; } = TrainCatalog.Seed;

    public UpdateMode Update { get; init; } = TrainCatalog.Update;

    /// <summary>λ of the explicit L2 term λΣ‖θ‖² added to the objective (0: none).</summary>
    public double L2 { get; init; }

    public IReadOnlyList<SoftTie> Ties { get; init; } = [];

    /// <summary>Multi-task relationship learning over the heads' last layers (<c>regularize mtrl</c>); null for none.</summary>
    public TaskRelation? Relation { get; init; }

    /// <summary>
    /// Modules of the model held fixed (a .mtl file's <c>freeze</c>; see
    /// <see cref="MultiTaskModule.Freeze"/>): no gradient and no update for their parameters, which
    /// stay out of the L2 term and the weighting methods' gradients, and evaluation mode for the
    /// modules. The optimizer must not hold their parameters (build its groups with
    /// <c>ParameterGroups.Split(model, frozen, ...)</c>).
    /// </summary>
    public IReadOnlyList<torch.nn.Module> Frozen { get; init; } = [];

    /// <summary>
    /// The tasks whose losses flow in a run without stages; null (the default): every task. The
    /// others are still validated, and their heads get no gradient. This is how a single-task run
    /// of a multi-task model trains (see <see cref="SingleTaskComparison"/>); with
    /// <see cref="Stages"/> each stage says its own (<see cref="TrainingStage.Tasks"/>).
    /// </summary>
    public IReadOnlyList<string>? Tasks { get; init; }

    public EarlyStopping? EarlyStop { get; init; }

    /// <summary>
    /// Stages run in order, each with its own epochs, active tasks, frozen modules and a fresh
    /// optimizer, schedule and early stopping (see <see cref="TrainingStage"/>); the settings here
    /// are the defaults every stage inherits, and <see cref="Epochs"/> is not used. Empty (the
    /// default): one run of <see cref="Epochs"/> epochs with the optimizer given to the trainer.
    /// With stages the trainer is given no optimizer, and <see cref="Scheduler"/> and
    /// <see cref="Plateau"/> (built over one optimizer) are not allowed: use <see cref="Schedule"/>.
    /// </summary>
    public IReadOnlyList<TrainingStage> Stages { get; init; } = [];

    /// <summary>Restore the weights of the best epoch (by the early-stopping monitor) when training ends; without <see cref="EarlyStop"/> there is no monitor and the last weights are kept.</summary>
    public bool RestoreBest { get; init; } = true;

    /// <summary>A scheduler stepped after every optimizer step (or epoch, see <see cref="SchedulerInterval"/>); or use <see cref="Schedule"/>.</summary>
    public LRScheduler? Scheduler { get; init; }

    /// <summary>
    /// A .mtl schedule chain, built when training starts (its length is then known); instead of
    /// <see cref="Scheduler"/> and <see cref="Plateau"/>.
    /// </summary>
    public LearningRateSchedule? Schedule { get; init; }

    public ScheduleInterval SchedulerInterval { get; init; } = ScheduleInterval.Step;

    /// <summary>Stepped once per epoch with the monitored value (or the validation loss).</summary>
    public ReduceLROnPlateau? Plateau { get; init; }

    public TaskWeighting? Weighting { get; init; }

    /// <summary>
    /// Measure how related the tasks are (a .mtl file's <c>relatedness(every: N)</c>): every Nth
    /// optimizer step, each task's gradient of the shared parameters is taken with extra backward
    /// passes, and <see cref="EpochRecord.Relatedness"/> holds the epoch's means (see
    /// <see cref="TaskRelatedness"/>). The update is the same with and without it. Null (the
    /// default): not measured; <see cref="TrainCatalog.RelatednessEvery"/> is the .mtl default of N.
    /// </summary>
    public int? Relatedness { get; init; }

    /// <summary>
    /// The process group this trainer is one rank of, for data-parallel training (see
    /// docs/training.md, Data-parallel training); null (the default): one process. Every rank
    /// builds the same model and trainer over the same data and calls <c>Fit</c>: rank 0's weights
    /// are broadcast when <c>Fit</c> starts, each rank takes its part of every batch of
    /// <see cref="BatchSize"/> · size examples (so <see cref="BatchSize"/> is per rank), gradients
    /// are averaged over the ranks before each optimizer step, and the epoch's training losses
    /// over all ranks; each rank evaluates its part of the validation set and the metrics are
    /// gathered, so every rank gets the whole set's; only rank 0 writes the log, report and
    /// checkpoint and shows progress.
    /// </summary>
    public torch.distributed.ProcessGroupGloo? Parallel { get; init; }

    /// <summary>Where to write one JSON line per epoch (rewritten from the history when Fit starts, so a resumed run logs each epoch once); null: no log.</summary>
    public string? LogPath { get; init; }

    /// <summary>Where to write report.html (rewritten after every epoch); null: no report.</summary>
    public string? ReportPath { get; init; }

    /// <summary>
    /// The model's architecture, drawn in report.html (inputs, shared blocks, mixtures with their
    /// experts and gates, task heads, with shapes and parameter counts; see
    /// <see cref="ArchitectureDiagram"/>). A generated trainer sets its model's
    /// <c>XModel.Architecture</c> when this is null; null (the default for a hand-written model): no drawing.
    /// </summary>
    public ModelArchitecture? Architecture { get; init; }

    /// <summary>Where to save a checkpoint after every epoch (atomically; its folder is created, and checked, before the first step); null: no checkpoints.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Where plain progress lines go (one per epoch); used when <see cref="Display"/> is Plain or Auto with redirected output.</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>How progress is shown; null: plain lines to <see cref="Progress"/> when it is set, else nothing.</summary>
    public ProgressMode? Display { get; init; }
}
