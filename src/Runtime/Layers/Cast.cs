using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>
/// <c>float</c> and <c>long</c> in a pipeline: converts the elements to <see cref="Type"/>, as
/// PyTorch's <c>x.to(dtype)</c> (bool true becomes 1; floats become longs by truncation toward zero).
/// </summary>
public sealed class Cast(ScalarType type) : nn.Module<Tensor, Tensor>(nameof(Cast))
{
    public ScalarType Type { get; } = type;

    public override Tensor forward(Tensor input) => input.to(Type);
}
