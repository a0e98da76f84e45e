namespace Mtl.Torch;

/// <summary>How a loss reduces its per-element values.</summary>
public enum Reduction
{
    /// <summary>Per-element losses, same shape as the input.</summary>
    None = 0,

    /// <summary>The mean over elements (over non-ignored targets' weights for cross entropy).</summary>
    Mean = 1,

    /// <summary>The sum over elements.</summary>
    Sum = 2,

    /// <summary>The sum divided by the batch size (kl_div only, as PyTorch recommends for it).</summary>
    BatchMean = 3,
}
