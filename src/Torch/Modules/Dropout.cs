using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>Zeroes elements with probability p in training mode (scaling the rest by 1/(1-p)); identity in eval mode.</summary>
public sealed class Dropout : nn.Module<Tensor, Tensor>
{
    public Dropout(double p = 0.5) : base(nameof(Dropout))
    {
        if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout: p must be in [0, 1]");
        this.p = p;
    }

    public double p { get; }

    public override Tensor forward(Tensor input) => nn.functional.dropout(input, p, training);
}
