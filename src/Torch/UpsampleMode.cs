namespace Mtl.Torch;

/// <summary>How <see cref="Modules.Upsample"/> fills new positions: PyTorch's mode 'nearest' or 'bilinear' (align_corners false).</summary>
public enum UpsampleMode
{
    Nearest,
    Bilinear,
}
