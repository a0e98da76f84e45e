namespace Mtl.Training.Weighting;

/// <summary>
/// Adam (with L2 weight decay, as <c>torch.optim.Adam</c>) over a few doubles: the internal
/// optimizer of the methods that learn their task weights themselves. Follows PyTorch 1.13's
/// single-tensor update operation for operation, and saves into a weighting's state.
/// </summary>
internal sealed class SmallAdam(int size, double lr, double weightDecay = 0, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
{
    private readonly double[] _m = new double[size];
    private readonly double[] _v = new double[size];
    private long _step;

    public double LearningRate => lr;

    /// <summary>One step of <paramref name="values"/> along <paramref name="grad"/>, in place.</summary>
    public void Step(double[] values, double[] grad)
    {
        _step++;
        var bias1 = 1 - Math.Pow(beta1, _step);
        var bias2 = 1 - Math.Pow(beta2, _step);
        for (var i = 0; i < values.Length; i++)
        {
            var g = grad[i] + weightDecay * values[i];
            _m[i] = beta1 * _m[i] + (1 - beta1) * g;
            _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
            var denom = Math.Sqrt(_v[i]) / Math.Sqrt(bias2) + eps;
            values[i] -= lr / bias1 * _m[i] / denom;
        }
    }

    public void Save(Dictionary<string, double> state, string prefix)
    {
        state[$"{prefix}step"] = _step;
        for (var i = 0; i < _m.Length; i++)
        {
            state[$"{prefix}exp_avg.{i}"] = _m[i];
            state[$"{prefix}exp_avg_sq.{i}"] = _v[i];
        }
    }

    public void Load(IReadOnlyDictionary<string, double> state, string prefix)
    {
        _step = (long)TaskWeighting.Get(state, $"{prefix}step");
        for (var i = 0; i < _m.Length; i++)
        {
            _m[i] = TaskWeighting.Get(state, $"{prefix}exp_avg.{i}");
            _v[i] = TaskWeighting.Get(state, $"{prefix}exp_avg_sq.{i}");
        }
    }
}
