using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// CAGrad's dual solver (<see cref="CAGrad.Dual"/>) step by step: the iterates after a given
/// number of iterations, worked out by hand, so that the active-set choices (which coordinate is
/// blocked, fixed or released), the Newton step with its regularisation, the line search and the
/// stopping rule are each checked, not only the point they converge to.
/// </summary>
public sealed class CAGradPathTests
{
    /// <summary>The Gram matrix of g₀ = (1, 0) and g₁ = (−1, √3).</summary>
    private static readonly double[,] Obtuse = { { 1, -1 }, { -1, 4 } };

    [Theory]
    [InlineData(1)]
    [InlineData(1e-4)]
    public void Two_tasks_block_then_release_then_take_the_newton_step_from_the_vertex(double scale)
    {
        // M = scale·Obtuse and √φ = √scale: the same path at both sizes. At the smaller one the
        // Hessian's entries are about 3e-4, so δ = 1e-10 of the largest (not 1e-10 over it) is
        // what the third step's exact value pins.
        var m = Scaled(scale);
        var s = Math.Sqrt(scale);
        // At scale 1 (√φ = 1), at w = (½, ½): Mw = M·1/K = (0, 3/2), n² = ¾ + 1e-8, ∇F = (0, 3/2)(1 + 1/n).
        // On the direction t(1, −1) the Newton step is t = −(∂₀F − ∂₁F)/(q + 2δ), with
        // q = (1/n)(M₀₀ + M₁₁ − 2M₀₁ − (Mw₀ − Mw₁)²/n²) = (1/n)(7 − 3) = 4/n (to 1e-8), so
        // t = (3/8)(1 + n) ≈ 0.70 > ½: the step is blocked at w₁ = 0, which is fixed.
        Expect.Close([0.5, 0.5], CAGrad.Dual(m, s, maxIterations: 0), 0);
        var one = CAGrad.Dual(m, s, maxIterations: 1);
        Expect.Close([1, 0], one, 1e-15);
        Assert.Equal(0, one[1]);
        // At (1, 0): Mw = (1, −1), n = √(1 + 1e-8), ∇F = (1/n, 3/2 − 1/n) ≈ (1, ½). The gap is ½,
        // the face {0}'s own gap 0 ≤ 0.1·½, and ∂₁F < ∂₀F: the second iteration only releases w₁.
        Expect.Close([1, 0], CAGrad.Dual(m, s, maxIterations: 2), 1e-15);
        // Third: H = (1/n)(M − Mw Mwᵀ/n²) ≈ [[0, 0], [0, 3]], q = 3, δ = 3e-10: t = −½/3 = −1/6,
        // inside the simplex; F(5/6, 1/6) = ¼ + √19/6 < F(1, 0) = 1, accepted at the full step.
        var newton = NewtonFromVertex(scale, s);
        Expect.Close([newton, 1 - newton], CAGrad.Dual(m, s, maxIterations: 3), 1e-12);
        if (scale == 1) Expect.Close([5.0 / 6, 1.0 / 6], CAGrad.Dual(m, s, maxIterations: 3), 1e-8);
        // The optimum: ∂F/∂u = 0 on w = (1 − u, u) gives 33.25u² − 19u + 1.75 = 0 (with 7u < 2),
        // u = (19 − √128.25)/66.5 (the 1e-8 in the norm moves it by less than 1e-8).
        var u = (19 - Math.Sqrt(128.25)) / 66.5;
        if (scale == 1) Expect.Close([1 - u, u], CAGrad.Dual(m, s), 1e-8);
    }

    private static double[,] Scaled(double scale) => new[,] { { scale * Obtuse[0, 0], scale * Obtuse[0, 1] }, { scale * Obtuse[1, 0], scale * Obtuse[1, 1] } };

    /// <summary>
    /// w₀ after the Newton step from the vertex (1, 0) of scale·<see cref="Obtuse"/> with √φ = s
    /// (a step of 1, inside the simplex): the formulas of the comment above, with the 1e-8 kept.
    /// </summary>
    private static double NewtonFromVertex(double scale, double s)
    {
        var n2 = scale + 1e-8;
        var n = Math.Sqrt(n2);
        double[] mw = [scale, -scale];
        double[] mb = [0, 1.5 * scale];
        var g0 = mb[0] + s * mw[0] / n;
        var g1 = mb[1] + s * mw[1] / n;
        var h00 = s / n * (scale - mw[0] * mw[0] / n2);
        var h11 = s / n * (4 * scale - mw[1] * mw[1] / n2);
        var h01 = s / n * (-scale - mw[0] * mw[1] / n2);
        var delta = 1e-10 * Math.Max(h00, h11);
        var t = -(g0 - g1) / (h00 + h11 - 2 * h01 + 2 * delta);
        return 1 + t;
    }

    [Fact]
    public void With_no_norm_term_each_step_is_the_projected_gradient_to_the_next_vertex()
    {
        // √φ = 0: F(w) = wᵀM·1/K is linear, ∇F = M·1/K = (⅔, 1, 3) for M = diag(2, 3, 9), H = 0
        // and δ = 1, so the Newton step is d = −(∇F − its mean over the face).
        var m = new double[,] { { 2, 0, 0 }, { 0, 3, 0 }, { 0, 0, 9 } };
        // Step 1: the mean is 14/9, d = (8, 5, −13)/9; w₂ = ⅓ reaches 0 at 3/13: (21, 18, 0)/39.
        Expect.Close([21.0 / 39, 18.0 / 39, 0], CAGrad.Dual(m, 0, maxIterations: 1), 1e-15);
        // Steps 2 and 3 on the face {0, 1}: d = (⅙, −⅙), the whole step (w₁ stays positive).
        Expect.Close([21.0 / 39 + 1.0 / 6, 18.0 / 39 - 1.0 / 6, 0], CAGrad.Dual(m, 0, maxIterations: 2), 1e-15);
        Expect.Close([21.0 / 39 + 2.0 / 6, 18.0 / 39 - 2.0 / 6, 0], CAGrad.Dual(m, 0, maxIterations: 3), 1e-15);
        // Step 4: w₁ = 5/39 < ⅙ is blocked: the vertex of the smallest derivative, where it stops.
        Expect.Close([1, 0, 0], CAGrad.Dual(m, 0, maxIterations: 4), 1e-15);
        Expect.Close([1, 0, 0], CAGrad.Dual(m, 0), 1e-15);
    }

    [Fact]
    public void A_coordinate_the_step_does_not_move_does_not_limit_it()
    {
        // √φ = 0, M = diag(0, 3, 6): ∇F = (0, 1, 2), its mean 1, d = (1, 0, −1) exactly. Only a
        // coordinate the step decreases can end it: w₂ = ⅓ at the step ⅓, giving (⅔, ⅓, 0);
        // then d = (½, −½) on the face {0, 1} is blocked at w₁ = 0: (1, 0, 0).
        var m = new double[,] { { 0, 0, 0 }, { 0, 3, 0 }, { 0, 0, 6 } };
        Expect.Close([2.0 / 3, 1.0 / 3, 0], CAGrad.Dual(m, 0, maxIterations: 1), 1e-15);
        Expect.Close([1, 0, 0], CAGrad.Dual(m, 0), 1e-15);
    }

    [Fact]
    public void Collinear_gradients_of_size_1e5_reach_the_vertex_of_the_shorter_one()
    {
        // g₀ = 1e5, g₁ = 2e5 (one dimension): F(w) = g_w·ḡ + √φ·|g_w| (the 1e-8 is lost beside
        // |g_w|² ≥ 1e10) is linear on the simplex, smallest at w = (1, 0). H = (√φ/n)(M − MwwᵀM/n²)
        // is exactly 0 there, so only δ = 1 (for a zero diagonal) keeps the Newton system regular.
        var m = new double[,] { { 1e10, 2e10 }, { 2e10, 4e10 } };
        Expect.Close([1, 0], CAGrad.Dual(m, 1), 0);
    }

    [Fact]
    public void The_solver_stops_when_the_gap_equals_1e_12_of_the_largest_derivative()
    {
        // √φ = 0 and M = diag(a, b): ∇F = (a/2, b/2) at w = (½, ½), the largest a/2, and the gap
        // (a/4 + b/4) − b/2, which for these two numbers is exactly 1e-12·a/2 in doubles. The rule
        // is gap ≤ 1e-12·scale, so the start is returned untouched (a further step would move w).
        var a = 1.1102230246251565;
        var b = 1.110223024622936;
        Assert.Equal(1e-12 * (a / 2), (a / 2 * 0.5 + b / 2 * 0.5) - b / 2);
        var w = CAGrad.Dual(new[,] { { a, 0 }, { 0, b } }, 0);
        Assert.Equal(0.5, w[0]);
        Assert.Equal(0.5, w[1]);
    }

    [Fact]
    public void The_stopping_gap_is_relative_to_the_largest_derivative()
    {
        // g₀ = 2, g₁ = 2(1 + 1e-12), √φ = 1: ∇F = gᵢ(ḡ + 1) ≈ (6, 6 + 6e-12) at the start; the gap,
        // 3e-12, is below 1e-12 of the largest derivative, 6e-12, so the start is returned. Going
        // on would reach the vertex (1, 0): F is linear along the simplex, by 3e-12 over it.
        var m = new double[,] { { 4.0, 4.000000000004 }, { 4.000000000004, 4.000000000008001 } };
        Expect.Close([0.5, 0.5], CAGrad.Dual(m, 1), 0);
    }

    [Fact]
    public void A_fixed_coordinate_is_released_only_once_its_face_is_nearly_solved()
    {
        // g₀ = (2, 1), g₁ = (0, 2), g₂ = (−1, −2), √φ = ½: 0 = (2g₀ + 3g₁ + 4g₂)/9 lies in their hull.
        var m = new double[,] { { 5, 2, -4 }, { 2, 4, -4 }, { -4, -4, 5 } };
        const double sqrtPhi = 0.5;
        // Step 1 is blocked at w₀ = 0, which is fixed: w ≈ (0, ⅓, ⅔), g_w = (−⅔, −⅔).
        var one = CAGrad.Dual(m, sqrtPhi, maxIterations: 1);
        Assert.Equal(0, one[0]);
        Expect.Close([0, 1.0 / 3, 2.0 / 3], one, 1e-9);
        // There ∇F = ḡ·gᵢ + √φ·gᵢ·g_w/|g_w| ≈ (−0.0607, −0.0404, 0.0607): the gap is 0.0876 and
        // ∂₀F is the smallest, but the face {1, 2}'s own gap, 0.0674, is more than 0.1 of it: the
        // second iteration is a Newton step on that face, not the release of w₀.
        var two = CAGrad.Dual(m, sqrtPhi, maxIterations: 2);
        Assert.Equal(0, two[0]);
        Assert.True(CAGradDualTests.Objective(m, sqrtPhi, two) < CAGradDualTests.Objective(m, sqrtPhi, one) - 1e-3, $"w = [{string.Join(", ", two)}]");
        // After it the face's gap is 0.0111, below 0.1 of the gap 0.119: the third iteration
        // releases w₀ and moves nothing; the fourth gives w₀ weight.
        Expect.Close(two, CAGrad.Dual(m, sqrtPhi, maxIterations: 3), 0);
        Assert.True(CAGrad.Dual(m, sqrtPhi, maxIterations: 4)[0] > 0.1);
        var solved = CAGrad.Dual(m, sqrtPhi);
        Expect.Close([2.0 / 9, 3.0 / 9, 4.0 / 9], solved, 1e-3);
        Assert.True(Math.Abs(CAGradDualTests.Objective(m, sqrtPhi, solved) - CAGradDualTests.BruteForce(m, sqrtPhi)) <= 1e-8);
    }

    public static TheoryData<string, double[][], double> Gradients() => new()
    {
        // A released coordinate left fixed, or the first of two fixed ones always released.
        { "a face and a third gradient", [[1, 1], [0, 1], [-2, 2]], 0.5 },
        // A last Armijo comparison of equal values (a step that changes F by less than rounding).
        { "three equal of four", [[2, 0], [0, 1], [2, 0], [2, 0]], 0.25 },
        // Backtracking from the blocked step: the first halving is the one accepted.
        { "zero in the hull", [[0, 2], [-1, 0], [1, -1]], 2 },
    };

    [Theory]
    [MemberData(nameof(Gradients))]
    public void The_solution_is_within_1e_8_of_the_brute_force_optimum_for_a_given_radius(string name, double[][] gradients, double sqrtPhi)
    {
        var k = gradients.Length;
        var m = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) m[i, j] = gradients[i].Zip(gradients[j], (a, b) => a * b).Sum();
        }
        var w = CAGrad.Dual(m, sqrtPhi);
        Assert.All(w, wi => Assert.True(wi >= 0, $"{name}: a negative weight"));
        Assert.Equal(1, w.Sum(), 12);
        var best = CAGradDualTests.BruteForce(m, sqrtPhi);
        Assert.True(Math.Abs(CAGradDualTests.Objective(m, sqrtPhi, w) - best) <= 1e-8, $"{name}: F(w) = {CAGradDualTests.Objective(m, sqrtPhi, w)}, brute force {best}");
    }

    [Fact]
    public void Of_two_identical_tasks_the_first_is_blocked()
    {
        // g₀ = g₁ = (2, 2), g₂ = (0, 1), √φ = ½: rows 0 and 1 of the Newton system are equal, and
        // partial pivoting takes the first of equal entries; the first step blocks w₀, not w₁.
        var m = new double[,] { { 8, 8, 2 }, { 8, 8, 2 }, { 2, 2, 1 } };
        var w = CAGrad.Dual(m, 0.5, maxIterations: 1);
        Assert.Equal(0, w[0]);
        Assert.True(w[1] > 0, $"w = [{string.Join(", ", w)}]");
        Expect.Close([0, 0, 1], CAGrad.Dual(m, 0.5), 1e-15);
    }

    [Fact]
    public void A_whole_step_that_ends_at_zero_does_not_fix_the_coordinate()
    {
        // g₀ = (−2, −1), g₁ = g₂ = (1, 2), √φ = 1: the first step, of length 1, brings w₂ to 0
        // exactly; only a step cut short by the boundary fixes its coordinate, so w₂ stays free
        // and the second step gives it weight again (w₁ and w₂ share g₁'s weight).
        var m = new double[,] { { 5, -4, -4 }, { -4, 5, 5 }, { -4, 5, 5 } };
        Assert.Equal(0, CAGrad.Dual(m, 1, maxIterations: 1)[2]);
        var two = CAGrad.Dual(m, 1, maxIterations: 2);
        Assert.True(two[2] > 0.2, $"w = [{string.Join(", ", two)}]");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void The_blocking_coordinate_is_set_to_zero_exactly(int zero)
    {
        // g_zero = 0 and the other (1, 0), √φ = 1: the first step is blocked at w_other = 0,
        // where ½ + step·d rounds to 5.6e-17; it is set to 0, not left at the rounding.
        var m = new double[2, 2];
        m[1 - zero, 1 - zero] = 1;
        var w = CAGrad.Dual(m, 1, maxIterations: 1);
        Assert.Equal(0, w[1 - zero]);
        Assert.Equal(1, w[zero]);
    }

    [Fact]
    public void A_blocked_step_that_does_not_decrease_F_is_halved()
    {
        // g₀ = (−1, 1), g₁ = (2, 1), g₂ = (−2, −2), √φ = 1; ḡ = (−⅓, 0). The Newton step from
        // (⅓, ⅓, ⅓) is blocked at w₀ = 0, at (0, ⅔, ⅓): g_w = (⅔, 0), F = −2/9 + ⅔ = 4/9, the F of
        // the start (ḡ·ḡ + |ḡ| = 1/9 + ⅓), no decrease. Halved: (⅙, ½, ⅓), g_w = (⅙, 0), F = 1/9.
        var m = new double[,] { { 2, -1, 0 }, { -1, 5, -6 }, { 0, -6, 8 } };
        Expect.Close([1.0 / 6, 0.5, 1.0 / 3], CAGrad.Dual(m, 1, maxIterations: 1), 1e-9);
    }

    /// <summary>1e-316·(the Gram matrix of <paramref name="gradients"/>): subnormal entries.</summary>
    private static double[,] Subnormal(int[][] gradients)
    {
        var k = gradients.Length;
        var m = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) m[i, j] = 1e-316 * gradients[i].Zip(gradients[j], (a, b) => a * b).Sum();
        }
        return m;
    }

    [Fact]
    public void A_newton_direction_without_descent_ends_the_solve_when_nothing_can_be_released()
    {
        // Gradients of size 1e-158 (Gram entries 1e-316, subnormal, with 15 significant bits
        // at most): after two steps the Newton direction's slope ∇F·d rounds to 0, not below:
        // no descent, and no fixed coordinate to release, so the solver returns that w.
        var m = Subnormal([[0, -2], [1, 1], [1, 1]]);
        var two = CAGrad.Dual(m, 1, maxIterations: 2);
        Expect.Close(two, CAGrad.Dual(m, 1, maxIterations: 3), 0);
        Expect.Close(two, CAGrad.Dual(m, 1), 0);
    }

    [Fact]
    public void A_failed_newton_step_releases_the_fixed_coordinate_of_smallest_derivative()
    {
        // Gradients (0, −2), (−1, 1), (−2, 0), (2, −1) of size 1e-158: two blocked steps fix w₁
        // and w₀, w₁ is released, then the step on the face {1, 2, 3} fails (subnormal rounding)
        // while ∂₀F is below every free derivative: w₀ is released, and the next step moves w.
        var m = Subnormal([[0, -2], [-1, 1], [-2, 0], [2, -1]]);
        var failed = CAGrad.Dual(m, 1, maxIterations: 5);
        Assert.Equal(0, failed[0]);
        Expect.Close(failed, CAGrad.Dual(m, 1, maxIterations: 6), 0);
        var after = CAGrad.Dual(m, 1, maxIterations: 7);
        Assert.True(after.Zip(failed, (a, b) => Math.Abs(a - b)).Max() > 1e-3, $"w = [{string.Join(", ", after)}]");
        // Its end: g_w = Σ wᵢgᵢ = 0 (to 1e-4), the smallest F, at (1, 4, 0, 2)/7.
        Expect.Close([1.0 / 7, 4.0 / 7, 0, 2.0 / 7], CAGrad.Dual(m, 1), 1e-4);
    }

    [Fact]
    public void Of_two_fixed_tasks_with_one_gradient_the_first_is_released()
    {
        // g₀ = (0, 1), g₁ = g₃ = (1, 1), g₂ = (−3, 3), √φ = 2; ḡ = (−¼, 3/2). Rows 1 and 3 of M
        // are equal, so ∂₁F = ∂₃F bit for bit at every w. The first three steps are blocked and
        // fix w₁, w₃ and w₂, ending at the vertex (1, 0, 0, 0).
        var m = Gram([[0, 1], [1, 1], [-3, 3], [1, 1]]);
        Expect.Close([1, 0, 0, 0], CAGrad.Dual(m, 2, maxIterations: 3), 0);
        // There g_w = g₀, n = 1 (to 1e-8): ∇F = gᵢ·ḡ + 2gᵢ·g₀ = (3.5, 3.25, 11.25, 3.25). The gap
        // is ¼, the face {0}'s own gap 0, and ∂₁F = ∂₃F < ∂₀F: the fourth iteration releases the
        // first of the two, w₁. On the face {0, 1}, H = 2(M − MwMwᵀ) = diag(0, 2), so the Newton
        // step t(−1, 1) has t = ¼/2 = ⅛.
        Expect.Close([1, 0, 0, 0], CAGrad.Dual(m, 2, maxIterations: 4), 0);
        Expect.Close([7.0 / 8, 1.0 / 8, 0, 0], CAGrad.Dual(m, 2, maxIterations: 5), 1e-8);
        // The optimum on w = (1 − u, u, 0, 0): g_w = (u, 1), F = −u/4 + 3/2 + 2√(u² + 1),
        // F' = 0 at 8u = √(u² + 1), u = 1/√63. Releasing w₃ would give the same F with w₃ = u.
        var w = CAGrad.Dual(m, 2);
        Expect.Close([1 - 1 / Math.Sqrt(63), 1 / Math.Sqrt(63), 0, 0], w, 1e-8);
        Assert.Equal(0, w[3]);
    }

    /// <summary>The Gram matrix of <paramref name="gradients"/>, times <paramref name="scale"/>.</summary>
    private static double[,] Gram(int[][] gradients, double scale = 1)
    {
        var k = gradients.Length;
        var m = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) m[i, j] = scale * gradients[i].Zip(gradients[j], (a, b) => a * b).Sum();
        }
        return m;
    }

    [Fact]
    public void A_failed_step_whose_fixed_coordinate_ties_the_smallest_free_derivative_ends_the_solve()
    {
        // Gradients (−2, −1), (−2, 2), (2, −1), (−2, 2), (1, −2) of size 1e-158 (Gram entries
        // subnormal): the second step is blocked at w₀ = 0, which is fixed; the third Newton step
        // fails at working precision, and ∂₀F, rounded to the subnormal grid, equals the smallest
        // free derivative. A fixed coordinate is released only when its derivative is below every
        // free one, so the solver stops there; releasing w₀ on the tie would go on to another w
        // of about the same F.
        var m = Gram([[-2, -1], [-2, 2], [2, -1], [-2, 2], [1, -2]], 1e-316);
        var two = CAGrad.Dual(m, 1, maxIterations: 2);
        Assert.Equal(0, two[0]);
        Expect.Close(two, CAGrad.Dual(m, 1, maxIterations: 3), 0);
        Expect.Close(two, CAGrad.Dual(m, 1), 0);
        // At this size F = const + 1e-316·(g_w·ḡ + 5000·|g_w|²) (√(1e-8 + x) = 1e-4 + x/2e-4):
        // the optimum has g_w = −ḡ/10⁴, next to 0; the point is within 2e-3 of (0, 3, 4, 3, 4)/14,
        // where g_w = 0.
        Expect.Close([0, 3.0 / 14, 4.0 / 14, 3.0 / 14, 4.0 / 14], two, 2e-3);
    }

    [Fact]
    public void A_zero_pivot_releases_the_fixed_coordinate_of_smallest_derivative()
    {
        // Gradients (−1, 1), (1, 1), (1, 1), (2, 2), (−2, 1) of size 1e-158 and √φ = 0.01: the
        // Hessian's diagonal, (√φ/n)(Mᵢᵢ − (Mw)ᵢ²/n²) with n ≈ 1e-4, is below 2.5e-314, so
        // δ = 1e-10 of it underflows to 0; on the face {0, 1, 2} rows 1 and 2 of H are equal and
        // the elimination meets a zero pivot at the third iteration. There w₃ and w₄ are fixed,
        // and ∂₄F is below every free derivative: w₄ is released, and the next step moves w.
        var m = Gram([[-1, 1], [1, 1], [1, 1], [2, 2], [-2, 1]], 1e-316);
        var two = CAGrad.Dual(m, 0.01, maxIterations: 2);
        Assert.Equal(0, two[3]);
        Assert.Equal(0, two[4]);
        Expect.Close(two, CAGrad.Dual(m, 0.01, maxIterations: 3), 0);
        var four = CAGrad.Dual(m, 0.01, maxIterations: 4);
        Assert.True(four[4] > 0.2, $"w = [{string.Join(", ", four)}]");
        // F = const + 1e-316·(g_w·ḡ + 50|g_w|²), ḡ = (0.2, 1.2): on g_w = (1 − 3u, 1) (weight u on
        // g₄, the rest on g₁) F' = 0 at 1 − 3u = −0.002, u = 0.334.
        Expect.Close([0, 0.666, 0, 0, 0.334], CAGrad.Dual(m, 0.01), 1e-6);
    }

    [Fact]
    public void A_line_search_with_no_trial_left_returns_w_unchanged()
    {
        // The blocked step of A_blocked_step_that_does_not_decrease_F_is_halved does not decrease
        // F; its half does. With no trial, or one, the line search fails, nothing is fixed or can
        // be released, and the solver returns the start; with two, the half step is taken.
        var m = new double[,] { { 2, -1, 0 }, { -1, 5, -6 }, { 0, -6, 8 } };
        Expect.Close([1.0 / 3, 1.0 / 3, 1.0 / 3], CAGrad.Dual(m, 1, halvings: 0), 0);
        Expect.Close([1.0 / 3, 1.0 / 3, 1.0 / 3], CAGrad.Dual(m, 1, halvings: 1), 0);
        Expect.Close([1.0 / 6, 0.5, 1.0 / 3], CAGrad.Dual(m, 1, maxIterations: 1, halvings: 2), 1e-9);
        // With no trial even a step that would be accepted at once is not taken.
        Expect.Close([0.5, 0.5], CAGrad.Dual(Obtuse, 1, halvings: 0), 0);
    }

    [Fact]
    public void A_line_search_that_fails_releases_a_fixed_coordinate_from_an_unchanged_state()
    {
        // Gradients (−3, 2, 0), (−1, −3, 1), (2, 2, −1), (−2, 3, 0), √φ = 2, at most 4 trials per
        // line search: the first step is blocked at w₀ = 0, fixed; the second is a Newton step on
        // the face {1, 2, 3}; the third's 4 trials all fail. w is unchanged, and ∂₀F is below every
        // free derivative, so w₀ is released; the fourth step, computed from M·w restored (not
        // from M at the last trial), gives it weight. The fifth fails with nothing fixed: the end.
        var m = Gram([[-3, 2, 0], [-1, -3, 1], [2, 2, -1], [-2, 3, 0]]);
        var two = CAGrad.Dual(m, 2, maxIterations: 2, halvings: 4);
        Assert.Equal(0, two[0]);
        Expect.Close(two, CAGrad.Dual(m, 2, maxIterations: 3, halvings: 4), 0);
        var four = CAGrad.Dual(m, 2, maxIterations: 4, halvings: 4);
        Assert.True(four[0] > 0.05, $"w = [{string.Join(", ", four)}]");
        Assert.True(CAGradDualTests.Objective(m, 2, four) < CAGradDualTests.Objective(m, 2, two), $"w = [{string.Join(", ", four)}]");
        Expect.Close(four, CAGrad.Dual(m, 2, halvings: 4), 0);
    }
}
