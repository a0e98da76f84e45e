using Mtl.Torch.Modules;

namespace Mtl.Torch;

// torch.nn.Linear(...) and friends, as TorchSharp spells them.
public static partial class torch
{
    public static partial class nn
    {
        public static Linear Linear(long in_features, long out_features, bool hasBias = true, Device? device = null, ScalarType? dtype = null) => new(in_features, out_features, hasBias, device, dtype);
        public static Conv1d Conv1d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true, Device? device = null, ScalarType? dtype = null) => new(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype);
        public static Conv2d Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true, Device? device = null, ScalarType? dtype = null) => new(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype);
        public static Conv2d Conv2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, long groups = 1, bool bias = true, Device? device = null, ScalarType? dtype = null) => new(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, device, dtype);
        public static ConvTranspose1d ConvTranspose1d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long output_padding = 0, long groups = 1, bool bias = true, long dilation = 1, Device? device = null, ScalarType? dtype = null) => new(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation, device, dtype);
        public static ConvTranspose2d ConvTranspose2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0, long output_padding = 0, long groups = 1, bool bias = true, long dilation = 1, Device? device = null, ScalarType? dtype = null) => new(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation, device, dtype);
        public static ConvTranspose2d ConvTranspose2d(long in_channels, long out_channels, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? output_padding = null, long groups = 1, bool bias = true, (long, long)? dilation = null, Device? device = null, ScalarType? dtype = null) => new(in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias, dilation, device, dtype);
        public static Upsample Upsample(double scale_factor, UpsampleMode mode = UpsampleMode.Nearest) => new(scale_factor, mode);
        public static Upsample Upsample(double[] scale_factor, UpsampleMode mode = UpsampleMode.Nearest) => new(scale_factor, mode);
        public static Upsample Upsample(long[] size, UpsampleMode mode = UpsampleMode.Nearest) => new(size, mode);
        public static MaxPool1d MaxPool1d(long kernel_size, long? stride = null, long padding = 0, long dilation = 1, bool ceil_mode = false) => new(kernel_size, stride, padding, dilation, ceil_mode);
        public static MaxPool2d MaxPool2d(long kernel_size, long? stride = null, long padding = 0, long dilation = 1, bool ceil_mode = false) => new(kernel_size, stride, padding, dilation, ceil_mode);
        public static MaxPool2d MaxPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, bool ceil_mode = false) => new(kernel_size, stride, padding, dilation, ceil_mode);
        public static AvgPool1d AvgPool1d(long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false, bool count_include_pad = true) => new(kernel_size, stride, padding, ceil_mode, count_include_pad);
        public static AvgPool2d AvgPool2d(long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false, bool count_include_pad = true) => new(kernel_size, stride, padding, ceil_mode, count_include_pad);
        public static AvgPool2d AvgPool2d((long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, bool ceil_mode = false, bool count_include_pad = true) => new(kernel_size, stride, padding, ceil_mode, count_include_pad);
        public static AdaptiveAvgPool1d AdaptiveAvgPool1d(long output_size) => new(output_size);
        public static AdaptiveAvgPool2d AdaptiveAvgPool2d(long output_size) => new(output_size);
        public static AdaptiveAvgPool2d AdaptiveAvgPool2d((long, long) output_size) => new(output_size);
        public static BatchNorm1d BatchNorm1d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool track_running_stats = true, Device? device = null, ScalarType? dtype = null) => new(num_features, eps, momentum, affine, track_running_stats, device, dtype);
        public static BatchNorm2d BatchNorm2d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool track_running_stats = true, Device? device = null, ScalarType? dtype = null) => new(num_features, eps, momentum, affine, track_running_stats, device, dtype);
        public static LayerNorm LayerNorm(long normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null, ScalarType? dtype = null) => new(normalized_shape, eps, elementwise_affine, device, dtype);
        public static LayerNorm LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null, ScalarType? dtype = null) => new(normalized_shape, eps, elementwise_affine, device, dtype);
        public static Dropout Dropout(double p = 0.5) => new(p);
        public static Embedding Embedding(long num_embeddings, long embedding_dim, long? padding_idx = null, Device? device = null, ScalarType? dtype = null) => new(num_embeddings, embedding_dim, padding_idx, device, dtype);
        public static Flatten Flatten(long start_dim = 1, long end_dim = -1) => new(start_dim, end_dim);
        public static Identity Identity() => new();
        public static LSTM LSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false, double dropout = 0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null) => new(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);
        public static GRU GRU(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false, double dropout = 0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null) => new(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype);
        public static ReLU ReLU() => new();
        public static LeakyReLU LeakyReLU(double negative_slope = 0.01) => new(negative_slope);
        public static GELU GELU(string approximate = "none") => new(approximate);
        public static SiLU SiLU() => new();
        public static ELU ELU(double alpha = 1.0) => new(alpha);
        public static SELU SELU() => new();
        public static Mish Mish() => new();
        public static Softplus Softplus(double beta = 1.0, double threshold = 20.0) => new(beta, threshold);
        public static ReLU6 ReLU6() => new();
        public static Hardswish Hardswish() => new();
        public static Hardsigmoid Hardsigmoid() => new();
        public static Tanh Tanh() => new();
        public static Sigmoid Sigmoid() => new();
        public static Softmax Softmax(long dim) => new(dim);
        public static LogSoftmax LogSoftmax(long dim) => new(dim);
        public static Sequential Sequential() => new();
        public static Sequential Sequential(params Module<Tensor, Tensor>[] modules) => new(modules);
        public static Sequential Sequential(params (string name, Module<Tensor, Tensor> module)[] modules) => new(modules);
        public static ModuleList<T> ModuleList<T>(params T[] modules) where T : Module => new(modules);
        public static ModuleDict<T> ModuleDict<T>(params (string name, T module)[] modules) where T : Module => new(modules);
        public static Parameter Parameter(Tensor data, bool requires_grad = true) => new(data, requires_grad);

        public static class utils
        {
            /// <summary>Scales gradients in place so their joint norm is at most <paramref name="max_norm"/>; returns the norm before clipping.</summary>
            public static unsafe double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm, double norm_type = 2.0)
            {
                var list = parameters.ToList();
                using var lease = new Native.HandleLease(list);
                fixed (nint* p = lease.Pointers)
                {
                    Native.NativeStatus.Check(Native.NativeMethods.mtl_clip_grad_norm(p, lease.Count, max_norm, norm_type, out var total));
                    return total;
                }
            }
        }
    }
}
