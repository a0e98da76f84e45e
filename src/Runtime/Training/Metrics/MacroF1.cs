namespace Mtl.Training.Metrics;

/// <summary>
/// The unweighted mean of per-class F1 = 2·TP / (2·TP + FP + FN), as scikit-learn's
/// <c>f1_score(average="macro")</c>: for classes and binary tasks (and per pixel or token, the dense class kinds) over the classes that occur in
/// the targets or the predictions; for multilabel over every label, a label with no positive
/// target and no positive prediction counting 0.
/// </summary>
public sealed class MacroF1 : Metric
{
    private long[] _tp;
    private long[] _fp;
    private long[] _fn;
    // Labelled examples (elements, for multilabel) seen since the last reset: with none the value is
    // NaN, as for every metric, also for multilabel, whose labels otherwise count 0 each.
    private long _seen;

    public MacroF1(TaskKind kind, int classes = 0) : base("macro_f1", kind)
    {
        if (kind is TaskKind.Regression or TaskKind.PixelRegression) throw new ArgumentException("macro_f1 does not apply to regression tasks: use mae, mse, rmse or r2", nameof(kind));
        var size = kind == TaskKind.Binary ? 2 : Math.Max(classes, 0);
        (_tp, _fp, _fn) = (new long[size], new long[size], new long[size]);
    }

    private void EnsureSize(int size)
    {
        if (_tp.Length >= size) return;
        Array.Resize(ref _tp, size);
        Array.Resize(ref _fp, size);
        Array.Resize(ref _fn, size);
    }

    private void Count(int predicted, int actual)
    {
        _seen++;
        if (predicted == actual)
        {
            _tp[actual]++;
        }
        else
        {
            _fp[predicted]++;
            _fn[actual]++;
        }
    }

    protected override void Accumulate(MetricBatch batch)
    {
        switch (Kind)
        {
            case TaskKind.Classes or TaskKind.PixelClasses or TaskKind.TokenClasses:
                EnsureSize(batch.Columns);
                for (var row = 0; row < batch.Rows; row++)
                {
                    var target = batch.Targets[row];
                    if (double.IsNaN(target)) continue;
                    Count(Classification.ArgMax(batch.Outputs.AsSpan(row * batch.Columns, batch.Columns)), (int)target);
                }
                break;
            case TaskKind.Binary:
                for (var i = 0; i < batch.Rows; i++)
                {
                    var target = batch.Targets[i];
                    if (double.IsNaN(target)) continue;
                    Count(batch.Outputs[i] > 0 ? 1 : 0, target > 0.5 ? 1 : 0);
                }
                break;
            default:
                EnsureSize(batch.Columns);
                for (var i = 0; i < batch.Targets.Length; i++)
                {
                    var target = batch.Targets[i];
                    if (double.IsNaN(target)) continue;
                    _seen++;
                    var label = i % batch.Columns;
                    var predicted = batch.Outputs[i] > 0;
                    var actual = target > 0.5;
                    if (predicted && actual) _tp[label]++;
                    else if (predicted) _fp[label]++;
                    else if (actual) _fn[label]++;
                }
                break;
        }
    }

    public override double Compute()
    {
        if (_seen == 0) return double.NaN;
        double sum = 0;
        var count = 0;
        for (var c = 0; c < _tp.Length; c++)
        {
            var denominator = 2 * _tp[c] + _fp[c] + _fn[c];
            if (denominator == 0 && Kind != TaskKind.Multilabel) continue;
            sum += denominator == 0 ? 0 : 2.0 * _tp[c] / denominator;
            count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    internal override double[] State() => [_seen, _tp.Length, .. _tp.Select(v => (double)v), .. _fp.Select(v => (double)v), .. _fn.Select(v => (double)v)];

    internal override void Merge(double[] state)
    {
        var size = (int)state[1];
        EnsureSize(size);
        _seen += (long)state[0];
        for (var c = 0; c < size; c++)
        {
            _tp[c] += (long)state[2 + c];
            _fp[c] += (long)state[2 + size + c];
            _fn[c] += (long)state[2 + 2 * size + c];
        }
    }

    public override void Reset()
    {
        Array.Clear(_tp);
        Array.Clear(_fp);
        Array.Clear(_fn);
        _seen = 0;
    }
}
