using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Mtl.Torch.Native;

namespace Mtl.Torch;

// Tensor factories: zeros, ones, full, arange, rand, randn, randint, tensor(data).
public static partial class torch
{
    private static unsafe Tensor New(FactoryKind kind, ReadOnlySpan<long> size, ScalarType? dtype, Device? device, bool requires_grad)
    {
        var dev = device ?? Device.CPU;
        fixed (long* p = size)
        {
            return Tensor.Op(NativeMethods.mtl_tensor_new((int)kind, p, size.Length, (sbyte)(dtype ?? ScalarType.Float32),
                (int)dev.type, dev.index, Tensor.B(requires_grad), out var r), r);
        }
    }

    public static Tensor empty(params long[] size) => New(FactoryKind.Empty, size, null, null, false);
    public static Tensor empty(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => New(FactoryKind.Empty, size, dtype, device, requires_grad);
    public static Tensor zeros(params long[] size) => New(FactoryKind.Zeros, size, null, null, false);
    public static Tensor zeros(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => New(FactoryKind.Zeros, size, dtype, device, requires_grad);
    public static Tensor ones(params long[] size) => New(FactoryKind.Ones, size, null, null, false);
    public static Tensor ones(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => New(FactoryKind.Ones, size, dtype, device, requires_grad);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(params long[] size) => New(FactoryKind.Rand, size, null, null, false);
    public static Tensor rand(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => New(FactoryKind.Rand, size, dtype, device, requires_grad);

    /// <summary>Standard normal samples.</summary>
    public static Tensor randn(params long[] size) => New(FactoryKind.Randn, size, null, null, false);
    public static Tensor randn(long[] size, ScalarType? dtype = null, Device? device = null, bool requires_grad = false) => New(FactoryKind.Randn, size, dtype, device, requires_grad);

    private static Tensor Like(FactoryKind kind, Tensor t) => Tensor.Op(NativeMethods.mtl_tensor_new_like((int)kind, t.Handle, out var r), r);

    public static Tensor empty_like(Tensor t) => Like(FactoryKind.Empty, t);
    public static Tensor zeros_like(Tensor t) => Like(FactoryKind.Zeros, t);
    public static Tensor ones_like(Tensor t) => Like(FactoryKind.Ones, t);
    public static Tensor rand_like(Tensor t) => Like(FactoryKind.Rand, t);
    public static Tensor randn_like(Tensor t) => Like(FactoryKind.Randn, t);

    public static unsafe Tensor full(long[] size, double value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var dev = device ?? Device.CPU;
        fixed (long* p = size)
        {
            return Tensor.Op(NativeMethods.mtl_tensor_full(p, size.Length, value, 0, 0, (sbyte)(dtype ?? ScalarType.Float32),
                (int)dev.type, dev.index, Tensor.B(requires_grad), out var r), r);
        }
    }

    public static unsafe Tensor full(long[] size, long value, ScalarType? dtype = null, Device? device = null, bool requires_grad = false)
    {
        var dev = device ?? Device.CPU;
        fixed (long* p = size)
        {
            return Tensor.Op(NativeMethods.mtl_tensor_full(p, size.Length, value, value, 1, (sbyte)(dtype ?? ScalarType.Int64),
                (int)dev.type, dev.index, Tensor.B(requires_grad), out var r), r);
        }
    }

    /// <summary>Values from <paramref name="start"/> up to (not including) <paramref name="end"/>.</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        return Tensor.Op(NativeMethods.mtl_tensor_arange(start, end, step, (sbyte)(dtype ?? ScalarType.Float32), (int)dev.type, dev.index, out var r), r);
    }

    /// <summary>Integers from <paramref name="start"/> up to (not including) <paramref name="end"/>; int64 unless told.</summary>
    public static Tensor arange(long start, long end, long step = 1, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        return Tensor.Op(NativeMethods.mtl_tensor_arange(start, end, step, (sbyte)(dtype ?? ScalarType.Int64), (int)dev.type, dev.index, out var r), r);
    }

    public static Tensor arange(long end, ScalarType? dtype = null, Device? device = null) => arange(0L, end, 1L, dtype, device);

    public static Tensor linspace(double start, double end, long steps, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        return Tensor.Op(NativeMethods.mtl_tensor_linspace(start, end, steps, (sbyte)(dtype ?? ScalarType.Float32), (int)dev.type, dev.index, out var r), r);
    }

    public static Tensor eye(long n, long? m = null, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        return Tensor.Op(NativeMethods.mtl_tensor_eye(n, m ?? n, (sbyte)(dtype ?? ScalarType.Float32), (int)dev.type, dev.index, out var r), r);
    }

    /// <summary>Integers drawn uniformly from [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static unsafe Tensor randint(long low, long high, long[] size, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        fixed (long* p = size)
        {
            return Tensor.Op(NativeMethods.mtl_tensor_randint(low, high, p, size.Length, (sbyte)(dtype ?? ScalarType.Int64), (int)dev.type, dev.index, out var r), r);
        }
    }

    public static Tensor randint(long high, long[] size, ScalarType? dtype = null, Device? device = null) => randint(0, high, size, dtype, device);

    public static Tensor randperm(long n, ScalarType? dtype = null, Device? device = null)
    {
        var dev = device ?? Device.CPU;
        return Tensor.Op(NativeMethods.mtl_tensor_randperm(n, (sbyte)(dtype ?? ScalarType.Int64), (int)dev.type, dev.index, out var r), r);
    }

    // ---- from .NET data (always copied; never aliases managed memory) ---------------------------
    // Every public overload takes the shape as long[]: were one a span, `tensor(data, [2, 3])` would
    // be ambiguous (a collection expression converts to both).

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape (1-d when omitted).</summary>
    public static Tensor tensor<T>(ReadOnlySpan<T> data, long[] shape, Device? device = null, bool requires_grad = false) where T : unmanaged =>
        FromSpan(data, shape, device, requires_grad);

    private static Tensor FromSpan<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, Device? device, bool requires_grad) where T : unmanaged
    {
        long count = 1;
        foreach (var s in shape)
        {
            if (s < 0) throw new ArgumentException($"shape {Tensor.FormatShape(shape)} has a negative size", nameof(shape));
            count *= s;
        }
        if (count != data.Length)
        {
            throw new ArgumentException($"shape {Tensor.FormatShape(shape)} needs {count} elements but {data.Length} were given", nameof(shape));
        }
        return FromBytes(MemoryMarshal.AsBytes(data), shape, ScalarTypeInfo.Of<T>(), device, requires_grad);
    }

    /// <summary>
    /// A tensor holding a copy of raw element bytes (host byte order) of any dtype (the length must be
    /// numel × element size; the native side checks it).
    /// </summary>
    internal static unsafe Tensor FromBytes(ReadOnlySpan<byte> data, ReadOnlySpan<long> shape, ScalarType dtype, Device? device = null, bool requires_grad = false)
    {
        var dev = device ?? Device.CPU;
        fixed (byte* d = data)
        fixed (long* s = shape)
        {
            return Tensor.Op(NativeMethods.mtl_tensor_from_data(d, data.Length, s, shape.Length, (sbyte)dtype,
                (int)dev.type, dev.index, Tensor.B(requires_grad), out var r), r);
        }
    }

    public static Tensor tensor<T>(T[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) where T : unmanaged =>
        FromSpan<T>(data, shape ?? [data.LongLength], device, requires_grad);

    public static Tensor tensor(float[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor<float>(data, shape, device, requires_grad);
    public static Tensor tensor(double[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor<double>(data, shape, device, requires_grad);
    public static Tensor tensor(long[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor<long>(data, shape, device, requires_grad);
    public static Tensor tensor(int[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor<int>(data, shape, device, requires_grad);
    public static Tensor tensor(byte[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor<byte>(data, shape, device, requires_grad);
    public static Tensor tensor(bool[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor<bool>(data, shape, device, requires_grad);

    /// <summary>A tensor from a rectangular array of any rank (<c>float[,]</c>, <c>long[,,]</c>, ...).</summary>
    public static Tensor tensor<T>(Array data, Device? device = null, bool requires_grad = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.GetType().GetElementType() != typeof(T))
        {
            throw new ArgumentException($"array of {data.GetType().GetElementType()?.Name} given where {typeof(T).Name} was expected", nameof(data));
        }
        var shape = new long[data.Rank];
        for (var i = 0; i < shape.Length; i++) shape[i] = data.GetLength(i);
        var span = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(data)), checked((int)data.LongLength));
        return FromSpan(span, shape, device, requires_grad);
    }

    public static Tensor tensor(float[,] data, Device? device = null, bool requires_grad = false) => tensor<float>((Array)data, device, requires_grad);
    public static Tensor tensor(double[,] data, Device? device = null, bool requires_grad = false) => tensor<double>((Array)data, device, requires_grad);
    public static Tensor tensor(long[,] data, Device? device = null, bool requires_grad = false) => tensor<long>((Array)data, device, requires_grad);

    /// <summary>A 0-d tensor.</summary>
    public static Tensor tensor(float value, Device? device = null, bool requires_grad = false) => tensor<float>([value], [], device, requires_grad);
    public static Tensor tensor(double value, Device? device = null, bool requires_grad = false) => tensor<double>([value], [], device, requires_grad);
    public static Tensor tensor(long value, Device? device = null) => tensor<long>([value], [], device);
    public static Tensor tensor(bool value, Device? device = null) => tensor<bool>([value], [], device);

    public static Tensor from_array<T>(T[] data, params long[] shape) where T : unmanaged => tensor<T>(data, shape.Length == 0 ? null : shape);
}
