namespace Mtl.Runtime.Tests.Weighting;

/// <summary>A <see cref="Random"/> that returns the given values from <see cref="NextDouble"/>, in turn.</summary>
internal sealed class ScriptedRandom(params double[] values) : Random
{
    private int _next;

    public override double NextDouble() => values[_next++];
}
