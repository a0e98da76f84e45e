using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;

namespace Mtl.Training;

/// <summary>
/// The term of <see cref="TaskRelation"/>: (λ/2)·tr(W Ω⁻¹ Wᵀ) = (λ/2)·Σᵢⱼ (Ω⁻¹)ᵢⱼ⟨wᵢ, wⱼ⟩ over the
/// heads' last linear weights wᵢ, whose gradient for wᵢ is λ·Σⱼ (Ω⁻¹)ᵢⱼ wⱼ. Ω is kept in doubles;
/// a learned one is updated by <see cref="Update"/> at each epoch's end, and Ω⁻¹ is always computed
/// from Ω the same way, so a run resumed from the Ω of its log continues exactly.
/// </summary>
internal sealed class RelationPenalty
{
    private readonly IReadOnlyList<Parameter> _weights;
    private readonly double _lambda;
    private double[,] _omega = new double[0, 0];
    private double[,] _inverse = new double[0, 0];

    /// <exception cref="ArgumentException">A head has no linear layer, the last layers differ in size, or a declared Ω is not a T×T symmetric positive-definite matrix.</exception>
    public RelationPenalty(TaskRelation relation)
    {
        ArgumentNullException.ThrowIfNull(relation);
        if (!(relation.Lambda > 0) || double.IsInfinity(relation.Lambda)) throw new ArgumentException($"the λ of {RelationCatalog.Name} must be positive and finite; found {relation.Lambda}", nameof(relation));
        if (relation.Heads.Count == 0) throw new ArgumentException($"{RelationCatalog.Name} needs at least one task head", nameof(relation));
        _lambda = relation.Lambda;
        _weights = relation.Heads.Select(LastWeight).ToList();
        var sizes = _weights.Select(w => w.shape).ToList();
        if (sizes.Any(s => !s.SequenceEqual(sizes[0])))
        {
            var described = string.Join(", ", relation.Heads.Zip(sizes, (h, s) => $"{h.GetName} {Tensor.FormatShape(s)}"));
            throw new ArgumentException($"{RelationCatalog.Name} stacks each head's last linear weight as a column of W, so they must have one shape; found {described}", nameof(relation));
        }
        Learned = relation.Omega is null;
        if (relation.Omega is { } omega)
        {
            if (RelationCatalog.Problem(omega, relation.Heads.Count) is { } problem) throw new ArgumentException($"the Ω of {RelationCatalog.Name} {problem}", nameof(relation));
            Set(ToMatrix(omega));
        }
        else
        {
            Set(Initial(relation.Heads.Count));
        }
    }

    /// <summary>Whether Ω is learned (updated at each epoch's end) rather than declared.</summary>
    public bool Learned { get; }

    /// <summary>The current Ω, rows in task order.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Omega => Rows(_omega);

    /// <summary>The current Ω⁻¹ the term uses, rows in task order.</summary>
    public IReadOnlyList<IReadOnlyList<double>> Inverse => Rows(_inverse);

    private static Parameter LastWeight(torch.nn.Module head) =>
        head.modules().OfType<Linear>().LastOrDefault()?.weight
        ?? throw new ArgumentException($"{RelationCatalog.Name} reads the last linear layer of each task head, and {head.GetName} has none", nameof(head));

    /// <summary>The term in the caller's dispose scope; null when no head's weight trains (all are frozen).</summary>
    public Tensor? Compute()
    {
        if (!_weights.Any(w => w.requires_grad)) return null;
        Tensor? sum = null;
        for (var i = 0; i < _weights.Count; i++)
        {
            for (var j = i; j < _weights.Count; j++)
            {
                var coefficient = (i == j ? 1 : 2) * _inverse[i, j] * _lambda / 2;
                if (coefficient == 0) continue;
                var term = (_weights[i] * _weights[j]).sum() * coefficient;
                sum = sum is null ? term : sum + term;
            }
        }
        return sum;
    }

    /// <summary>The closed-form step for a learned Ω with W fixed: Ω = (WᵀW)^½ / tr((WᵀW)^½). A declared Ω stays.</summary>
    public void Update()
    {
        if (!Learned) return;
        Set(ClosedForm(Gram()));
    }

    /// <summary>
    /// Why Ω cannot be taken from <paramref name="history"/> (a checkpoint's), or null: a learned Ω
    /// needs the last epoch's <c>omega</c>, a valid T×T covariance. Checked before anything is loaded.
    /// </summary>
    public string? Problem(IReadOnlyList<EpochRecord> history)
    {
        if (!Learned || history.Count == 0) return null;
        if (history[^1].Omega is not { } omega) return $"the history's last epoch has no '{RelationCatalog.Omega}': it was not trained with {RelationCatalog.Name}, and this trainer learns Ω";
        return RelationCatalog.Problem(omega, _weights.Count) is { } problem ? $"the '{RelationCatalog.Omega}' of the history's last epoch {problem}" : null;
    }

    /// <summary>After a checkpoint is loaded (and <see cref="Problem"/> found nothing wrong): Ω of the last epoch in <paramref name="history"/>, or the initial one when there is none.</summary>
    public void Restore(IReadOnlyList<EpochRecord> history)
    {
        if (!Learned) return;
        if (Problem(history) is { } problem) throw new InvalidOperationException(problem);
        Set(history.Count == 0 ? Initial(_weights.Count) : ToMatrix(history[^1].Omega!));
    }

    /// <summary>WᵀW in doubles: ⟨wᵢ, wⱼ⟩ for every pair of heads.</summary>
    private double[,] Gram()
    {
        var columns = new List<double[]>();
        foreach (var weight in _weights)
        {
            using var scope = torch.NewDisposeScope();
            columns.Add(weight.detach().cpu().@double().flatten().data<double>());
        }
        var n = columns.Count;
        var gram = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                double dot = 0;
                for (var k = 0; k < columns[i].Length; k++) dot += columns[i][k] * columns[j][k];
                gram[i, j] = gram[j, i] = dot;
            }
        }
        return gram;
    }

    /// <summary>
    /// Ω = (G)^½ / tr(G^½) for the Gram matrix G = WᵀW, through G's eigen-decomposition; each
    /// eigenvalue is clamped at 0 and raised by <see cref="RelationCatalog.Ridge"/> before its root,
    /// so Ω is positive definite even when heads are collinear or zero.
    /// </summary>
    internal static double[,] ClosedForm(double[,] gram)
    {
        var (values, vectors) = SmallMath.SymmetricEigen(gram);
        var roots = values.Select(v => Math.Sqrt(Math.Max(v, 0) + RelationCatalog.Ridge)).ToArray();
        var trace = roots.Sum();
        return SmallMath.FromEigen(roots.Select(r => r / trace).ToArray(), vectors);
    }

    /// <summary>I/T: the paper's start, every task unrelated and of equal variance.</summary>
    private static double[,] Initial(int tasks)
    {
        var omega = new double[tasks, tasks];
        for (var i = 0; i < tasks; i++) omega[i, i] = 1.0 / tasks;
        return omega;
    }

    private void Set(double[,] omega)
    {
        var (values, vectors) = SmallMath.SymmetricEigen(omega);
        _omega = omega;
        _inverse = SmallMath.FromEigen(values.Select(v => 1 / v).ToArray(), vectors);
    }

    private static double[,] ToMatrix(IReadOnlyList<IReadOnlyList<double>> rows)
    {
        var n = rows.Count;
        var matrix = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++) matrix[i, j] = rows[i][j];
        }
        return matrix;
    }

    private static IReadOnlyList<IReadOnlyList<double>> Rows(double[,] matrix) =>
        Enumerable.Range(0, matrix.GetLength(0)).Select(i => (IReadOnlyList<double>)Enumerable.Range(0, matrix.GetLength(1)).Select(j => matrix[i, j]).ToArray()).ToArray();
}
