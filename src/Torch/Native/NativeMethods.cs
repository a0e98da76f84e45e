using System.Runtime.InteropServices;

namespace Mtl.Torch.Native;

// One declaration per export of libmtl_torch.so (src/Torch/Shim/src). Every export returns a
// status (0 = success) and hands results back through out-parameters; see NativeStatus.
// Input tensors cross as TensorHandle (the marshaller keeps them alive during the call), new
// tensors come back as raw handles that the caller wraps at once, lists as arrays of raw handles
// held alive by TensorList. Booleans cross as one byte.
internal static unsafe partial class NativeMethods
{
    public const string Library = "mtl_torch";

    // ---- runtime.cpp ----
    [LibraryImport(Library)] public static partial int mtl_last_error(out nint message);
    [LibraryImport(Library)] public static partial int mtl_version(out nint version);
    [LibraryImport(Library)] public static partial int mtl_manual_seed(ulong seed);
    [LibraryImport(Library)] public static partial int mtl_set_num_threads(int count);
    [LibraryImport(Library)] public static partial int mtl_get_num_threads(out int count);
    [LibraryImport(Library)] public static partial int mtl_cuda_is_available(out byte available);
    [LibraryImport(Library)] public static partial int mtl_cuda_device_count(out int count);
    [LibraryImport(Library)] public static partial int mtl_cuda_synchronize(int deviceIndex);
    [LibraryImport(Library)] public static partial int mtl_set_grad_enabled(byte enabled, out byte previous);
    [LibraryImport(Library)] public static partial int mtl_is_grad_enabled(out byte enabled);
    [LibraryImport(Library)] public static partial int mtl_inference_mode_enter(out nint guard);
    [LibraryImport(Library)] public static partial int mtl_inference_mode_exit(nint guard);
    [LibraryImport(Library)] public static partial int mtl_is_inference_mode_enabled(out byte enabled);
    [LibraryImport(Library)] public static partial int mtl_get_rng_state(out nint state);
    [LibraryImport(Library)] public static partial int mtl_set_rng_state(TensorHandle state);

    // ---- tensor.cpp ----
    [LibraryImport(Library)] public static partial int mtl_tensor_free(nint t);
    [LibraryImport(Library)] public static partial int mtl_tensor_alias(TensorHandle t, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_info(TensorHandle t, out sbyte dtype, out int deviceType, out int deviceIndex, out int ndim, out byte requiresGrad);
    [LibraryImport(Library)] public static partial int mtl_tensor_dtype(TensorHandle t, out sbyte dtype);
    [LibraryImport(Library)] public static partial int mtl_tensor_device(TensorHandle t, out int type, out int index);
    [LibraryImport(Library)] public static partial int mtl_tensor_ndim(TensorHandle t, out int ndim);
    [LibraryImport(Library)] public static partial int mtl_tensor_shape(TensorHandle t, long* sizes, int capacity, out int ndim);
    [LibraryImport(Library)] public static partial int mtl_tensor_numel(TensorHandle t, out long numel);
    [LibraryImport(Library)] public static partial int mtl_tensor_requires_grad(TensorHandle t, out byte requiresGrad);
    [LibraryImport(Library)] public static partial int mtl_tensor_set_requires_grad(TensorHandle t, byte requiresGrad);
    [LibraryImport(Library)] public static partial int mtl_tensor_is_leaf(TensorHandle t, out byte isLeaf);
    [LibraryImport(Library)] public static partial int mtl_tensor_is_contiguous(TensorHandle t, out byte contiguous);
    [LibraryImport(Library)] public static partial int mtl_tensor_new(int kind, long* shape, int ndim, sbyte dtype, int deviceType, int deviceIndex, byte requiresGrad, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_full(long* shape, int ndim, double value, long intValue, byte isInt, sbyte dtype, int deviceType, int deviceIndex, byte requiresGrad, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_arange(double start, double end, double step, sbyte dtype, int deviceType, int deviceIndex, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_linspace(double start, double end, long steps, sbyte dtype, int deviceType, int deviceIndex, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_eye(long n, long m, sbyte dtype, int deviceType, int deviceIndex, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_randint(long low, long high, long* shape, int ndim, sbyte dtype, int deviceType, int deviceIndex, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_randperm(long n, sbyte dtype, int deviceType, int deviceIndex, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_new_like(int kind, TensorHandle t, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_from_data(void* data, long nbytes, long* shape, int ndim, sbyte dtype, int deviceType, int deviceIndex, byte requiresGrad, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_copy_to(TensorHandle t, void* data, long nbytes);
    [LibraryImport(Library)] public static partial int mtl_tensor_item(TensorHandle t, out double value, out long intValue);
    [LibraryImport(Library)] public static partial int mtl_tensor_to(TensorHandle t, sbyte dtype, int deviceType, int deviceIndex, byte copy, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_clone(TensorHandle t, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_detach(TensorHandle t, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_detach_(TensorHandle t);
    [LibraryImport(Library)] public static partial int mtl_tensor_contiguous(TensorHandle t, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_set_data(TensorHandle t, TensorHandle data);
    [LibraryImport(Library)] public static partial int mtl_tensor_copy_(TensorHandle t, TensorHandle src);
    [LibraryImport(Library)] public static partial int mtl_tensor_fill_(TensorHandle t, double value, long intValue, byte isInt);
    [LibraryImport(Library)] public static partial int mtl_tensor_zero_(TensorHandle t);
    [LibraryImport(Library)] public static partial int mtl_tensor_uniform_(TensorHandle t, double low, double high);
    [LibraryImport(Library)] public static partial int mtl_tensor_normal_(TensorHandle t, double mean, double std);
    [LibraryImport(Library)] public static partial int mtl_tensor_bernoulli_(TensorHandle t, double p);

    // ---- ops.cpp ----
    [LibraryImport(Library)] public static partial int mtl_unary(int op, TensorHandle a, out nint result);
    [LibraryImport(Library)] public static partial int mtl_unary_(int op, TensorHandle a);
    [LibraryImport(Library)] public static partial int mtl_binary(int op, TensorHandle a, TensorHandle b, double alpha, out nint result);
    [LibraryImport(Library)] public static partial int mtl_binary_scalar(int op, TensorHandle a, double value, long intValue, byte isInt, byte scalarFirst, out nint result);
    [LibraryImport(Library)] public static partial int mtl_binary_(int op, TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Library)] public static partial int mtl_binary_scalar_(int op, TensorHandle a, double value, long intValue, byte isInt);
    [LibraryImport(Library)] public static partial int mtl_leaky_relu(TensorHandle a, double slope, out nint result);
    [LibraryImport(Library)] public static partial int mtl_elu(TensorHandle a, double alpha, out nint result);
    [LibraryImport(Library)] public static partial int mtl_softplus(TensorHandle a, double beta, double threshold, out nint result);
    [LibraryImport(Library)] public static partial int mtl_clamp(TensorHandle a, double min, byte hasMin, double max, byte hasMax, out nint result);
    [LibraryImport(Library)] public static partial int mtl_clamp_(TensorHandle a, double min, byte hasMin, double max, byte hasMax);
    [LibraryImport(Library)] public static partial int mtl_where(TensorHandle condition, TensorHandle a, TensorHandle b, out nint result);
    [LibraryImport(Library)] public static partial int mtl_addcmul(TensorHandle a, TensorHandle b, TensorHandle c, double value, out nint result);
    [LibraryImport(Library)] public static partial int mtl_lerp(TensorHandle a, TensorHandle b, double weight, out nint result);
    [LibraryImport(Library)] public static partial int mtl_allclose(TensorHandle a, TensorHandle b, double rtol, double atol, byte equalNan, out byte result);
    [LibraryImport(Library)] public static partial int mtl_equal(TensorHandle a, TensorHandle b, out byte result);
    [LibraryImport(Library)] public static partial int mtl_reduce(int op, TensorHandle a, long* dims, int ndims, byte keepdim, long correction, out nint result);
    [LibraryImport(Library)] public static partial int mtl_max_min_dim(int op, TensorHandle a, long dim, byte keepdim, out nint values, out nint indices);
    [LibraryImport(Library)] public static partial int mtl_argmax_min(int op, TensorHandle a, long dim, byte hasDim, byte keepdim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_norm(TensorHandle a, double p, long* dims, int ndims, byte keepdim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_cumsum(TensorHandle a, long dim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_topk(TensorHandle a, long k, long dim, byte largest, byte sorted, out nint values, out nint indices);
    [LibraryImport(Library)] public static partial int mtl_sort(TensorHandle a, long dim, byte descending, byte stable, out nint values, out nint indices);
    [LibraryImport(Library)] public static partial int mtl_matmul(TensorHandle a, TensorHandle b, out nint result);
    [LibraryImport(Library)] public static partial int mtl_mm(TensorHandle a, TensorHandle b, out nint result);
    [LibraryImport(Library)] public static partial int mtl_bmm(TensorHandle a, TensorHandle b, out nint result);
    [LibraryImport(Library)] public static partial int mtl_outer(TensorHandle a, TensorHandle b, out nint result);
    [LibraryImport(Library)] public static partial int mtl_dot(TensorHandle a, TensorHandle b, out nint result);
    [LibraryImport(Library)] public static partial int mtl_shape_op(int op, TensorHandle a, long* values, int count, out nint result);
    [LibraryImport(Library)] public static partial int mtl_flatten(TensorHandle a, long start, long end, out nint result);
    [LibraryImport(Library)] public static partial int mtl_unflatten(TensorHandle a, long dim, long* sizes, int count, out nint result);
    [LibraryImport(Library)] public static partial int mtl_squeeze(TensorHandle a, long dim, byte hasDim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_unsqueeze(TensorHandle a, long dim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_transpose(TensorHandle a, long dim0, long dim1, out nint result);
    [LibraryImport(Library)] public static partial int mtl_slice(TensorHandle a, long dim, long start, long end, long step, out nint result);
    [LibraryImport(Library)] public static partial int mtl_narrow(TensorHandle a, long dim, long start, long length, out nint result);
    [LibraryImport(Library)] public static partial int mtl_select(TensorHandle a, long dim, long index, out nint result);
    [LibraryImport(Library)] public static partial int mtl_cat(nint* tensors, int count, long dim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_stack(nint* tensors, int count, long dim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_split(TensorHandle a, long size, long dim, byte chunks, nint* results, int capacity, out int count);
    [LibraryImport(Library)] public static partial int mtl_index_select(TensorHandle a, long dim, TensorHandle index, out nint result);
    [LibraryImport(Library)] public static partial int mtl_gather(TensorHandle a, long dim, TensorHandle index, out nint result);
    [LibraryImport(Library)] public static partial int mtl_scatter(int op, TensorHandle a, long dim, TensorHandle index, TensorHandle src, out nint result);
    [LibraryImport(Library)] public static partial int mtl_index(TensorHandle a, TensorHandle index, out nint result);
    [LibraryImport(Library)] public static partial int mtl_index_put_(TensorHandle a, TensorHandle index, TensorHandle values, byte accumulate);
    [LibraryImport(Library)] public static partial int mtl_masked_fill(TensorHandle a, TensorHandle mask, double value, long intValue, byte isInt, out nint result);
    [LibraryImport(Library)] public static partial int mtl_masked_fill_(TensorHandle a, TensorHandle mask, double value, long intValue, byte isInt);
    [LibraryImport(Library)] public static partial int mtl_masked_select(TensorHandle a, TensorHandle mask, out nint result);
    [LibraryImport(Library)] public static partial int mtl_nonzero(TensorHandle a, out nint result);
    [LibraryImport(Library)] public static partial int mtl_one_hot(TensorHandle a, long numClasses, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tril_triu(int upper, TensorHandle a, long diagonal, out nint result);

    // ---- autograd.cpp ----
    [LibraryImport(Library)] public static partial int mtl_backward(TensorHandle t, TensorHandle gradient, byte retainGraph, byte createGraph);
    [LibraryImport(Library)] public static partial int mtl_autograd_grad(nint* outputs, int outputCount, nint* inputs, int inputCount, nint* gradOutputs, byte retainGraph, byte createGraph, byte allowUnused, nint* results);
    [LibraryImport(Library)] public static partial int mtl_tensor_grad(TensorHandle t, out nint result);
    [LibraryImport(Library)] public static partial int mtl_tensor_has_grad(TensorHandle t, out byte hasGrad);
    [LibraryImport(Library)] public static partial int mtl_tensor_set_grad(TensorHandle t, TensorHandle grad);
    [LibraryImport(Library)] public static partial int mtl_tensor_zero_grad(TensorHandle t, byte setToNone);
    [LibraryImport(Library)] public static partial int mtl_clip_grad_norm(nint* parameters, int count, double maxNorm, double normType, out double totalNorm);

    // ---- nn.cpp ----
    [LibraryImport(Library)] public static partial int mtl_linear(TensorHandle x, TensorHandle weight, TensorHandle bias, out nint result);
    [LibraryImport(Library)] public static partial int mtl_conv(int spatialDims, TensorHandle x, TensorHandle weight, TensorHandle bias, long* stride, long* padding, long* dilation, long groups, out nint result);
    [LibraryImport(Library)] public static partial int mtl_upsample(int spatialDims, TensorHandle x, byte bilinear, long* outputSize, double* scales, out nint result);
    [LibraryImport(Library)] public static partial int mtl_conv_transpose(int spatialDims, TensorHandle x, TensorHandle weight, TensorHandle bias, long* stride, long* padding, long* outputPadding, long groups, long* dilation, out nint result);
    [LibraryImport(Library)] public static partial int mtl_max_pool2d(TensorHandle x, long* kernel, long* stride, long* padding, long* dilation, byte ceilMode, out nint result);
    [LibraryImport(Library)] public static partial int mtl_max_pool1d(TensorHandle x, long kernel, long stride, long padding, long dilation, byte ceilMode, out nint result);
    [LibraryImport(Library)] public static partial int mtl_avg_pool2d(TensorHandle x, long* kernel, long* stride, long* padding, byte ceilMode, byte countIncludePad, out nint result);
    [LibraryImport(Library)] public static partial int mtl_avg_pool1d(TensorHandle x, long kernel, long stride, long padding, byte ceilMode, byte countIncludePad, out nint result);
    [LibraryImport(Library)] public static partial int mtl_adaptive_avg_pool2d(TensorHandle x, long* outputSize, out nint result);
    [LibraryImport(Library)] public static partial int mtl_adaptive_avg_pool1d(TensorHandle x, long outputSize, out nint result);
    [LibraryImport(Library)] public static partial int mtl_batch_norm(TensorHandle x, TensorHandle weight, TensorHandle bias, TensorHandle runningMean, TensorHandle runningVar, byte training, double momentum, double eps, out nint result);
    [LibraryImport(Library)] public static partial int mtl_layer_norm(TensorHandle x, long* normalizedShape, int ndim, TensorHandle weight, TensorHandle bias, double eps, out nint result);
    [LibraryImport(Library)] public static partial int mtl_dropout(TensorHandle x, double p, byte training, out nint result);
    [LibraryImport(Library)] public static partial int mtl_embedding(TensorHandle weight, TensorHandle indices, long paddingIdx, out nint result);
    [LibraryImport(Library)] public static partial int mtl_softmax(int op, TensorHandle x, long dim, out nint result);
    [LibraryImport(Library)] public static partial int mtl_rnn(int mode, TensorHandle x, nint* hx, int hxCount, nint* parameters, int parameterCount, byte hasBiases, long numLayers, double dropout, byte training, byte bidirectional, byte batchFirst, long hiddenSize, out nint output, out nint hN, out nint cN);
    [LibraryImport(Library)] public static partial int mtl_regression_loss(int kind, TensorHandle input, TensorHandle target, long reduction, double param, out nint result);
    [LibraryImport(Library)] public static partial int mtl_cross_entropy(TensorHandle input, TensorHandle target, TensorHandle weight, long reduction, long ignoreIndex, double labelSmoothing, out nint result);
    [LibraryImport(Library)] public static partial int mtl_nll_loss(TensorHandle input, TensorHandle target, TensorHandle weight, long reduction, long ignoreIndex, out nint result);
    [LibraryImport(Library)] public static partial int mtl_bce_with_logits(TensorHandle input, TensorHandle target, TensorHandle weight, TensorHandle posWeight, long reduction, out nint result);
    [LibraryImport(Library)] public static partial int mtl_bce(TensorHandle input, TensorHandle target, TensorHandle weight, long reduction, out nint result);
    [LibraryImport(Library)] public static partial int mtl_kl_div(TensorHandle input, TensorHandle target, long reduction, byte logTarget, out nint result);

    // ---- optim.cpp ----
    [LibraryImport(Library)] public static partial int mtl_sgd_step(TensorHandle param, TensorHandle momentumBuffer, double lr, double momentum, double dampening, double weightDecay, byte nesterov, byte maximize, out nint newBuffer);
    [LibraryImport(Library)] public static partial int mtl_adam_step(TensorHandle param, TensorHandle expAvg, TensorHandle expAvgSq, TensorHandle maxExpAvgSq, long step, double lr, double beta1, double beta2, double eps, double weightDecay, byte decoupled, byte amsgrad, byte maximize);
    [LibraryImport(Library)] public static partial int mtl_rmsprop_step(TensorHandle param, TensorHandle squareAvg, TensorHandle momentumBuffer, TensorHandle gradAvg, double lr, double alpha, double eps, double weightDecay, double momentum, byte centered, byte maximize);

    // ---- distributed.cpp ----
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int mtl_file_store_new(string path, int worldSize, long timeoutMs, out nint store);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int mtl_tcp_store_new(string host, int port, int worldSize, byte isMaster, long timeoutMs, out nint store);
    [LibraryImport(Library)] public static partial int mtl_store_free(nint store);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int mtl_process_group_gloo_new(nint store, int rank, int worldSize, string? host, long timeoutMs, out nint group);
    [LibraryImport(Library)] public static partial int mtl_process_group_free(nint group);
    [LibraryImport(Library)] public static partial int mtl_all_reduce(nint group, TensorHandle tensor, int op);
    [LibraryImport(Library)] public static partial int mtl_broadcast(nint group, TensorHandle tensor, int root);
    [LibraryImport(Library)] public static partial int mtl_barrier(nint group);
}
