using System.Runtime.InteropServices;
using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch;

/// <summary>
/// A libtorch tensor. Dispose it, or create it inside <see cref="torch.NewDisposeScope"/> so the
/// scope disposes it; the native memory is never left to the garbage collector by design (the
/// handle's finalizer is only a backstop).
/// </summary>
public partial class Tensor : IDisposable
{
    internal readonly TensorHandle Handle;
    internal DisposeScope? OwningScope;

    internal Tensor(nint handle)
    {
        Handle = new TensorHandle(handle);
        DisposeScope.Register(this);
    }

    /// <summary>Wraps a handle without giving it to the current dispose scope.</summary>
    private protected Tensor(nint handle, bool unscoped)
    {
        Handle = new TensorHandle(handle);
        if (!unscoped) DisposeScope.Register(this);
    }

    internal static Tensor? WrapOrNull(nint handle) => handle == 0 ? null : new Tensor(handle);

    /// <summary>Native tensor handles alive in this process (for leak checks).</summary>
    public static long LiveHandleCount => TensorHandle.LiveCount;

    /// <summary>Native tensor handles created in this process so far (for tests that a path creates no tensor).</summary>
    internal static long CreatedHandleCount => TensorHandle.CreatedCount;

    public bool IsDisposed => Handle.IsClosed;

    /// <summary>The dispose scope that owns this tensor, if any.</summary>
    public DisposeScope? Scope => OwningScope;

    public void Dispose()
    {
        Handle.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Hands this tensor to the scope enclosing its owner (or to no scope).</summary>
    public Tensor MoveToOuterDisposeScope() => OwningScope?.MoveToOuter(this) ?? this;

    /// <summary>Takes this tensor out of its dispose scope: the caller now disposes it.</summary>
    public Tensor DetachFromDisposeScope() => OwningScope?.Detach(this) ?? this;

    // ---- properties ----------------------------------------------------------------------------

    public ScalarType dtype
    {
        get
        {
            Check(NativeMethods.mtl_tensor_dtype(Handle, out var value));
            return (ScalarType)value;
        }
    }

    public Device device
    {
        get
        {
            Check(NativeMethods.mtl_tensor_device(Handle, out var type, out var index));
            return type == (int)DeviceType.CPU ? Device.CPU : new Device((DeviceType)type, index);
        }
    }

    public DeviceType device_type => device.type;

    public long Dimensions
    {
        get
        {
            Check(NativeMethods.mtl_tensor_ndim(Handle, out var ndim));
            return ndim;
        }
    }

    public long ndim => Dimensions;

    public long dim() => Dimensions;

    public unsafe long[] shape
    {
        get
        {
            Span<long> buffer = stackalloc long[8];
            int ndim;
            fixed (long* p = buffer)
            {
                Check(NativeMethods.mtl_tensor_shape(Handle, p, buffer.Length, out ndim));
            }
            if (ndim <= buffer.Length) return buffer[..ndim].ToArray();
            var sizes = new long[ndim];
            fixed (long* p = sizes)
            {
                Check(NativeMethods.mtl_tensor_shape(Handle, p, ndim, out ndim));
            }
            return sizes;
        }
    }

    public long[] size() => shape;

    public long size(long dim)
    {
        var s = shape;
        var d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"dimension out of range for a tensor of shape {FormatShape(s)}");
        }
        return s[d];
    }

    public long numel()
    {
        Check(NativeMethods.mtl_tensor_numel(Handle, out var n));
        return n;
    }

    public bool is_leaf
    {
        get
        {
            Check(NativeMethods.mtl_tensor_is_leaf(Handle, out var value));
            return value != 0;
        }
    }

    public bool is_contiguous()
    {
        Check(NativeMethods.mtl_tensor_is_contiguous(Handle, out var value));
        return value != 0;
    }

    public bool requires_grad
    {
        get
        {
            Check(NativeMethods.mtl_tensor_requires_grad(Handle, out var value));
            return value != 0;
        }
        set => Check(NativeMethods.mtl_tensor_set_requires_grad(Handle, value ? (byte)1 : (byte)0));
    }

    public Tensor requires_grad_(bool requires_grad = true)
    {
        this.requires_grad = requires_grad;
        return this;
    }

    /// <summary>A shape as messages print it: [2, 3].</summary>
    public static string FormatShape(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    // ---- autograd ------------------------------------------------------------------------------

    /// <summary>The accumulated gradient (a new handle sharing its storage), or null.</summary>
    public Tensor? grad
    {
        get
        {
            Check(NativeMethods.mtl_tensor_grad(Handle, out var g));
            return WrapOrNull(g);
        }
        set => Check(NativeMethods.mtl_tensor_set_grad(Handle, value?.Handle ?? TensorHandle.Null));
    }

    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false) =>
        Check(NativeMethods.mtl_backward(Handle, gradient?.Handle ?? TensorHandle.Null, B(retain_graph), B(create_graph)));

    public Tensor detach() => Op(NativeMethods.mtl_tensor_detach(Handle, out var r), r);

    public Tensor detach_()
    {
        Check(NativeMethods.mtl_tensor_detach_(Handle));
        return this;
    }

    /// <summary>Zeros (or with <paramref name="set_to_none"/> drops) this leaf's gradient.</summary>
    public void zero_grad(bool set_to_none = true) => Check(NativeMethods.mtl_tensor_zero_grad(Handle, B(set_to_none)));

    // ---- conversion ----------------------------------------------------------------------------

    public Tensor to(ScalarType type, Device device, bool copy = false) =>
        Op(NativeMethods.mtl_tensor_to(Handle, (sbyte)type, (int)device.type, device.index, B(copy), out var r), r);

    public Tensor to(Device device, bool copy = false) => to(dtype, device, copy);

    public Tensor to(ScalarType type, bool copy = false) => to(type, device, copy);

    public Tensor to(string device) => to(Device.Parse(device));

    public Tensor cpu() => to(Device.CPU);

    public Tensor cuda(int index = -1) => to(new Device(DeviceType.CUDA, index));

    public Tensor @float() => to(ScalarType.Float32);

    public Tensor @double() => to(ScalarType.Float64);

    public Tensor @long() => to(ScalarType.Int64);

    public Tensor @int() => to(ScalarType.Int32);

    public Tensor @bool() => to(ScalarType.Bool);

    public Tensor clone() => Op(NativeMethods.mtl_tensor_clone(Handle, out var r), r);

    public Tensor contiguous() => Op(NativeMethods.mtl_tensor_contiguous(Handle, out var r), r);

    /// <summary>Another handle to the very same tensor (same storage, same autograd identity).</summary>
    public Tensor alias() => Op(NativeMethods.mtl_tensor_alias(Handle, out var r), r);

    /// <summary>Replaces this tensor's data, keeping its identity (how parameters change device).</summary>
    public void set_(Tensor data) => Check(NativeMethods.mtl_tensor_set_data(Handle, data.Handle));

    // ---- data out ------------------------------------------------------------------------------

    /// <summary>The single value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        Check(NativeMethods.mtl_tensor_item(Handle, out var value, out var intValue));
        if (typeof(T) == typeof(float)) return (T)(object)(float)value;
        if (typeof(T) == typeof(double)) return (T)(object)value;
        if (typeof(T) == typeof(long)) return (T)(object)intValue;
        if (typeof(T) == typeof(int)) return (T)(object)checked((int)intValue);
        if (typeof(T) == typeof(short)) return (T)(object)checked((short)intValue);
        if (typeof(T) == typeof(byte)) return (T)(object)checked((byte)intValue);
        if (typeof(T) == typeof(bool)) return (T)(object)(value != 0);
        throw new NotSupportedException($"item<{typeof(T).Name}> is not supported");
    }

    /// <summary>A copy of the values in row-major order; <typeparamref name="T"/> must match the dtype.</summary>
    public T[] data<T>() where T : unmanaged
    {
        var result = new T[checked((int)numel())];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the values in row-major order into <paramref name="destination"/>.</summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        var expected = ScalarTypeInfo.Of<T>();
        var actual = dtype;
        if (expected != actual)
        {
            throw new InvalidOperationException(
                $"cannot read a {ScalarTypeInfo.Name(actual)} tensor as {typeof(T).Name} (that needs {ScalarTypeInfo.Name(expected)}); convert it with to() first");
        }
        var count = numel();
        if (destination.Length != count)
        {
            throw new ArgumentException($"destination holds {destination.Length} elements but the tensor of shape {FormatShape(shape)} has {count}", nameof(destination));
        }
        CopyBytesTo(MemoryMarshal.AsBytes(destination));
    }

    /// <summary>
    /// Copies the raw bytes (host byte order) of the values in row-major order (any dtype, from any
    /// device); <paramref name="destination"/> must hold exactly numel × element size bytes.
    /// </summary>
    internal unsafe void CopyBytesTo(Span<byte> destination)
    {
        fixed (byte* p = destination)
        {
            Check(NativeMethods.mtl_tensor_copy_to(Handle, p, destination.Length));
        }
    }

    // ---- in-place initialisation (no autograd history) -----------------------------------------

    public Tensor copy_(Tensor source)
    {
        Check(NativeMethods.mtl_tensor_copy_(Handle, source.Handle));
        return this;
    }

    public Tensor fill_(double value)
    {
        Check(NativeMethods.mtl_tensor_fill_(Handle, value, 0, 0));
        return this;
    }

    public Tensor fill_(long value)
    {
        Check(NativeMethods.mtl_tensor_fill_(Handle, value, value, 1));
        return this;
    }

    public Tensor zero_()
    {
        Check(NativeMethods.mtl_tensor_zero_(Handle));
        return this;
    }

    public Tensor uniform_(double from = 0, double to = 1)
    {
        Check(NativeMethods.mtl_tensor_uniform_(Handle, from, to));
        return this;
    }

    public Tensor normal_(double mean = 0, double std = 1)
    {
        Check(NativeMethods.mtl_tensor_normal_(Handle, mean, std));
        return this;
    }

    public Tensor bernoulli_(double p = 0.5)
    {
        Check(NativeMethods.mtl_tensor_bernoulli_(Handle, p));
        return this;
    }

    // ---- helpers for the generated-by-hand wrappers ---------------------------------------------

    internal static byte B(bool value) => value ? (byte)1 : (byte)0;

    /// <summary>Checks a status and wraps the result handle.</summary>
    internal static Tensor Op(int status, nint result)
    {
        Check(status);
        return new Tensor(result);
    }
}
