using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>What <see cref="Reduce"/> computes over its dimension.</summary>
public enum ReduceMode
{
    Mean,
    Sum,
    Max,
}

/// <summary><c>mean(dim)</c>, <c>sum(dim)</c>, <c>max(dim)</c>: reduces one dimension (the batch is dimension 0) and removes it.</summary>
public sealed class Reduce(ReduceMode mode, long dim) : nn.Module<Tensor, Tensor>(nameof(Reduce))
{
    public ReduceMode Mode { get; } = mode;

    public long Dim { get; } = dim;

    public override Tensor forward(Tensor input) => Mode switch
    {
        ReduceMode.Mean => input.mean(Dim),
        ReduceMode.Sum => input.sum(Dim),
        _ => input.amax([Dim]),
    };
}
