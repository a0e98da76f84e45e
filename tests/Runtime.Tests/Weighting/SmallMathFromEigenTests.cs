using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary><see cref="SmallMath.FromEigen"/>: V diag(λ) Vᵀ, against products worked out by hand.</summary>
public sealed class SmallMathFromEigenTests
{
    [Fact]
    public void A_rotation_and_two_values_give_the_symmetric_matrix()
    {
        // V = [[0.6, −0.8], [0.8, 0.6]], λ = (2, 5):
        // r₀₀ = 0.36·2 + 0.64·5 = 3.92, r₀₁ = 0.48·2 − 0.48·5 = −1.44, r₁₁ = 0.64·2 + 0.36·5 = 3.08
        var r = SmallMath.FromEigen([2, 5], new[,] { { 0.6, -0.8 }, { 0.8, 0.6 } });
        Expect.Close([3.92, -1.44, -1.44, 3.08], [r[0, 0], r[0, 1], r[1, 0], r[1, 1]], 1e-15);
    }

    [Fact]
    public void Each_entry_sums_over_the_columns_of_both_rows()
    {
        // Not an orthogonal V, so that rows and columns cannot be swapped unnoticed:
        // V = [[1, 2, 0], [3, 4, 1], [0, 1, 2]], λ = (1, 10, 100); rᵢⱼ = Σₖ Vᵢₖ λₖ Vⱼₖ.
        var r = SmallMath.FromEigen([1, 10, 100], new double[,] { { 1, 2, 0 }, { 3, 4, 1 }, { 0, 1, 2 } });
        double[,] expected =
        {
            { 1 + 40 + 0, 3 + 80 + 0, 0 + 20 + 0 },
            { 3 + 80 + 0, 9 + 160 + 100, 0 + 40 + 200 },
            { 0 + 20 + 0, 0 + 40 + 200, 0 + 10 + 400 },
        };
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++) Assert.Equal(expected[i, j], r[i, j]);
        }
    }
}
