namespace Mtl.Training;

/// <summary>
/// A checkpoint that cannot be loaded (not a checkpoint, damaged, or written by a trainer built
/// differently), or a state that must not be saved (non-finite weights or optimizer state). The
/// message names the file and the missing or bad entry. A failed load leaves the trainer as it
/// was; a refused save leaves the file on disk as it was. It is an <see cref="IOException"/>
/// (<see cref="InvalidDataException"/>, the format's own error, which it wraps as its inner
/// exception, is sealed).
/// </summary>
public sealed class CheckpointException : IOException
{
    public CheckpointException(string path, string problem, Exception? innerException = null)
        : base($"checkpoint '{path}': {problem}", innerException)
    {
        Path = path;
    }

    /// <summary>The checkpoint file.</summary>
    public string Path { get; }
}
