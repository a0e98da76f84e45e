using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mtl.Torch.Native;

/// <summary>Turns the status code every native export returns into a managed exception.</summary>
internal static class NativeStatus
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(int status)
    {
        if (status != 0)
        {
            Throw(status);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(int status)
    {
        string message = "native call failed without a message";
        if (NativeMethods.mtl_last_error(out var text) == 0 && text != 0)
        {
            message = Marshal.PtrToStringUTF8(text) ?? message;
        }
        throw new TorchException(message, (TorchErrorKind)status);
    }
}
