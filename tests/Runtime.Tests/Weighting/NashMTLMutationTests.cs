using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// Nash-MTL's damped Newton (<see cref="NashMTL.Bargaining"/>) on matrices whose path is worked
/// out by hand: the stopping test's scale and a first Newton step that the Armijo rule halves.
/// </summary>
public sealed class NashMTLMutationTests
{
    /// <summary>
    /// Task 0's unit gradient has cosine ρ with each of four orthonormal ones (a Gram matrix, as 4ρ² &lt; 1): M = [[1, ρ1ᵀ], [ρ1, I₄]].
    /// </summary>
    private static double[,] Star(double rho)
    {
        var m = new double[5, 5];
        for (var i = 0; i < 5; i++) m[i, i] = 1;
        for (var j = 1; j < 5; j++) m[0, j] = m[j, 0] = rho;
        return m;
    }

    private static double Phi(double[,] m, double[] a) => 0.5 * SmallMath.Quadratic(m, a) - a.Sum(Math.Log);

    [Fact]
    public void The_solution_scales_as_one_over_the_root_of_the_matrix_scale()
    {
        // M = c·[[1, ½], [½, 1]]: by symmetry α = (a, a) with c·1.5·a = 1/a, a = √(2/3)/√c. The
        // stopping test |rᵢ|·αᵢ is the relative residual, the same at every scale; from the start
        // αᵢ = 1/√c it is ½ at every scale, so the solver goes on to the solution.
        foreach (var c in new[] { 1e-20, 1.0, 1e20 })
        {
            var alpha = NashMTL.Bargaining(new double[,] { { c, c / 2 }, { c / 2, c } });
            var a = Math.Sqrt(2.0 / 3) / Math.Sqrt(c);
            Expect.Close([a, a], alpha, 1e-13, $"scale {c}");
        }
    }

    [Theory]
    [InlineData(0.45)]     // the full step raises φ
    [InlineData(0.449365)] // the full step lowers φ, by less than 10⁻⁴·|rᵀd| (by more than 10⁻⁴/|rᵀd|)
    public void A_full_newton_step_that_fails_the_armijo_test_is_halved(double rho)
    {
        // From the start α = 1 (Mᵢᵢ = 1) the residual is r = M1 − 1 and the Newton step d solves
        // (M + I)d = −r, so the full step's point y = 1 + d solves (M + I)y = 2:
        // y₀ = (1 − 2ρ)/(1 − ρ²), y₁..₄ = 1 − ρy₀/2. It is positive, but task 0 falls to ~1/8 of
        // its start and the log barrier makes φ(y) > φ(1) + 10⁻⁴·rᵀd: the step is halved once,
        // to (1 + y)/2, which passes. rᵀd ≈ −1.62.
        var m = Star(rho);
        var y0 = (1 - 2 * rho) / (1 - rho * rho);
        var yb = 1 - rho * y0 / 2;
        double[] y = [y0, yb, yb, yb, yb];
        double[] ones = [1, 1, 1, 1, 1];
        var slope = (4 * rho) * (y0 - 1) + 4 * rho * (yb - 1);  // rᵀd, r = (4ρ, ρ, ρ, ρ, ρ)
        Assert.True(y0 > 0);
        Assert.True(Phi(m, y) > Phi(m, ones) + 1e-4 * slope);  // the full step fails the test
        if (rho < 0.4494)
        {
            // … though φ decreases, by more than 10⁻⁴/|rᵀd|
            Assert.True(Phi(m, y) < Phi(m, ones) + 1e-4 / slope);
        }
        var half = y.Select(v => (1 + v) / 2).ToArray();
        Assert.True(Phi(m, half) <= Phi(m, ones) + 0.5e-4 * slope);
        Expect.Close(half, NashMTL.Bargaining(m, maxIterations: 1), 1e-14);

        // and the solver still ends at Mα = 1/α
        var alpha = NashMTL.Bargaining(m);
        var ma = SmallMath.Multiply(m, alpha);
        for (var i = 0; i < 5; i++) Expect.Close(1 / alpha[i], ma[i], 1e-12, $"(Mα)[{i}]");
    }

    [Fact]
    public void A_halved_step_needs_half_the_full_steps_sufficient_decrease()
    {
        // The same star with twelve orthonormal gradients: y₀ = 2(2 − 12ρ)/(4 − 12ρ²) < 0, so the
        // full step leaves the positive orthant. Halved, task 0 is at (1 + y₀)/2 ≈ 0.022 and
        // φ((1 + y)/2) lies between φ(1) + 2·10⁻⁴·rᵀd and φ(1) + ½·10⁻⁴·rᵀd: the Armijo test at
        // t = ½ asks for ½·10⁻⁴·|rᵀd|, so (1 + y)/2 is accepted.
        const double rho = 0.286642;
        var m = new double[13, 13];
        for (var i = 0; i < 13; i++) m[i, i] = 1;
        for (var j = 1; j < 13; j++) m[0, j] = m[j, 0] = rho;
        var y0 = 2 * (2 - 12 * rho) / (4 - 12 * rho * rho);
        var yb = 1 - rho * y0 / 2;
        var y = new[] { y0 }.Concat(Enumerable.Repeat(yb, 12)).ToArray();
        var ones = Enumerable.Repeat(1.0, 13).ToArray();
        var slope = 12 * rho * (y0 - 1) + 12 * rho * (yb - 1);  // rᵀd, r = (12ρ, ρ, …, ρ)
        var half = y.Select(v => (1 + v) / 2).ToArray();
        Assert.True(y0 < 0);
        Assert.True(Phi(m, half) <= Phi(m, ones) + 0.5e-4 * slope);
        Assert.True(Phi(m, half) > Phi(m, ones) + 2e-4 * slope);
        Expect.Close(half, NashMTL.Bargaining(m, maxIterations: 1), 1e-14);
    }
}
