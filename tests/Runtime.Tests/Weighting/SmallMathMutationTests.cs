using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary><see cref="SmallMath"/> on input that is not finite, or finite but near the ends of the double range, and at its sweep cap.</summary>
public sealed class SmallMathMutationTests
{
    [Theory]
    [InlineData(0, 0)]  // NaN on the diagonal, the off-diagonal entries finite: no rotation would see it
    [InlineData(1, 2)]
    public void SymmetricEigen_refuses_a_matrix_holding_nan_and_names_the_entry(int row, int column)
    {
        var a = new double[,] { { 1, 0, 0 }, { 0, 2, 1 }, { 0, 1, 2 } };
        a[row, column] = double.NaN;
        var error = Assert.Throws<ArithmeticException>(() => SmallMath.SymmetricEigen(a));
        Assert.Equal($"no eigen-decomposition of a matrix holding NaN (at [{row}, {column}])", error.Message);
    }

    [Fact]
    public void SymmetricEigen_of_a_matrix_with_an_infinite_diagonal_entry_stops_at_once()
    {
        // Σ mᵢⱼ² = ∞, so the off-diagonal share is 0 ≤ 10⁻³⁰·∞: the matrix is taken as diagonal
        var (values, vectors) = SmallMath.SymmetricEigen(new double[,] { { double.PositiveInfinity, 1 }, { 1, 2 } });
        Assert.Equal([double.PositiveInfinity, 2], values);
        Assert.Equal([1.0, 0, 0, 1], vectors.Cast<double>());
    }

    /// <summary>A 3×3 matrix whose Jacobi rotations meet the stopping test after exactly 3 sweeps.</summary>
    private static readonly double[,] ThreeSweeps = { { 4, 1, 2 }, { 1, 3, 0 }, { 2, 0, 1 } };

    [Theory]
    [InlineData(600)]   // entries near 1e181: Σmᵢⱼ² overflows to ∞, which passed the stopping test at once
    [InlineData(-600)]  // entries near 1e-181: every mᵢⱼ² underflows to 0, which passed it as off = 0
    public void SymmetricEigen_of_a_matrix_times_a_power_of_two_is_the_same_times_that_power(int power)
    {
        var scaled = new double[3, 3];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++) scaled[i, j] = Math.ScaleB(ThreeSweeps[i, j], power);
        }
        var (values, vectors) = SmallMath.SymmetricEigen(ThreeSweeps);
        var (scaledValues, scaledVectors) = SmallMath.SymmetricEigen(scaled);
        // Scaling by a power of two is exact, and so is every rotation on the scaled matrix.
        Assert.Equal(values.Select(x => Math.ScaleB(x, power)), scaledValues);
        Assert.Equal(vectors.Cast<double>(), scaledVectors.Cast<double>());
        // The values are those of the matrix: their sum its trace (8), their product its determinant (−1).
        Assert.Equal(8, values.Sum(), 12);
        Assert.Equal(-1, values.Aggregate(1.0, (p, x) => p * x), 12);
    }

    [Fact]
    public void SymmetricEigen_of_large_finite_entries_is_exact_to_rounding()
    {
        // 1e200·[[2, 1], [1, 2]]: the values 1e200 and 3e200, the vectors (1, ∓1)/√2.
        var (values, vectors) = SmallMath.SymmetricEigen(new[,] { { 2e200, 1e200 }, { 1e200, 2e200 } });
        var order = values[0] < values[1] ? new[] { 0, 1 } : new[] { 1, 0 };
        Assert.Equal(1, values[order[0]] / 1e200, 14);
        Assert.Equal(3, values[order[1]] / 1e200, 14);
        Assert.Equal(0, Math.Abs(vectors[0, order[0]] + vectors[1, order[0]]), 14);
        Assert.Equal(0, Math.Abs(vectors[0, order[1]] - vectors[1, order[1]]), 14);
        Assert.Equal(Math.Sqrt(0.5), Math.Abs(vectors[0, order[1]]), 14);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void SymmetricEigen_that_does_not_converge_within_its_sweep_cap_says_so(int sweeps)
    {
        var error = Assert.Throws<ArithmeticException>(() => SmallMath.SymmetricEigen(ThreeSweeps, sweeps));
        Assert.Equal($"no eigen-decomposition: the Jacobi rotations did not converge (cap: {sweeps} sweeps)", error.Message);
    }

    [Fact]
    public void SymmetricEigen_with_a_sweep_cap_it_meets_returns_what_the_default_cap_returns()
    {
        var (values, vectors) = SmallMath.SymmetricEigen(ThreeSweeps, 3);
        var (expectedValues, expectedVectors) = SmallMath.SymmetricEigen(ThreeSweeps);
        Assert.Equal(expectedValues, values);
        Assert.Equal(expectedVectors.Cast<double>(), vectors.Cast<double>());
        // A diagonal matrix needs no sweep at all.
        Assert.Equal([1.0, 2], SmallMath.SymmetricEigen(new double[,] { { 1, 0 }, { 0, 2 } }, 0).Values);
    }
}
