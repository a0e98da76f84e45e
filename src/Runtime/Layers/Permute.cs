using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>
/// <c>permute(0, 2, 1)</c>: output dim i is input dim <see cref="Dims"/>[i], as PyTorch's
/// <c>x.permute(dims)</c>; the dims include the batch (0), which stays first.
/// </summary>
public sealed class Permute : nn.Module<Tensor, Tensor>
{
    public Permute(params long[] dims)
        : base(nameof(Permute))
    {
        if (dims.Length == 0 || dims[0] != 0)
        {
            throw new ArgumentException($"Permute: the dims must start with the batch dim 0; got [{string.Join(", ", dims)}]", nameof(dims));
        }

        Dims = dims;
    }

    public IReadOnlyList<long> Dims { get; }

    public override Tensor forward(Tensor input) => input.permute([.. Dims]);
}

/// <summary><c>transpose(1, 2)</c>: swaps two dims, as PyTorch's <c>x.transpose(dim0, dim1)</c>; the batch (0) may not move.</summary>
public sealed class Transpose : nn.Module<Tensor, Tensor>
{
    public Transpose(long dim0, long dim1)
        : base(nameof(Transpose))
    {
        if (dim0 == 0 || dim1 == 0)
        {
            throw new ArgumentException($"Transpose: dim 0 is the batch and stays in place; got dims {dim0} and {dim1}");
        }

        (Dim0, Dim1) = (dim0, dim1);
    }

    public long Dim0 { get; }

    public long Dim1 { get; }

    public override Tensor forward(Tensor input) => input.transpose(Dim0, Dim1);
}
