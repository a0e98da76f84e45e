using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary><c>residual(layers)</c>: the input plus what the layers make of it (the layers keep the shape).</summary>
public sealed class Residual : nn.Module<Tensor, Tensor>
{
    public Residual(Sequential body) : base(nameof(Residual))
    {
        Body = body;
        register_module("body", Body);
    }

    public Sequential Body { get; }

    public override Tensor forward(Tensor input) => input + Body.forward(input);
}
