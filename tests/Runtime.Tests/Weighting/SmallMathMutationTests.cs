using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary><see cref="SmallMath"/> on input that is not finite.</summary>
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
}
