using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Layers;

/// <summary>Linear layers with weights given by hand, in float64, for checks against hand computation.</summary>
internal static class FixedLinear
{
    /// <summary>A float64 linear layer with <paramref name="weight"/> ([out, in]) and <paramref name="bias"/>.</summary>
    public static Linear Fixed(double[,] weight, double[] bias)
    {
        var linear = nn.Linear(weight.GetLength(1), weight.GetLength(0));
        linear.to(ScalarType.Float64);
        using var noGrad = no_grad();
        using var w = tensor(weight.Cast<double>().ToArray(), [weight.GetLength(0), weight.GetLength(1)]);
        using var b = tensor(bias, [bias.Length]);
        linear.weight.copy_(w);
        linear.bias!.copy_(b);
        return linear;
    }
}
