using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>Argument checks and parameter creation shared by the layers.</summary>
internal static class Shapes
{
    public static void RequirePositive(string layer, params (string name, long value)[] arguments)
    {
        foreach (var (name, value) in arguments)
        {
            if (value <= 0) throw new ArgumentOutOfRangeException(name, value, $"{layer}: {name} must be positive");
        }
    }

    /// <summary>An uninitialised parameter; the layer fills it.</summary>
    public static Parameter NewParameter(long[] shape, Device? device, ScalarType? dtype)
    {
        using var data = empty(shape, dtype, device);
        return new Parameter(data);
    }

    /// <summary>A buffer filled with <paramref name="value"/>, owned by no dispose scope.</summary>
    public static Tensor NewBuffer(long[] shape, double value, Device? device, ScalarType? dtype)
    {
        var buffer = full(shape, value, dtype, device);
        return buffer.DetachFromDisposeScope();
    }

    public static void RequireRank(string layer, Tensor input, params int[] ranks)
    {
        var shape = input.shape;
        if (!ranks.Contains(shape.Length))
        {
            var expected = string.Join(" or ", ranks.Select(r => $"{r}-d"));
            throw new ArgumentException($"{layer}: expected a {expected} input, got shape {Tensor.FormatShape(shape)}", nameof(input));
        }
    }
}
