using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch;

// Functions over several tensors, and function forms of tensor methods.
public static partial class torch
{
    public static unsafe Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        using var lease = new HandleLease(tensors);
        fixed (nint* p = lease.Pointers)
        {
            return Tensor.Op(NativeMethods.mtl_cat(p, lease.Count, dim, out var r), r);
        }
    }

    public static unsafe Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0)
    {
        using var lease = new HandleLease(tensors);
        fixed (nint* p = lease.Pointers)
        {
            return Tensor.Op(NativeMethods.mtl_stack(p, lease.Count, dim, out var r), r);
        }
    }

    public static Tensor concat(IReadOnlyList<Tensor> tensors, long dim = 0) => cat(tensors, dim);

    public static Tensor where(Tensor condition, Tensor x, Tensor y) =>
        Tensor.Op(NativeMethods.mtl_where(condition.Handle, x.Handle, y.Handle, out var r), r);

    public static Tensor one_hot(Tensor indices, long num_classes = -1) =>
        Tensor.Op(NativeMethods.mtl_one_hot(indices.Handle, num_classes, out var r), r);

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor exp(Tensor x) => x.exp();
    public static Tensor log(Tensor x) => x.log();
    public static Tensor sqrt(Tensor x) => x.sqrt();
    public static Tensor abs(Tensor x) => x.abs();
    public static Tensor tanh(Tensor x) => x.tanh();
    public static Tensor sigmoid(Tensor x) => x.sigmoid();
    public static Tensor relu(Tensor x) => x.relu();
    public static Tensor clamp(Tensor x, double? min = null, double? max = null) => x.clamp(min, max);
    public static Tensor isnan(Tensor x) => x.isnan();
    public static Tensor isfinite(Tensor x) => x.isfinite();
    public static Tensor flatten(Tensor x, long start_dim = 0, long end_dim = -1) => x.flatten(start_dim, end_dim);
    public static Tensor sum(Tensor x) => x.sum();
    public static Tensor mean(Tensor x) => x.mean();
    public static bool allclose(Tensor a, Tensor b, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false) => a.allclose(b, rtol, atol, equal_nan);

    public static class autograd
    {
        /// <summary>
        /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, without
        /// touching any <c>.grad</c>. With <paramref name="allow_unused"/>, an input the outputs do not
        /// depend on gets null; without it, that is an error.
        /// </summary>
        public static unsafe Tensor?[] grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
            IReadOnlyList<Tensor?>? grad_outputs = null, bool retain_graph = false, bool create_graph = false, bool allow_unused = false)
        {
            if (grad_outputs is not null && grad_outputs.Count != outputs.Count)
            {
                throw new ArgumentException($"grad_outputs has {grad_outputs.Count} entries for {outputs.Count} outputs", nameof(grad_outputs));
            }
            using var outs = new HandleLease(outputs);
            using var ins = new HandleLease(inputs);
            using var gradOuts = new HandleLease(grad_outputs ?? []);
            var results = new nint[Math.Max(inputs.Count, 1)];
            fixed (nint* o = outs.Pointers)
            fixed (nint* i = ins.Pointers)
            fixed (nint* g = gradOuts.Pointers)
            fixed (nint* r = results)
            {
                Check(NativeMethods.mtl_autograd_grad(o, outputs.Count, i, inputs.Count, grad_outputs is null ? null : g,
                    Tensor.B(retain_graph || create_graph), Tensor.B(create_graph), Tensor.B(allow_unused), r));
            }
            var grads = new Tensor?[inputs.Count];
            for (var k = 0; k < grads.Length; k++) grads[k] = Tensor.WrapOrNull(results[k]);
            return grads;
        }

        public static Tensor?[] grad(Tensor output, IReadOnlyList<Tensor> inputs, bool retain_graph = false, bool create_graph = false, bool allow_unused = false) =>
            grad([output], inputs, null, retain_graph, create_graph, allow_unused);
    }
}
