using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// MGDA's pairwise Frank–Wolfe (<see cref="MGDA.MinNorm"/>) step by step: the iterates after a
/// given number of steps, worked out by hand, so the choice of the toward and away tasks, the
/// line search and the stopping rule are each checked, not only the point they converge to.
/// </summary>
public sealed class MgdaMinNormTests
{
    /// <summary>The Gram matrix of g₀ = (1, 0), g₁ = (0, 1), g₂ = (1, 1).</summary>
    private static double[,] ThreeGradients(double scale = 1) => new[,]
    {
        { 1 * scale, 0, 1 * scale },
        { 0, 1 * scale, 1 * scale },
        { 1 * scale, 1 * scale, 2 * scale },
    };

    [Fact]
    public void Each_step_moves_weight_from_the_first_largest_to_the_first_smallest_gradient_entry()
    {
        var m = ThreeGradients();
        // No step: the uniform start.
        Expect.Close([1.0 / 3, 1.0 / 3, 1.0 / 3], MGDA.MinNorm(m, maxIterations: 0), 1e-15);
        // Step 1: Mα = (⅔, ⅔, 4/3); toward = 0 (the first of the tied smallest), away = 2;
        // gap = ⅔, curvature M₀₀ + M₂₂ − 2M₀₂ = 1, step = min(⅔, α₂ = ⅓) = ⅓.
        Expect.Close([2.0 / 3, 1.0 / 3, 0], MGDA.MinNorm(m, maxIterations: 1), 1e-15);
        // Step 2: Mα = (⅔, ⅓, 1); toward = 1, away = 0 (α₂ = 0 is not active); gap = ⅓,
        // curvature 2, step ⅙.
        Expect.Close([0.5, 0.5, 0], MGDA.MinNorm(m, maxIterations: 2), 1e-15);
        // Step 3: Mα = (½, ½, 1): toward = away = 0, so it stops there.
        Expect.Close([0.5, 0.5, 0], MGDA.MinNorm(m, maxIterations: 3), 1e-15);
        Expect.Close([0.5, 0.5, 0], MGDA.MinNorm(m), 1e-15);
    }

    [Fact]
    public void Of_two_tied_largest_entries_the_first_gives_weight()
    {
        // g₀ = 0, g₁ = (1, 0), g₂ = (0, 1): Mα = (0, ⅓, ⅓) at the start; away = 1, the first of
        // the tie; curvature M₀₀ + M₁₁ = 1, step = min(⅓, α₁ = ⅓) = ⅓.
        var m = new double[,] { { 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
        Expect.Close([2.0 / 3, 0, 1.0 / 3], MGDA.MinNorm(m, maxIterations: 1), 1e-15);
        // Step 2: Mα = (0, 0, ⅓); away = 2, all its weight goes to task 0.
        Expect.Close([1, 0, 0], MGDA.MinNorm(m), 1e-15);
    }

    [Theory]
    [InlineData(1e-8)]
    [InlineData(1)]
    [InlineData(1e8)]
    public void The_stopping_gap_is_relative_to_the_largest_diagonal_entry(double scale)
    {
        // α minimising αᵀ(sM)α does not depend on s > 0; with gradients of size 1e-4 the first
        // gap, ⅔·1e-8, is far above 1e-15·s and must not stop the iteration.
        Expect.Close([0.5, 0.5, 0], MGDA.MinNorm(ThreeGradients(scale)), 1e-15);
    }

    [Fact]
    public void A_curvature_that_is_not_positive_moves_all_the_away_weight()
    {
        // Along e_t − e_a the objective is −2γ·gap + γ²·curvature: with curvature ≤ 0 (which
        // rounding can give for two nearly equal gradients) it only decreases, so the step goes
        // to the end of the segment instead of to gap/curvature < 0.
        // M = [[1, 3], [3, 2]]: Mα = (2, 2.5) at the start; toward 0, away 1, curvature
        // 1 + 2 − 6 = −3: α = (1, 0), and then Mα = (1, 3) stops it.
        var m = new double[,] { { 1, 3 }, { 3, 2 } };
        Expect.Close([1, 0], MGDA.MinNorm(m), 1e-15);
    }

    [Fact]
    public void One_task_or_zero_gradients_keep_the_uniform_weights()
    {
        Expect.Close([1], MGDA.MinNorm(new double[,] { { 4 } }), 0);
        Expect.Close([0.5, 0.5], MGDA.MinNorm(new double[,] { { 0, 0 }, { 0, 0 } }), 0);
    }
}
