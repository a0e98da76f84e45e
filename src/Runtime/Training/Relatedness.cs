namespace Mtl.Training;

/// <summary>
/// How related the tasks were during one epoch, measured on the gradients of the shared
/// parameters at the sampled steps (every <see cref="TrainerOptions.Relatedness"/>th optimizer
/// step) and averaged over them. With gᵢ = ∇θ Lᵢ, the gradient of task i's unweighted loss with
/// respect to the shared parameters θ, and d the shared gradient the weighting method applied
/// for that batch:
/// <list type="bullet">
/// <item><see cref="Cosine"/>[a][b] = gₐ·g_b / (‖gₐ‖‖g_b‖), for each pair a before b in task
/// order; negative: the tasks pull the shared parameters apart (conflict).</item>
/// <item><see cref="NormRatio"/>[a][b] = ‖gₐ‖ / ‖g_b‖, same pairs.</item>
/// <item><see cref="Share"/>[i] = wᵢ gᵢ·d / ‖d‖², with wᵢ the task's reported weight: the length
/// of wᵢgᵢ's projection onto d, as a fraction of d. For a method whose update is the linear
/// combination d = Σ wᵢgᵢ the shares sum to 1; for one that reports no weight (the
/// gradient-surgery methods: NaN) the share is absent.</item>
/// </list>
/// A pair (or task) leaves out the samples where one of its tasks had no loss (no labelled
/// example in the batch) or a zero gradient; <see cref="Samples"/> counts the sampled batches.
/// </summary>
public sealed record TaskRelatedness(
    int Samples,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Cosine,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> NormRatio,
    IReadOnlyDictionary<string, double> Share)
{
    /// <summary>The mean cosine of two tasks in either order (1 for a task with itself); NaN where not measured.</summary>
    public double CosineOf(string a, string b) => a == b ? 1 : Lookup(Cosine, a, b) is { } v ? v : Lookup(Cosine, b, a) ?? double.NaN;

    private static double? Lookup(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> pairs, string a, string b) =>
        pairs.TryGetValue(a, out var row) && row.TryGetValue(b, out var v) ? v : null;
}
