using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Stateless layers, activations and losses (PyTorch's torch.nn.functional).</summary>
        public static class functional
        {
            private static Tensor Op(int status, nint result) => Tensor.Op(status, result);

            private static TensorHandle H(Tensor? t) => t?.Handle ?? TensorHandle.Null;

            private static byte B(bool value) => Tensor.B(value);

            // ---- activations ----------------------------------------------------------------

            public static Tensor relu(Tensor x) => x.Unary(UnaryOp.Relu);
            public static Tensor relu6(Tensor x) => x.Unary(UnaryOp.Relu6);
            public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) => Op(NativeMethods.mtl_leaky_relu(x.Handle, negative_slope, out var r), r);
            public static Tensor gelu(Tensor x, string approximate = "none") => approximate switch
            {
                "none" => x.Unary(UnaryOp.Gelu),
                "tanh" => x.Unary(UnaryOp.GeluTanh),
                _ => throw new ArgumentException($"gelu: approximate must be 'none' or 'tanh', not '{approximate}'", nameof(approximate)),
            };
            public static Tensor silu(Tensor x) => x.Unary(UnaryOp.Silu);
            public static Tensor elu(Tensor x, double alpha = 1.0) => Op(NativeMethods.mtl_elu(x.Handle, alpha, out var r), r);
            public static Tensor selu(Tensor x) => x.Unary(UnaryOp.Selu);
            public static Tensor mish(Tensor x) => x.Unary(UnaryOp.Mish);
            public static Tensor softplus(Tensor x, double beta = 1.0, double threshold = 20.0) => Op(NativeMethods.mtl_softplus(x.Handle, beta, threshold, out var r), r);
            public static Tensor hardswish(Tensor x) => x.Unary(UnaryOp.Hardswish);
            public static Tensor hardsigmoid(Tensor x) => x.Unary(UnaryOp.Hardsigmoid);
            public static Tensor logsigmoid(Tensor x) => x.Unary(UnaryOp.LogSigmoid);
            public static Tensor tanh(Tensor x) => x.Unary(UnaryOp.Tanh);
            public static Tensor sigmoid(Tensor x) => x.Unary(UnaryOp.Sigmoid);
            public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
            public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);

            // ---- layers ---------------------------------------------------------------------

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) =>
                Op(NativeMethods.mtl_linear(input.Handle, weight.Handle, H(bias), out var r), r);

            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true)
            {
                if (p < 0 || p > 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
                return Op(NativeMethods.mtl_dropout(input.Handle, p, B(training), out var r), r);
            }

            public static unsafe Tensor conv1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long dilation = 1, long groups = 1)
            {
                long s = stride, p = padding, d = dilation;
                return Op(NativeMethods.mtl_conv(1, input.Handle, weight.Handle, H(bias), &s, &p, &d, groups, out var r), r);
            }

            public static unsafe Tensor conv_transpose1d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0, long output_padding = 0, long groups = 1, long dilation = 1)
            {
                long s = stride, p = padding, o = output_padding, d = dilation;
                return Op(NativeMethods.mtl_conv_transpose(1, input.Handle, weight.Handle, H(bias), &s, &p, &o, groups, &d, out var r), r);
            }

            public static unsafe Tensor conv_transpose2d(Tensor input, Tensor weight, Tensor? bias = null, (long, long)? stride = null, (long, long)? padding = null, (long, long)? output_padding = null, long groups = 1, (long, long)? dilation = null)
            {
                var s = Pair(stride ?? (1, 1));
                var p = Pair(padding ?? (0, 0));
                var o = Pair(output_padding ?? (0, 0));
                var d = Pair(dilation ?? (1, 1));
                fixed (long* ps = s, pp = p, po = o, pd = d)
                {
                    return Op(NativeMethods.mtl_conv_transpose(2, input.Handle, weight.Handle, H(bias), ps, pp, po, groups, pd, out var r), r);
                }
            }

            /// <summary>
            /// PyTorch's F.interpolate(input, scale_factor=scale, mode) with align_corners false, for
            /// [N, C, L] (nearest) or [N, C, H, W] (nearest or bilinear): each spatial size becomes floor(size · scale).
            /// </summary>
            public static Tensor interpolate(Tensor input, double scale_factor, UpsampleMode mode = UpsampleMode.Nearest)
            {
                CheckScale(scale_factor);
                return interpolate(input, [.. Enumerable.Repeat(scale_factor, Math.Max(input.shape.Length - 2, 1))], mode);
            }

            /// <summary>
            /// F.interpolate(input, scale_factor=(sh, sw), mode): one scale per spatial dimension, each
            /// size floor(size · its scale), the scales themselves used to place the samples.
            /// </summary>
            public static unsafe Tensor interpolate(Tensor input, double[] scale_factor, UpsampleMode mode = UpsampleMode.Nearest)
            {
                ArgumentNullException.ThrowIfNull(scale_factor);
                foreach (var s in scale_factor) CheckScale(s);
                var shape = input.shape;
                var spatial = InterpolationDims(shape, mode, scale_factor.Length, "scale_factor");
                var size = new long[spatial];
                for (var i = 0; i < spatial; i++)
                {
                    size[i] = (long)Math.Floor(shape[i + 2] * scale_factor[i]);
                    if (size[i] < 1) throw new ArgumentException($"interpolate: scale_factor {string.Join(", ", scale_factor)} leaves no output for shape {Tensor.FormatShape(shape)}", nameof(scale_factor));
                }

                fixed (long* ps = size)
                fixed (double* pc = scale_factor)
                {
                    return Op(NativeMethods.mtl_upsample(spatial, input.Handle, B(mode == UpsampleMode.Bilinear), ps, pc, out var r), r);
                }
            }

            /// <summary>
            /// F.interpolate(input, size=(h, w), mode) with align_corners false: the spatial sizes
            /// become <paramref name="size"/>, sampled at the ratio input size / output size.
            /// </summary>
            public static unsafe Tensor interpolate(Tensor input, long[] size, UpsampleMode mode = UpsampleMode.Nearest)
            {
                ArgumentNullException.ThrowIfNull(size);
                if (size.Any(s => s < 1)) throw new ArgumentOutOfRangeException(nameof(size), string.Join(", ", size), "interpolate: each size must be at least 1");
                var spatial = InterpolationDims(input.shape, mode, size.Length, "size");
                fixed (long* ps = size)
                {
                    return Op(NativeMethods.mtl_upsample(spatial, input.Handle, B(mode == UpsampleMode.Bilinear), ps, null, out var r), r);
                }
            }

            private static void CheckScale(double scale_factor)
            {
                if (!(scale_factor > 0) || double.IsInfinity(scale_factor)) throw new ArgumentOutOfRangeException(nameof(scale_factor), scale_factor, "interpolate: scale_factor must be a positive number");
            }

            /// <summary>The spatial rank of an interpolation's input, checked against the mode and the values given per dimension.</summary>
            private static int InterpolationDims(long[] shape, UpsampleMode mode, int given, string option)
            {
                var spatial = shape.Length - 2;
                if (spatial is not (1 or 2) || (mode == UpsampleMode.Bilinear && spatial != 2))
                {
                    var expected = mode == UpsampleMode.Bilinear ? "a 4-d [N, C, H, W]" : "a 3-d [N, C, L] or 4-d [N, C, H, W]";
                    throw new ArgumentException($"interpolate: mode {mode} expects {expected} input, got shape {Tensor.FormatShape(shape)}", "input");
                }

                if (given != spatial)
                {
                    throw new ArgumentException($"interpolate: {option} has {Count(given, "value")} for the {Count(spatial, "spatial dimension")} of shape {Tensor.FormatShape(shape)}", option);
                }
                return spatial;

                static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
            }

            public static unsafe Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, long groups = 1)
            {
                var s = Pair(stride ?? (1, 1));
                var p = Pair(padding ?? (0, 0));
                var d = Pair(dilation ?? (1, 1));
                fixed (long* ps = s, pp = p, pd = d)
                {
                    return Op(NativeMethods.mtl_conv(2, input.Handle, weight.Handle, H(bias), ps, pp, pd, groups, out var r), r);
                }
            }

            private static long[] Pair((long, long) value) => [value.Item1, value.Item2];

            public static unsafe Tensor max_pool2d(Tensor input, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, (long, long)? dilation = null, bool ceil_mode = false)
            {
                var k = Pair(kernel_size);
                var s = Pair(stride ?? kernel_size);
                var p = Pair(padding ?? (0, 0));
                var d = Pair(dilation ?? (1, 1));
                fixed (long* pk = k, ps = s, pp = p, pd = d)
                {
                    return Op(NativeMethods.mtl_max_pool2d(input.Handle, pk, ps, pp, pd, B(ceil_mode), out var r), r);
                }
            }

            public static Tensor max_pool1d(Tensor input, long kernel_size, long? stride = null, long padding = 0, long dilation = 1, bool ceil_mode = false) =>
                Op(NativeMethods.mtl_max_pool1d(input.Handle, kernel_size, stride ?? kernel_size, padding, dilation, B(ceil_mode), out var r), r);

            public static unsafe Tensor avg_pool2d(Tensor input, (long, long) kernel_size, (long, long)? stride = null, (long, long)? padding = null, bool ceil_mode = false, bool count_include_pad = true)
            {
                var k = Pair(kernel_size);
                var s = Pair(stride ?? kernel_size);
                var p = Pair(padding ?? (0, 0));
                fixed (long* pk = k, ps = s, pp = p)
                {
                    return Op(NativeMethods.mtl_avg_pool2d(input.Handle, pk, ps, pp, B(ceil_mode), B(count_include_pad), out var r), r);
                }
            }

            public static Tensor avg_pool1d(Tensor input, long kernel_size, long? stride = null, long padding = 0, bool ceil_mode = false, bool count_include_pad = true) =>
                Op(NativeMethods.mtl_avg_pool1d(input.Handle, kernel_size, stride ?? kernel_size, padding, B(ceil_mode), B(count_include_pad), out var r), r);

            public static unsafe Tensor adaptive_avg_pool2d(Tensor input, (long, long) output_size)
            {
                var o = Pair(output_size);
                fixed (long* po = o)
                {
                    return Op(NativeMethods.mtl_adaptive_avg_pool2d(input.Handle, po, out var r), r);
                }
            }

            public static Tensor adaptive_avg_pool1d(Tensor input, long output_size) =>
                Op(NativeMethods.mtl_adaptive_avg_pool1d(input.Handle, output_size, out var r), r);

            public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null, Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5) =>
                Op(NativeMethods.mtl_batch_norm(input.Handle, H(weight), H(bias), H(running_mean), H(running_var), B(training), momentum, eps, out var r), r);

            public static unsafe Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
            {
                fixed (long* p = normalized_shape)
                {
                    return Op(NativeMethods.mtl_layer_norm(input.Handle, p, normalized_shape.Length, H(weight), H(bias), eps, out var r), r);
                }
            }

            /// <summary>
            /// Looks up rows of <paramref name="weight"/>. The <paramref name="padding_idx"/> row gets no
            /// gradient; a negative index counts from the end, as in PyTorch (libtorch itself reads any
            /// negative value as "no padding row", so it is normalised here).
            /// </summary>
            public static Tensor embedding(Tensor input, Tensor weight, long? padding_idx = null)
            {
                var padding = -1L;
                if (padding_idx is { } index)
                {
                    var rows = weight.size(0);
                    if (index < -rows || index >= rows)
                    {
                        throw new ArgumentOutOfRangeException(nameof(padding_idx), index, $"embedding: padding_idx must be within [-{rows}, {rows})");
                    }
                    padding = index < 0 ? index + rows : index;
                }
                return Op(NativeMethods.mtl_embedding(weight.Handle, input.Handle, padding, out var r), r);
            }

            public static Tensor one_hot(Tensor input, long num_classes = -1) => torch.one_hot(input, num_classes);

            // ---- losses ---------------------------------------------------------------------

            private static long R(Reduction reduction, string loss)
            {
                if (reduction == Reduction.BatchMean)
                {
                    throw new ArgumentException($"{loss}: reduction 'batchmean' applies to kl_div only; use Mean, Sum or None", nameof(reduction));
                }
                return (long)reduction;
            }

            private static Tensor Regression(RegressionLoss kind, Tensor input, Tensor target, Reduction reduction, double param, string name) =>
                Op(NativeMethods.mtl_regression_loss((int)kind, input.Handle, target.Handle, R(reduction, name), param, out var r), r);

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Regression(RegressionLoss.Mse, input, target, reduction, 0, nameof(mse_loss));

            public static Tensor l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Regression(RegressionLoss.L1, input, target, reduction, 0, nameof(l1_loss));

            public static Tensor smooth_l1_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
            {
                if (beta < 0) throw new ArgumentOutOfRangeException(nameof(beta), beta, "smooth_l1_loss: beta must be non-negative");
                return Regression(RegressionLoss.SmoothL1, input, target, reduction, beta, nameof(smooth_l1_loss));
            }

            public static Tensor huber_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
            {
                if (delta <= 0) throw new ArgumentOutOfRangeException(nameof(delta), delta, "huber_loss: delta must be positive");
                return Regression(RegressionLoss.Huber, input, target, reduction, delta, nameof(huber_loss));
            }

            /// <summary>
            /// Cross entropy over logits <c>[N, C]</c> (or <c>[N, C, d...]</c>) with class indices
            /// (int64) or class probabilities (same shape as the input) as targets.
            /// </summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean, double label_smoothing = 0.0)
            {
                if (label_smoothing < 0 || label_smoothing > 1)
                {
                    throw new ArgumentOutOfRangeException(nameof(label_smoothing), label_smoothing, "cross_entropy: label_smoothing must be in [0, 1]");
                }
                return Op(NativeMethods.mtl_cross_entropy(input.Handle, target.Handle, H(weight), R(reduction, nameof(cross_entropy)), ignore_index, label_smoothing, out var r), r);
            }

            public static Tensor nll_loss(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100, Reduction reduction = Reduction.Mean) =>
                Op(NativeMethods.mtl_nll_loss(input.Handle, target.Handle, H(weight), R(reduction, nameof(nll_loss)), ignore_index, out var r), r);

            public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? pos_weight = null) =>
                Op(NativeMethods.mtl_bce_with_logits(input.Handle, target.Handle, H(weight), H(pos_weight), R(reduction, nameof(binary_cross_entropy_with_logits)), out var r), r);

            public static Tensor binary_cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean) =>
                Op(NativeMethods.mtl_bce(input.Handle, target.Handle, H(weight), R(reduction, nameof(binary_cross_entropy)), out var r), r);

            /// <summary>KL divergence with <paramref name="input"/> as log-probabilities (PyTorch's convention).</summary>
            public static Tensor kl_div(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool log_target = false)
            {
                if (reduction != Reduction.BatchMean)
                {
                    return Op(NativeMethods.mtl_kl_div(input.Handle, target.Handle, (long)reduction, B(log_target), out var r), r);
                }
                using var sum = Op(NativeMethods.mtl_kl_div(input.Handle, target.Handle, (long)Reduction.Sum, B(log_target), out var s), s);
                var batch = input.Dimensions == 0 ? 1 : input.size(0);
                return sum.div(batch);
            }
        }
    }
}
