namespace Mtl.Training;

/// <summary>A loss or gradient became NaN or infinite; training stopped and nothing was stepped with it.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
