using System.Runtime.InteropServices;

namespace Mtl.Torch.Native;

/// <summary>
/// Owns one native <c>at::Tensor*</c>. Passed directly in <c>[LibraryImport]</c> signatures so the
/// marshaller holds a reference for the duration of each call; its critical finalizer is the
/// last-resort release when a tensor was neither disposed nor owned by a dispose scope.
/// </summary>
internal sealed class TensorHandle : SafeHandle
{
    private static long s_live;
    private static long s_created;

    /// <summary>A shared invalid handle that crosses the ABI as NULL (an absent optional tensor).</summary>
    public static readonly TensorHandle Null = new();

    private TensorHandle() : base(IntPtr.Zero, ownsHandle: false)
    {
    }

    public TensorHandle(nint handle) : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(handle);
        Interlocked.Increment(ref s_live);
        Interlocked.Increment(ref s_created);
    }

    /// <summary>Native tensor handles currently alive in this process.</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    /// <summary>Native tensor handles created in this process so far.</summary>
    public static long CreatedCount => Interlocked.Read(ref s_created);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        Interlocked.Decrement(ref s_live);
        return NativeMethods.mtl_tensor_free(handle) == 0;
    }
}
