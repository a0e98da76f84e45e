using Mtl.Torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// Dynamic Weight Average (Liu, Johns and Davison, "End-to-End Multi-Task Learning with
/// Attention", CVPR 2019), its weighting rule:
/// </summary>
/// <remarks>
/// wᵢ(t) = K·exp(rᵢ(t−1)/T) / Σⱼ exp(rⱼ(t−1)/T), with rᵢ(t−1) = Lᵢ(t−1)/Lᵢ(t−2) the ratio of
/// the task's mean losses over the last two epochs (reported by <see cref="EndEpoch"/>) and T the
/// temperature (2 by default, the paper's value). wᵢ = 1 until two epochs have ended. The weights are held for a whole epoch and
/// multiply the fixed-weighted losses. A task whose mean loss over an epoch is not a positive
/// number (it had no labels) keeps ratio 1.
/// </remarks>
public sealed class DynamicWeightAverage : LossWeighting
{
    private readonly double _temperature;
    private readonly double[] _previous;    // Lᵢ(t−1)
    private readonly double[] _beforeThat;  // Lᵢ(t−2)
    private int _epochsSeen;
    private double[] _current;

    public DynamicWeightAverage(IReadOnlyList<double> fixedWeights, double temperature = 2.0) : base("dwa", fixedWeights)
    {
        _temperature = CheckOption("dwa", "temperature", temperature, nameof(temperature));
        _previous = new double[fixedWeights.Count];
        _beforeThat = new double[fixedWeights.Count];
        _current = Enumerable.Repeat(1.0, fixedWeights.Count).ToArray();
    }

    /// <summary>T, the temperature of the softmax over the loss ratios.</summary>
    public double Temperature => _temperature;

    /// <summary>The weights wᵢ(t) in force for the current epoch.</summary>
    public IReadOnlyList<double> EpochWeights => _current;

    protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
    {
        var weights = tasks.Select(i => _current[i]).ToArray();
        return (WeightedSum(losses, weights), weights);
    }

    public override void EndEpoch(IReadOnlyList<double> meanTaskLosses, WeightingContext context)
    {
        if (meanTaskLosses.Count != _previous.Length) throw new ArgumentException($"dwa: {meanTaskLosses.Count} mean losses for {_previous.Length} tasks", nameof(meanTaskLosses));
        Array.Copy(_previous, _beforeThat, _previous.Length);
        for (var i = 0; i < _previous.Length; i++) _previous[i] = meanTaskLosses[i];
        _epochsSeen++;
        _current = Compute();
    }

    private double[] Compute()
    {
        var k = _previous.Length;
        if (_epochsSeen < 2) return Enumerable.Repeat(1.0, k).ToArray();
        var r = new double[k];
        for (var i = 0; i < k; i++)
        {
            var usable = _previous[i] > 0 && _beforeThat[i] > 0 && double.IsFinite(_previous[i]) && double.IsFinite(_beforeThat[i]);
            r[i] = usable ? _previous[i] / _beforeThat[i] : 1.0;
        }
        return SmallMath.Softmax(r.Select(x => x / _temperature).ToArray()).Select(x => k * x).ToArray();
    }

    public override IReadOnlyDictionary<string, double> state_dict()
    {
        var state = new Dictionary<string, double> { ["epochs_seen"] = _epochsSeen };
        for (var i = 0; i < _previous.Length; i++)
        {
            state[$"previous.{i}"] = _previous[i];
            state[$"before_that.{i}"] = _beforeThat[i];
        }
        return state;
    }

    public override void load_state_dict(IReadOnlyDictionary<string, double> state)
    {
        _epochsSeen = (int)Get(state, "epochs_seen");
        for (var i = 0; i < _previous.Length; i++)
        {
            _previous[i] = Get(state, $"previous.{i}");
            _beforeThat[i] = Get(state, $"before_that.{i}");
        }
        _current = Compute();
    }
}
