namespace Mtl;

/// <summary>How the next batch's task is chosen when each task has its own dataset (<c>sampling</c> in <c>train { }</c>).</summary>
public enum SamplingKind
{
    /// <summary>A task is drawn with probability proportional to its dataset's size.</summary>
    Proportional,

    /// <summary>Tasks take turns, skipping a task whose batches for the epoch are used up.</summary>
    RoundRobin,

    /// <summary>A task is drawn with probability ∝ Nₜ^(1/T): T = 1 is proportional, a large T nearly uniform.</summary>
    Temperature,
}
