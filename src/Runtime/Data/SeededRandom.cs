namespace Mtl.Data;

/// <summary>
/// A SplitMix64 generator whose whole state is one number, so a checkpoint can save and restore
/// it and a resumed run draws exactly what the uninterrupted one would have.
/// </summary>
public sealed class SeededRandom : Random
{
    public SeededRandom(long seed) => State = unchecked((ulong)seed);

    /// <summary>The generator's state; assign a saved value to continue a sequence.</summary>
    public ulong State { get; set; }

    public ulong NextUInt64()
    {
        unchecked
        {
            var z = State += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    protected override double Sample() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public override double NextDouble() => Sample();

    public override int Next() => (int)(NextUInt64() >> 33);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)(Sample() * maxValue);
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return minValue + (int)(Sample() * ((long)maxValue - minValue));
    }

    public override long NextInt64() => (long)(NextUInt64() >> 1);

    public override void NextBytes(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++) buffer[i] = (byte)(NextUInt64() >> 56);
    }

    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());
}
