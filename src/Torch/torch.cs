using System.Runtime.InteropServices;
using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch;

/// <summary>
/// The entry point, shaped like PyTorch's and TorchSharp's: <c>using static Mtl.Torch.torch;</c>
/// then <c>zeros(2, 3)</c>, <c>nn.Linear(4, 2)</c>, <c>optim.Adam(...)</c>, <c>no_grad()</c>.
/// </summary>
public static partial class torch
{
    public const ScalarType uint8 = ScalarType.Byte;
    public const ScalarType int8 = ScalarType.Int8;
    public const ScalarType int16 = ScalarType.Int16;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType @bool = ScalarType.Bool;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType @float = ScalarType.Float32;
    public const ScalarType @double = ScalarType.Float64;
    public const ScalarType @long = ScalarType.Int64;
    public const ScalarType @int = ScalarType.Int32;

    public static readonly Device CPU = Device.CPU;
    public static readonly Device CUDA = Device.CUDA;

    public static Device device(string description) => Device.Parse(description);

    /// <summary>The libtorch version the native shim was compiled against.</summary>
    public static string __version__
    {
        get
        {
            Check(NativeMethods.mtl_version(out var text));
            return Marshal.PtrToStringUTF8(text) ?? "";
        }
    }

    // ---- lifetime ------------------------------------------------------------------------------

    /// <summary>Opens a scope that disposes every tensor created on this thread until it closes.</summary>
    public static DisposeScope NewDisposeScope() => new();

    // ---- process state -------------------------------------------------------------------------

    /// <summary>Seeds libtorch's generators on every device.</summary>
    public static void manual_seed(long seed) => Check(NativeMethods.mtl_manual_seed(unchecked((ulong)seed)));

    /// <summary>The CPU generator's state (a uint8 tensor), to restore with <see cref="set_rng_state"/>.</summary>
    public static Tensor get_rng_state() => Tensor.Op(NativeMethods.mtl_get_rng_state(out var r), r);

    public static void set_rng_state(Tensor state) => Check(NativeMethods.mtl_set_rng_state(state.Handle));

    public static void set_num_threads(int threads) => Check(NativeMethods.mtl_set_num_threads(threads));

    public static int get_num_threads()
    {
        Check(NativeMethods.mtl_get_num_threads(out var n));
        return n;
    }

    public static class cuda
    {
        public static bool is_available()
        {
            Check(NativeMethods.mtl_cuda_is_available(out var available));
            return available != 0;
        }

        public static int device_count()
        {
            Check(NativeMethods.mtl_cuda_device_count(out var count));
            return count;
        }

        public static void synchronize(int device = -1) => Check(NativeMethods.mtl_cuda_synchronize(device));
    }

    // ---- grad mode -----------------------------------------------------------------------------

    /// <summary>Disables gradient recording on this thread until disposed (then restores it).</summary>
    public static IDisposable no_grad() => new GradModeGuard(false);

    /// <summary>Enables gradient recording on this thread until disposed (then restores it).</summary>
    public static IDisposable enable_grad() => new GradModeGuard(true);

    public static IDisposable set_grad_enabled(bool enabled) => new GradModeGuard(enabled);

    /// <summary>Inference mode: no autograd bookkeeping at all, on this thread, until disposed.</summary>
    public static IDisposable inference_mode() => new InferenceModeGuard();

    public static bool is_grad_enabled()
    {
        Check(NativeMethods.mtl_is_grad_enabled(out var enabled));
        return enabled != 0;
    }

    public static bool is_inference_mode_enabled()
    {
        Check(NativeMethods.mtl_is_inference_mode_enabled(out var enabled));
        return enabled != 0;
    }

    private sealed class GradModeGuard : IDisposable
    {
        private readonly byte _previous;
        private bool _disposed;

        public GradModeGuard(bool enabled) => Check(NativeMethods.mtl_set_grad_enabled(Tensor.B(enabled), out _previous));

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Check(NativeMethods.mtl_set_grad_enabled(_previous, out _));
        }
    }

    private sealed class InferenceModeGuard : IDisposable
    {
        private nint _guard;

        public InferenceModeGuard() => Check(NativeMethods.mtl_inference_mode_enter(out _guard));

        public void Dispose()
        {
            if (_guard == 0) return;
            var guard = _guard;
            _guard = 0;
            Check(NativeMethods.mtl_inference_mode_exit(guard));
        }
    }
}
