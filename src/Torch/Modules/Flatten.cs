using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>Flattens dimensions start_dim..end_dim (by default all but the batch dimension).</summary>
public sealed class Flatten(long start_dim = 1, long end_dim = -1) : nn.Module<Tensor, Tensor>(nameof(Flatten))
{
    public override Tensor forward(Tensor input) => input.flatten(start_dim, end_dim);
}

/// <summary>Returns its input.</summary>
public sealed class Identity() : nn.Module<Tensor, Tensor>(nameof(Identity))
{
    public override Tensor forward(Tensor input) => input.alias();
}
