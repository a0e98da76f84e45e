using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// Measures <see cref="TaskRelatedness"/> during training without changing it. At a sampled step
/// <see cref="Before"/> takes each task's gradient of the shared parameters with extra backward
/// passes (<c>autograd.grad</c> with the graph kept: no <c>.grad</c> is touched, no generator is
/// drawn) and notes the shared <c>.grad</c>; <see cref="After"/>, once the weighting method has
/// backpropagated, takes what it added to the shared <c>.grad</c> as the applied gradient d. The
/// step's update is therefore the same with and without the probe. Sums are kept per epoch and
/// <see cref="TakeEpoch"/> returns their means.
/// </summary>
internal sealed class RelatednessProbe
{
    private readonly int _every;
    private readonly IReadOnlyList<string> _names;
    private readonly double[,] _cosine, _ratio;
    private readonly int[,] _pairs;
    private readonly double[] _share;
    private readonly int[] _shares;
    private int _samples;
    // Between Before and After of one sampled batch (tensors of the step's dispose scope).
    private Tensor? _rows, _before;
    private bool[] _present = [];

    public RelatednessProbe(int every, IReadOnlyList<string> names)
    {
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), every, "relatedness must sample every 1 or more steps");
        _every = every;
        _names = names;
        var k = names.Count;
        (_cosine, _ratio, _pairs, _share, _shares) = (new double[k, k], new double[k, k], new int[k, k], new double[k], new int[k]);
    }

    /// <summary>Whether the batch of optimizer step <paramref name="step"/> (counted from 0) is sampled: every Nth, the first included.</summary>
    public bool Samples(long step) => step % _every == 0;

    /// <summary>Each present task's gradient of <paramref name="shared"/>, from its unweighted loss; the graph is kept for the method's own pass.</summary>
    public void Before(IReadOnlyList<Tensor?> losses, IReadOnlyList<Parameter> shared)
    {
        _rows = _before = null;
        if (shared.Count == 0) return;
        _present = losses.Select(l => l is not null).ToArray();
        var rows = new Tensor[losses.Count];
        for (var i = 0; i < losses.Count; i++)
        {
            rows[i] = losses[i] is { } loss && loss.requires_grad
                ? TaskGradients.Flatten(autograd.grad(loss, shared, retain_graph: true, allow_unused: true), shared).detach().to(float64)
                : Flat(shared.Select(_ => (Tensor?)null).ToArray(), shared);
        }
        _rows = stack(rows);
        _before = Flat(shared.Select(p => p.grad).ToArray(), shared);
    }

    /// <summary>
    /// Adds the sample: d is what the method added to the shared <c>.grad</c> since
    /// <see cref="Before"/>, times <paramref name="accumulate"/> (the losses it saw were divided by it).
    /// </summary>
    public void After(IReadOnlyList<double> weights, IReadOnlyList<Parameter> shared, int accumulate)
    {
        if (_rows is not { } rows || _before is not { } before) return;
        var applied = (Flat(shared.Select(p => p.grad).ToArray(), shared) - before) * (double)accumulate;
        Add(Values(rows.mm(rows.t())), Values(rows.mm(applied.unsqueeze(1)).squeeze(1)), applied.dot(applied).item<double>(), _present, weights);
        _rows = _before = null;
    }

    /// <summary>
    /// One sample from its numbers: <paramref name="gram"/> gᵢ·gⱼ (row-major, k×k),
    /// <paramref name="toApplied"/> gᵢ·d and <paramref name="appliedSquared"/> ‖d‖².
    /// </summary>
    internal void Add(double[] gram, double[] toApplied, double appliedSquared, IReadOnlyList<bool> present, IReadOnlyList<double> weights)
    {
        var k = _names.Count;
        _samples++;
        for (var a = 0; a < k; a++)
        {
            if (!present[a]) continue;
            var na = Math.Sqrt(gram[a * k + a]);
            for (var b = a + 1; b < k; b++)
            {
                var nb = Math.Sqrt(gram[b * k + b]);
                if (!present[b] || na == 0 || nb == 0) continue;
                _cosine[a, b] += gram[a * k + b] / (na * nb);
                _ratio[a, b] += na / nb;
                _pairs[a, b]++;
            }
            if (appliedSquared > 0 && a < weights.Count && double.IsFinite(weights[a]))
            {
                _share[a] += weights[a] * toApplied[a] / appliedSquared;
                _shares[a]++;
            }
        }
    }

    /// <summary>The epoch's means (null when no batch was sampled), and a fresh start for the next epoch.</summary>
    public TaskRelatedness? TakeEpoch()
    {
        if (_samples == 0) return null;
        var k = _names.Count;
        var cosine = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        var ratio = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        var share = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var a = 0; a < k; a++)
        {
            var cos = new Dictionary<string, double>(StringComparer.Ordinal);
            var rat = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var b = a + 1; b < k; b++)
            {
                if (_pairs[a, b] == 0) continue;
                cos[_names[b]] = _cosine[a, b] / _pairs[a, b];
                rat[_names[b]] = _ratio[a, b] / _pairs[a, b];
            }
            if (cos.Count > 0) (cosine[_names[a]], ratio[_names[a]]) = (cos, rat);
            if (_shares[a] > 0) share[_names[a]] = _share[a] / _shares[a];
        }
        var result = new TaskRelatedness(_samples, cosine, ratio, share);
        Array.Clear(_cosine);
        Array.Clear(_ratio);
        Array.Clear(_pairs);
        Array.Clear(_share);
        Array.Clear(_shares);
        _samples = 0;
        return result;
    }

    private static Tensor Flat(Tensor?[] grads, IReadOnlyList<Parameter> shared) => TaskGradients.Flatten(grads, shared).detach().to(float64).clone();

    private static double[] Values(Tensor t) => t.contiguous().data<double>().ToArray();
}
