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

    /// <summary>The positive sizes of a 2-d convolution (plain or transposed): channels, each side of the kernel, stride and dilation, groups.</summary>
    public static void RequirePositive2d(string layer, long in_channels, long out_channels, (long, long) kernel, (long, long) stride, (long, long) dilation, long groups) =>
        RequirePositive(layer, (nameof(in_channels), in_channels), (nameof(out_channels), out_channels), ("kernel height", kernel.Item1), ("kernel width", kernel.Item2),
            ("stride", stride.Item1), ("stride", stride.Item2), ("dilation", dilation.Item1), ("dilation", dilation.Item2), (nameof(groups), groups));

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

    /// <summary>A transposed convolution's channels divide by its groups, and output_padding (not negative) is below the stride or the dilation, as PyTorch requires.</summary>
    public static void CheckTransposed(string layer, long inChannels, long outChannels, long groups, long padding, long outputPadding, long stride, long dilation)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"{layer}: in_channels ({inChannels}) and out_channels ({outChannels}) must be divisible by groups ({groups})");
        }

        if (padding < 0) throw new ArgumentOutOfRangeException("padding", padding, $"{layer}: padding must not be negative");
        if (outputPadding < 0 || (outputPadding >= stride && outputPadding >= dilation))
        {
            throw new ArgumentOutOfRangeException("output_padding", outputPadding, $"{layer}: output_padding ({outputPadding}) must be at least 0 and smaller than the stride ({stride}) or the dilation ({dilation})");
        }
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
