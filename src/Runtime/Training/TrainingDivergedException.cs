namespace Mtl.Training;

/// <summary>
/// Training diverged: a loss or gradient norm became NaN or infinite (nothing was stepped with it),
/// or the last update of an epoch left non-finite weights or optimizer state, or a non-finite loss
/// (nothing of that epoch was kept). The message names what, where and the value.
/// </summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
