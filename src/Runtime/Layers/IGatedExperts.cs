using Mtl.Torch;

namespace Mtl.Layers;

/// <summary>
/// A layer whose tasks mix experts through softmax gates (<see cref="MixtureOfExperts"/>,
/// <see cref="ProgressiveLayeredExtraction"/>): the trainer takes each task's mean gate weight per
/// expert once per epoch for the training log and report.
/// </summary>
public interface IGatedExperts
{
    /// <summary>
    /// The mean gate weight per task and expert over the examples forward saw in training mode
    /// since the last call (each task's weights sum to 1), and starts counting afresh; empty when
    /// it saw none.
    /// </summary>
    IReadOnlyDictionary<string, double[]> TakeGateMeans();
}

/// <summary>Sums each task's gate weights per expert over the examples seen, for <see cref="IGatedExperts.TakeGateMeans"/>.</summary>
internal sealed class GateTally
{
    private readonly Dictionary<string, double[]> _sums = new(StringComparer.Ordinal);
    private long _examples;

    /// <param name="weights">Each task's gate weights, <c>[N, experts]</c>.</param>
    public void Add(IReadOnlyDictionary<string, Tensor> weights)
    {
        using var scope = torch.NewDisposeScope();
        long examples = 0;
        foreach (var (task, gate) in weights)
        {
            examples = gate.size(0);
            var sums = gate.detach().sum(0).to(ScalarType.Float64, Device.CPU).data<double>();
            if (!_sums.TryGetValue(task, out var total)) _sums[task] = total = new double[sums.Length];
            for (var i = 0; i < sums.Length; i++) total[i] += sums[i];
        }
        _examples += examples;
    }

    public IReadOnlyDictionary<string, double[]> Take()
    {
        var means = _examples == 0
            ? new Dictionary<string, double[]>(StringComparer.Ordinal)
            : _sums.ToDictionary(p => p.Key, p => p.Value.Select(v => v / _examples).ToArray(), StringComparer.Ordinal);
        _sums.Clear();
        _examples = 0;
        return means;
    }
}
