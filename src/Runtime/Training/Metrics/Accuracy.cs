namespace Mtl.Training.Metrics;

/// <summary>
/// The fraction of labelled predictions that are right: argmax for classes, logit &gt; 0 (probability
/// &gt; 0.5) for binary, and per label for multilabel (every labelled element counts once). For
/// pixel_classes it is pixel accuracy and for token_classes token accuracy: every labelled pixel or
/// token counts once, unlabelled pixels and padding (-1) not at all.
/// </summary>
public sealed class Accuracy : Metric
{
    private long _correct;
    private long _total;

    public Accuracy(TaskKind kind) : base("accuracy", kind)
    {
        if (kind is TaskKind.Regression or TaskKind.PixelRegression) throw new ArgumentException("accuracy does not apply to regression tasks: use mae, mse, rmse or r2", nameof(kind));
    }


    protected override void Accumulate(MetricBatch batch)
    {
        if (Kind is TaskKind.Classes or TaskKind.PixelClasses or TaskKind.TokenClasses)
        {
            for (var row = 0; row < batch.Rows; row++)
            {
                var target = batch.Targets[row];
                if (double.IsNaN(target)) continue;
                _total++;
                if (Classification.ArgMax(batch.Outputs.AsSpan(row * batch.Columns, batch.Columns)) == (int)target) _correct++;
            }
            return;
        }
        for (var i = 0; i < batch.Targets.Length; i++)
        {
            var target = batch.Targets[i];
            if (double.IsNaN(target)) continue;
            _total++;
            if ((batch.Outputs[i] > 0) == (target > 0.5)) _correct++;
        }
    }

    public override double Compute() => _total == 0 ? double.NaN : (double)_correct / _total;

    public override void Reset() => (_correct, _total) = (0, 0);

    internal override double[] State() => [_correct, _total];

    internal override void Merge(double[] state) => (_correct, _total) = (_correct + (long)state[0], _total + (long)state[1]);
}
