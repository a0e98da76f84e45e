using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

public sealed class MaxPool1d(long kernel_size, long? stride = null, long padding = 0, long dilation = 1, bool ceil_mode = false) : nn.Module<Tensor, Tensor>(nameof(MaxPool1d))
{
    public override Tensor forward(Tensor input) => nn.functional.max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode);
}

public sealed class MaxPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, bool ceil_mode = false)
    : nn.Module<Tensor, Tensor>(nameof(MaxPool2d))
{
    public MaxPool2d(long kernel_size, long? stride = null, long padding = 0, long dilation = 1, bool ceil_mode = false)
        : this((kernel_size, kernel_size), stride is null ? null : (stride.Value, stride.Value), (padding, padding), (dilation, dilation), ceil_mode)
    {
    }

    public override Tensor forward(Tensor input) => nn.functional.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode);
}

public sealed class AvgPool1d(long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false, bool count_include_pad = true) : nn.Module<Tensor, Tensor>(nameof(AvgPool1d))
{
    public override Tensor forward(Tensor input) => nn.functional.avg_pool1d(input, kernel_size, stride, padding, ceil_mode, count_include_pad);
}

public sealed class AvgPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, bool ceil_mode = false, bool count_include_pad = true)
    : nn.Module<Tensor, Tensor>(nameof(AvgPool2d))
{
    public AvgPool2d(long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false, bool count_include_pad = true)
        : this((kernel_size, kernel_size), stride is null ? null : (stride.Value, stride.Value), (padding, padding), ceil_mode, count_include_pad)
    {
    }

    public override Tensor forward(Tensor input) => nn.functional.avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad);
}

public sealed class AdaptiveAvgPool1d(long output_size) : nn.Module<Tensor, Tensor>(nameof(AdaptiveAvgPool1d))
{
    public override Tensor forward(Tensor input) => nn.functional.adaptive_avg_pool1d(input, output_size);
}

public sealed class AdaptiveAvgPool2d((long, long) output_size) : nn.Module<Tensor, Tensor>(nameof(AdaptiveAvgPool2d))
{
    public AdaptiveAvgPool2d(long output_size) : this((output_size, output_size))
    {
    }

    public override Tensor forward(Tensor input) => nn.functional.adaptive_avg_pool2d(input, output_size);
}
