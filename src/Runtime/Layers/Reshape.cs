using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>
/// Gives each example the shape <see cref="Shape"/>, keeping the batch dimension: what
/// <c>flatten</c> does to a scalar input (<c>[]</c> becomes <c>[1]</c>), where PyTorch's
/// <c>Flatten</c> has no dimension to start from.
/// </summary>
public sealed class Reshape(params long[] shape) : nn.Module<Tensor, Tensor>(nameof(Reshape))
{
    public IReadOnlyList<long> Shape { get; } = shape;

    public override Tensor forward(Tensor input) => input.reshape([input.size(0), .. Shape]);
}
