using Mtl.Torch;
using Mtl.Torch.Modules;
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
/// <remarks>
/// With a padding mask over dim 1 (see <see cref="forward(Tensor, Tensor)"/>) the padding positions
/// count in neither the mean, the sum nor the max; a row of padding only gives zeros.
/// </remarks>
public sealed class Reduce(ReduceMode mode, long dim) : nn.Module<Tensor, Tensor>(nameof(Reduce)), ISequenceMasked
{
    /// <summary>The reduction over dim 1, the sequence, of the real tokens only (<paramref name="mask"/> <c>[N, T]</c>, true at real tokens).</summary>
    public Tensor forward(Tensor input, Tensor mask)
    {
        if ((Dim < 0 ? Dim + input.dim() : Dim) != 1)
        {
            throw new InvalidOperationException($"Reduce: a padding mask is over dim 1, the positions, but this reduction is over dim {Dim} of {Tensor.FormatShape(input.shape)}");
        }

        using var scope = NewDisposeScope();
        // [N, T] -> [N, T, 1, ...], to broadcast over the features of each position.
        var shape = new long[input.dim()];
        Array.Fill(shape, 1L);
        (shape[0], shape[1]) = (input.size(0), input.size(1));
        var real = mask.reshape(shape);
        var padding = real.logical_not();
        var count = real.sum(1);                                                     // [N, 1, ...]
        var result = Mode switch
        {
            ReduceMode.Sum => input.masked_fill(padding, 0.0).sum(1),
            ReduceMode.Mean => input.masked_fill(padding, 0.0).sum(1).div(count.clamp(min: 1).to(input.dtype)),
            _ => input.masked_fill(padding, double.NegativeInfinity).amax([1]).masked_fill(count.eq(0L), 0.0),
        };
        return result.MoveToOuterDisposeScope();
    }

    public ReduceMode Mode { get; } = mode;

    public long Dim { get; } = dim;

    public override Tensor forward(Tensor input) => Mode switch
    {
        ReduceMode.Mean => input.mean(Dim),
        ReduceMode.Sum => input.sum(Dim),
        _ => input.amax([Dim]),
    };
}
