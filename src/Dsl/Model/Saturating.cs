namespace Mtl.Dsl.Model;

/// <summary>Arithmetic for sizes and parameter counts that stops at long.MaxValue instead of wrapping.</summary>
internal static class Saturating
{
    public static long Multiply(long a, long b) =>
        a != 0 && b != 0 && Math.Abs((double)a * b) >= long.MaxValue ? long.MaxValue : a * b;

    public static long Add(long a, long b) => (double)a + b >= long.MaxValue ? long.MaxValue : a + b;

    public static long Sum(IEnumerable<long> values) => values.Aggregate(0L, Add);

    public static long Product(IEnumerable<int> values) => values.Aggregate(1L, (p, v) => Multiply(p, v));

    public static long Product(IEnumerable<long> values) => values.Aggregate(1L, Multiply);
}
