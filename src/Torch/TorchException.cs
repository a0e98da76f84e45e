namespace Mtl.Torch;

/// <summary>Where a native failure came from.</summary>
public enum TorchErrorKind
{
    /// <summary>libtorch reported an error (<c>c10::Error</c>): shapes, dtypes, devices, indices.</summary>
    Torch = 1,

    /// <summary>A C++ standard exception (for example out of memory).</summary>
    Native = 2,

    /// <summary>An exception of unknown type.</summary>
    Unknown = 3,
}

/// <summary>
/// A libtorch operation failed. The message is libtorch's own (it names the op, shapes and
/// dtypes involved); the native side is left healthy, so the caller may continue.
/// </summary>
public sealed class TorchException : Exception
{
    public TorchException(string message, TorchErrorKind kind = TorchErrorKind.Torch) : base(message)
    {
        Kind = kind;
    }

    public TorchErrorKind Kind { get; }
}
