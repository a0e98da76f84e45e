using System.Globalization;

namespace Mtl.Catalog;

/// <summary>
/// Multi-task relationship learning (Zhang &amp; Yeung, UAI 2010), <c>regularize mtrl(λ, omega: ...)</c>:
/// the term (λ/2)·tr(W Ω⁻¹ Wᵀ) over W = [w₁ … w_T], each task head's last-layer weight flattened
/// into a column, with the task covariance Ω declared in the file or learned. The names, the
/// default and the checks of a declared Ω, shared by the language and the runtime.
/// </summary>
public static class RelationCatalog
{
    public const string Name = "mtrl";
    public const string Lambda = "lambda";
    public const string Omega = "omega";

    /// <summary>The word of <c>omega: learned</c> (the default): Ω starts at I/T and is updated in closed form after each epoch.</summary>
    public const string Learned = "learned";

    /// <summary>
    /// Added to every eigenvalue of WᵀW (clamped at 0) before its square root, so the learned Ω
    /// stays positive definite, and Ω⁻¹ finite, when heads are collinear or zero.
    /// </summary>
    public const double Ridge = 1e-8;

    /// <summary>How far apart Ωᵢⱼ and Ωⱼᵢ may be for a declared Ω to count as symmetric.</summary>
    public const double SymmetryTolerance = 1e-9;

    /// <summary>The options a binder checks; <c>omega</c> (a word or a matrix) is bound on its own.</summary>
    public static SettingSpec Spec { get; } = new(Name, OptionSpec.RequiredNum(Lambda, ValueRange.Positive));

    /// <summary>Why <paramref name="omega"/> is not a <paramref name="tasks"/>×<paramref name="tasks"/> matrix, or null.</summary>
    public static string? SizeProblem(IReadOnlyList<IReadOnlyList<double>> omega, int tasks)
    {
        if (omega.Count != tasks) return $"has {omega.Count} rows, but the model has {tasks} tasks, so it must be {tasks}×{tasks}";
        for (var i = 0; i < omega.Count; i++)
        {
            if (omega[i].Count != tasks) return $"row {i + 1} has {omega[i].Count} values, but it must have {tasks} (one per task)";
        }
        return null;
    }

    /// <summary>Why a square <paramref name="omega"/> is not symmetric (the first pair that differs), or null.</summary>
    public static string? SymmetryProblem(IReadOnlyList<IReadOnlyList<double>> omega)
    {
        for (var i = 0; i < omega.Count; i++)
        {
            for (var j = i + 1; j < omega.Count; j++)
            {
                if (Math.Abs(omega[i][j] - omega[j][i]) > SymmetryTolerance)
                {
                    return $"is not symmetric: row {i + 1}, column {j + 1} is {Format(omega[i][j])} but row {j + 1}, column {i + 1} is {Format(omega[j][i])}";
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Why a square symmetric <paramref name="omega"/> is not positive definite (Cholesky meets a
    /// pivot that is not positive, or a value is not finite), or null.
    /// </summary>
    public static string? DefinitenessProblem(IReadOnlyList<IReadOnlyList<double>> omega)
    {
        var n = omega.Count;
        if (omega.Any(row => row.Any(v => double.IsNaN(v) || double.IsInfinity(v)))) return "has a value that is not finite";
        var l = new double[n, n];
        for (var j = 0; j < n; j++)
        {
            var pivot = omega[j][j];
            for (var k = 0; k < j; k++) pivot -= l[j, k] * l[j, k];
            if (!(pivot > 0))
            {
                return $"is not positive definite (the leading {j + 1}×{j + 1} block has determinant ≤ 0), so it has no inverse covariance";
            }
            l[j, j] = Math.Sqrt(pivot);
            for (var i = j + 1; i < n; i++)
            {
                var sum = omega[i][j];
                for (var k = 0; k < j; k++) sum -= l[i, k] * l[j, k];
                l[i, j] = sum / l[j, j];
            }
        }
        return null;
    }

    /// <summary>The first problem of a declared Ω, size, then symmetry, then definiteness; null when it can be used.</summary>
    public static string? Problem(IReadOnlyList<IReadOnlyList<double>> omega, int tasks) =>
        SizeProblem(omega, tasks) ?? SymmetryProblem(omega) ?? DefinitenessProblem(omega);

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
