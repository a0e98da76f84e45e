using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>
/// Resizes the spatial dimensions of [N, C, L] or [N, C, H, W] inputs, as PyTorch's nn.Upsample with
/// align_corners false: by <see cref="scale_factor"/> (each size floor(size · scale), one scale for
/// all dimensions or one per dimension) or to a fixed <see cref="size"/>.
/// </summary>
public sealed class Upsample : nn.Module<Tensor, Tensor>
{
    /// <summary>One scale for every spatial dimension: nn.Upsample(scale_factor=s).</summary>
    public Upsample(double scale_factor, UpsampleMode mode = UpsampleMode.Nearest)
        : this([scale_factor], null, mode, uniform: true)
    {
    }

    /// <summary>One scale per spatial dimension: nn.Upsample(scale_factor=(sh, sw)).</summary>
    public Upsample(double[] scale_factor, UpsampleMode mode = UpsampleMode.Nearest)
        : this(scale_factor ?? throw new ArgumentNullException(nameof(scale_factor)), null, mode, uniform: false)
    {
    }

    /// <summary>A fixed output size per spatial dimension: nn.Upsample(size=(h, w)).</summary>
    public Upsample(long[] size, UpsampleMode mode = UpsampleMode.Nearest)
        : this(null, size ?? throw new ArgumentNullException(nameof(size)), mode, uniform: false)
    {
    }

    private Upsample(double[]? scale_factor, long[]? size, UpsampleMode mode, bool uniform)
        : base(nameof(Upsample))
    {
        if (scale_factor is not null && (scale_factor.Length == 0 || scale_factor.Any(s => !(s > 0) || double.IsInfinity(s))))
        {
            throw new ArgumentOutOfRangeException(nameof(scale_factor), string.Join(", ", scale_factor), "Upsample: each scale_factor must be a positive number");
        }

        if (size is not null && (size.Length == 0 || size.Any(s => s < 1)))
        {
            throw new ArgumentOutOfRangeException(nameof(size), string.Join(", ", size), "Upsample: each size must be at least 1");
        }

        (this.scale_factor, this.size, this.mode, _uniform) = (scale_factor, size, mode, uniform);
    }

    private readonly bool _uniform;

    /// <summary>The scale per spatial dimension (one value when it applies to all); null when resizing to <see cref="size"/>.</summary>
    public double[]? scale_factor { get; }

    /// <summary>The output size per spatial dimension; null when scaling by <see cref="scale_factor"/>.</summary>
    public long[]? size { get; }

    public UpsampleMode mode { get; }

    public override Tensor forward(Tensor input) =>
        size is not null ? nn.functional.interpolate(input, size, mode)
        : _uniform ? nn.functional.interpolate(input, scale_factor![0], mode)
        : nn.functional.interpolate(input, scale_factor!, mode);
}
