using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>1-d convolution over [N, C, L] inputs.</summary>
public sealed class Conv1d : nn.Module<Tensor, Tensor>
{
    public Conv1d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true, Device? device = null, ScalarType? dtype = null)
        : base(nameof(Conv1d))
    {
        Shapes.RequirePositive(nameof(Conv1d), (nameof(in_channels), in_channels), (nameof(out_channels), out_channels), (nameof(kernel_size), kernel_size), (nameof(stride), stride), (nameof(dilation), dilation), (nameof(groups), groups));
        if (in_channels % groups != 0 || out_channels % groups != 0)
        {
            throw new ArgumentException($"Conv1d: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})");
        }
        (this.in_channels, this.out_channels, this.kernel_size, this.stride, this.padding, this.dilation, this.groups) = (in_channels, out_channels, kernel_size, stride, padding, dilation, groups);
        weight = Shapes.NewParameter([out_channels, in_channels / groups, kernel_size], device, dtype);
        this.bias = bias ? Shapes.NewParameter([out_channels], device, dtype) : null;
        nn.init.DefaultLinearInit(weight, this.bias);
        RegisterComponents();
    }

    public long in_channels { get; }
    public long out_channels { get; }
    public long kernel_size { get; }
    public long stride { get; }
    public long padding { get; }
    public long dilation { get; }
    public long groups { get; }
    public Parameter weight { get; }
    public Parameter? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.conv1d(input, weight, bias, stride, padding, dilation, groups);
}

/// <summary>2-d convolution over [N, C, H, W] inputs.</summary>
public sealed class Conv2d : nn.Module<Tensor, Tensor>
{
    public Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true, Device? device = null, ScalarType? dtype = null)
        : this(in_channels, out_channels, (kernel_size, kernel_size), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, device, dtype)
    {
    }

    public Conv2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, long groups = 1, bool bias = true, Device? device = null, ScalarType? dtype = null)
        : base(nameof(Conv2d))
    {
        this.stride = stride ?? (1, 1);
        this.padding = padding ?? (0, 0);
        this.dilation = dilation ?? (1, 1);
        Shapes.RequirePositive2d(nameof(Conv2d), in_channels, out_channels, kernel_size, this.stride, this.dilation, groups);
        if (in_channels % groups != 0 || out_channels % groups != 0)
        {
            throw new ArgumentException($"Conv2d: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible by groups ({groups})");
        }
        (this.in_channels, this.out_channels, this.kernel_size, this.groups) = (in_channels, out_channels, kernel_size, groups);
        weight = Shapes.NewParameter([out_channels, in_channels / groups, kernel_size.Item1, kernel_size.Item2], device, dtype);
        this.bias = bias ? Shapes.NewParameter([out_channels], device, dtype) : null;
        nn.init.DefaultLinearInit(weight, this.bias);
        RegisterComponents();
    }

    public long in_channels { get; }
    public long out_channels { get; }
    public (long, long) kernel_size { get; }
    public (long, long) stride { get; }
    public (long, long) padding { get; }
    public (long, long) dilation { get; }
    public long groups { get; }
    public Parameter weight { get; }
    public Parameter? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups);
}

/// <summary>
/// 1-d transposed convolution over [N, C, L] inputs, as PyTorch's ConvTranspose1d: weight
/// [in_channels, out_channels/groups, kernel], output length
/// (L − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1.
/// </summary>
public sealed class ConvTranspose1d : nn.Module<Tensor, Tensor>
{
    public ConvTranspose1d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long output_padding = 0, long groups = 1, bool bias = true, long dilation = 1, Device? device = null, ScalarType? dtype = null)
        : base(nameof(ConvTranspose1d))
    {
        Shapes.RequirePositive(nameof(ConvTranspose1d), (nameof(in_channels), in_channels), (nameof(out_channels), out_channels), (nameof(kernel_size), kernel_size), (nameof(stride), stride), (nameof(dilation), dilation), (nameof(groups), groups));
        Shapes.CheckTransposed(nameof(ConvTranspose1d), in_channels, out_channels, groups, padding, output_padding, stride, dilation);
        (this.in_channels, this.out_channels, this.kernel_size, this.stride, this.padding, this.output_padding, this.dilation, this.groups) = (in_channels, out_channels, kernel_size, stride, padding, output_padding, dilation, groups);
        weight = Shapes.NewParameter([in_channels, out_channels / groups, kernel_size], device, dtype);
        this.bias = bias ? Shapes.NewParameter([out_channels], device, dtype) : null;
        nn.init.DefaultLinearInit(weight, this.bias);
        RegisterComponents();
    }

    public long in_channels { get; }
    public long out_channels { get; }
    public long kernel_size { get; }
    public long stride { get; }
    public long padding { get; }
    public long output_padding { get; }
    public long dilation { get; }
    public long groups { get; }
    public Parameter weight { get; }
    public Parameter? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.conv_transpose1d(input, weight, bias, stride, padding, output_padding, groups, dilation);
}

/// <summary>
/// 2-d transposed convolution over [N, C, H, W] inputs, as PyTorch's ConvTranspose2d: weight
/// [in_channels, out_channels/groups, kh, kw], each output size as ConvTranspose1d's per dimension.
/// </summary>
public sealed class ConvTranspose2d : nn.Module<Tensor, Tensor>
{
    public ConvTranspose2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long output_padding = 0, long groups = 1, bool bias = true, long dilation = 1, Device? device = null, ScalarType? dtype = null)
        : this(in_channels, out_channels, (kernel_size, kernel_size), (stride, stride), (padding, padding), (output_padding, output_padding), groups, bias, (dilation, dilation), device, dtype)
    {
    }

    public ConvTranspose2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? output_padding = null, long groups = 1, bool bias = true, (long, long)? dilation = null, Device? device = null, ScalarType? dtype = null)
        : base(nameof(ConvTranspose2d))
    {
        this.stride = stride ?? (1, 1);
        this.padding = padding ?? (0, 0);
        this.output_padding = output_padding ?? (0, 0);
        this.dilation = dilation ?? (1, 1);
        Shapes.RequirePositive2d(nameof(ConvTranspose2d), in_channels, out_channels, kernel_size, this.stride, this.dilation, groups);
        Shapes.CheckTransposed(nameof(ConvTranspose2d), in_channels, out_channels, groups, this.padding.Item1, this.output_padding.Item1, this.stride.Item1, this.dilation.Item1);
        Shapes.CheckTransposed(nameof(ConvTranspose2d), in_channels, out_channels, groups, this.padding.Item2, this.output_padding.Item2, this.stride.Item2, this.dilation.Item2);
        (this.in_channels, this.out_channels, this.kernel_size, this.groups) = (in_channels, out_channels, kernel_size, groups);
        weight = Shapes.NewParameter([in_channels, out_channels / groups, kernel_size.Item1, kernel_size.Item2], device, dtype);
        this.bias = bias ? Shapes.NewParameter([out_channels], device, dtype) : null;
        nn.init.DefaultLinearInit(weight, this.bias);
        RegisterComponents();
    }

    public long in_channels { get; }
    public long out_channels { get; }
    public (long, long) kernel_size { get; }
    public (long, long) stride { get; }
    public (long, long) padding { get; }
    public (long, long) output_padding { get; }
    public (long, long) dilation { get; }
    public long groups { get; }
    public Parameter weight { get; }
    public Parameter? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups, dilation);
}
