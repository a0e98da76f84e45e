using Mtl.Torch;
using Mtl.Torch.Modules;

namespace Mtl.Training.Weighting;

/// <summary>What a weighting method may use each step. Built by the trainer.</summary>
public sealed class WeightingContext
{
    public required IReadOnlyList<string> TaskNames { get; init; }

    /// <summary>Parameters of the shared blocks.</summary>
    public required IReadOnlyList<Parameter> SharedParameters { get; init; }

    /// <summary>Every other trainable parameter (the heads).</summary>
    public required IReadOnlyList<Parameter> TaskParameters { get; init; }

    /// <summary>GradNorm's W: the weights of the last shared layer.</summary>
    public IReadOnlyList<Parameter> LastSharedLayer { get; init; } = [];

    /// <summary>The shared trunk's output this step (MGDA-UB); set by the trainer before Backward.</summary>
    public Tensor? SharedRepresentation { get; set; }

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step { get; set; }

    /// <summary>The current epoch, 0-based.</summary>
    public int Epoch { get; set; }

    /// <summary>Seeded by the trainer and saved in checkpoints.</summary>
    public required Random Random { get; init; }
}
