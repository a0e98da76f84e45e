using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>y = x Wᵀ + b over the last dimension.</summary>
public sealed class Linear : nn.Module<Tensor, Tensor>
{
    public Linear(long in_features, long out_features, bool hasBias = true, Device? device = null, ScalarType? dtype = null) : base(nameof(Linear))
    {
        Shapes.RequirePositive(nameof(Linear), (nameof(in_features), in_features), (nameof(out_features), out_features));
        this.in_features = in_features;
        this.out_features = out_features;
        weight = Shapes.NewParameter([out_features, in_features], device, dtype);
        bias = hasBias ? Shapes.NewParameter([out_features], device, dtype) : null;
        nn.init.DefaultLinearInit(weight, bias);
        RegisterComponents();
    }

    public long in_features { get; }

    public long out_features { get; }

    public Parameter weight { get; }

    public Parameter? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.linear(input, weight, bias);

    public override string ToString() => $"Linear(in_features={in_features}, out_features={out_features}, bias={(bias is not null ? "True" : "False")})";
}
