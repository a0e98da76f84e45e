using Mtl.Torch;
using Mtl.Torch.Modules;

namespace Mtl.Training.Weighting;

/// <summary>What a weighting method may use each step. Built by the trainer.</summary>
public sealed class WeightingContext
{
    public required IReadOnlyList<string> TaskNames { get; init; }

    /// <summary>The trunk and other shared blocks.</summary>
    public required IReadOnlyList<Parameter> SharedParameters { get; init; }

    /// <summary>Every other trainable parameter (the task heads).</summary>
    public required IReadOnlyList<Parameter> TaskParameters { get; init; }

    /// <summary>GradNorm's W: the weights of the last shared layer.</summary>
    public IReadOnlyList<Parameter> LastSharedLayer { get; init; } = [];

    /// <summary>
    /// z, the output of the one shared block every task reads, this step: where a gradient method
    /// with <c>gradients: representation</c> (MGDA-UB among them) takes the task gradients. Set by
    /// the trainer before <c>Backward</c>; null when the tasks read different sources.
    /// </summary>
    public Tensor? SharedRepresentation { get; set; }

    /// <summary>
    /// The factor the trainer puts on this micro-batch's losses before <c>Backward</c>: 1/N with
    /// <c>accumulate N</c>, so that N micro-batches add up to one N-times-larger batch's gradient.
    /// A method that compares the losses it is given with those after the step (FAMO), which the
    /// trainer reports unscaled, divides it out.
    /// </summary>
    public double LossScale { get; set; } = 1;

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step { get; set; }

    /// <summary>The epoch, 0-based.</summary>
    public int Epoch { get; set; }

    /// <summary>
    /// For data-parallel training (<see cref="TrainerOptions.Parallel"/>), the group of ranks: a
    /// gradient method averages the task gradients (and the losses it reads) over the ranks before
    /// it combines them, so every rank combines the same rows. Null in one process.
    /// </summary>
    public Mtl.Torch.torch.distributed.ProcessGroupGloo? Parallel { get; init; }

    /// <summary>Seeded by the trainer; the only source of randomness of the methods (RLW, PCGrad, GradDrop, GradVac).</summary>
    public required Random Random { get; init; }
}
