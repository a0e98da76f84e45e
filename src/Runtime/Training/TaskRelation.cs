using Mtl.Torch;

namespace Mtl.Training;

/// <summary>
/// Multi-task relationship learning (Zhang &amp; Yeung, UAI 2010), a .mtl file's
/// <c>regularize mtrl(λ, omega: ...)</c>: adds (λ/2)·tr(W Ω⁻¹ Wᵀ) to the objective, where
/// W = [w₁ … w_T] holds the weight of each head's last linear layer, flattened, as a column.
/// With <see cref="Omega"/> null Ω is learned: it starts at I/T and after each epoch takes the
/// closed form Ω = (WᵀW)^½ / tr((WᵀW)^½), so heads that agree pull each other together; a
/// declared Ω (T×T, symmetric, positive definite) stays as given.
/// </summary>
/// <param name="Heads">One module per task, in task order; the last <c>Linear</c> in each gives its column of W.</param>
/// <param name="Lambda">λ (positive).</param>
/// <param name="Omega">The declared task covariance, rows in the order of <paramref name="Heads"/>; null to learn it.</param>
public sealed record TaskRelation(IReadOnlyList<torch.nn.Module> Heads, double Lambda, IReadOnlyList<IReadOnlyList<double>>? Omega = null);
