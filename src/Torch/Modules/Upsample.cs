using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>
/// Scales the spatial dimensions of [N, C, L] or [N, C, H, W] inputs by <see cref="scale_factor"/>
/// (each size floor(size · scale)), as PyTorch's nn.Upsample(scale_factor=..., mode=...) with
/// align_corners false.
/// </summary>
public sealed class Upsample : nn.Module<Tensor, Tensor>
{
    public Upsample(double scale_factor, UpsampleMode mode = UpsampleMode.Nearest)
        : base(nameof(Upsample))
    {
        if (!(scale_factor > 0) || double.IsInfinity(scale_factor))
        {
            throw new ArgumentOutOfRangeException(nameof(scale_factor), scale_factor, "Upsample: scale_factor must be a positive number");
        }

        (this.scale_factor, this.mode) = (scale_factor, mode);
    }

    public double scale_factor { get; }

    public UpsampleMode mode { get; }

    public override Tensor forward(Tensor input) => nn.functional.interpolate(input, scale_factor, mode);
}
