namespace Mtl.Dsl.Model;

/// <summary>
/// <c>regularize mtrl(λ, omega: ...)</c>: multi-task relationship learning, (λ/2)·tr(W Ω⁻¹ Wᵀ)
/// over the task heads' last-layer weights (see <see cref="Catalog.RelationCatalog"/>).
/// </summary>
/// <param name="Lambda">λ of the term.</param>
/// <param name="Omega">The declared T×T task covariance, rows in task order; null when Ω is learned.</param>
public sealed record TaskRelation(double Lambda, EquatableArray<EquatableArray<double>>? Omega);
