namespace Mtl.Training.Metrics;

/// <summary>
/// Running sums per output column over labelled (non-NaN) targets. Each regression metric is
/// computed per column and then averaged over the columns that have labels (scikit-learn's
/// <c>multioutput="uniform_average"</c>).
/// </summary>
public abstract class RegressionMetric : Metric
{
    private double[] _count = [];
    private double[] _absolute = [];
    private double[] _squared = [];
    private double[] _sum = [];
    private double[] _sumSquares = [];

    private protected RegressionMetric(string name, TaskKind kind) : base(name, kind)
    {
        if (kind != TaskKind.Regression) throw new ArgumentException($"{name} applies to regression tasks only: use accuracy, macro_f1 or auc", nameof(kind));
    }


    protected override void Accumulate(MetricBatch batch)
    {
        EnsureColumns(batch.Columns);
        for (var i = 0; i < batch.Targets.Length; i++)
        {
            var target = batch.Targets[i];
            if (double.IsNaN(target)) continue;
            var column = i % batch.Columns;
            var error = batch.Outputs[i] - target;
            _count[column]++;
            _absolute[column] += Math.Abs(error);
            _squared[column] += error * error;
            _sum[column] += target;
            _sumSquares[column] += target * target;
        }
    }

    private void EnsureColumns(int columns)
    {
        if (_count.Length >= columns) return;
        Array.Resize(ref _count, columns);
        Array.Resize(ref _absolute, columns);
        Array.Resize(ref _squared, columns);
        Array.Resize(ref _sum, columns);
        Array.Resize(ref _sumSquares, columns);
    }

    internal override double[] State() => [_count.Length, .. _count, .. _absolute, .. _squared, .. _sum, .. _sumSquares];

    internal override void Merge(double[] state)
    {
        var columns = (int)state[0];
        EnsureColumns(columns);
        for (var c = 0; c < columns; c++)
        {
            _count[c] += state[1 + c];
            _absolute[c] += state[1 + columns + c];
            _squared[c] += state[1 + 2 * columns + c];
            _sum[c] += state[1 + 3 * columns + c];
            _sumSquares[c] += state[1 + 4 * columns + c];
        }
    }

    public override double Compute()
    {
        double total = 0;
        var columns = 0;
        for (var c = 0; c < _count.Length; c++)
        {
            if (_count[c] == 0) continue;
            total += Column(_count[c], _absolute[c], _squared[c], _sum[c], _sumSquares[c]);
            columns++;
        }
        return columns == 0 ? double.NaN : total / columns;
    }

    /// <summary>The metric for one column from its sums.</summary>
    private protected abstract double Column(double count, double absolute, double squared, double sum, double sumSquares);

    public override void Reset()
    {
        Array.Clear(_count);
        Array.Clear(_absolute);
        Array.Clear(_squared);
        Array.Clear(_sum);
        Array.Clear(_sumSquares);
    }
}

/// <summary>Mean absolute error.</summary>
public sealed class MeanAbsoluteError(TaskKind kind) : RegressionMetric("mae", kind)
{
    private protected override double Column(double count, double absolute, double squared, double sum, double sumSquares) => absolute / count;
}

/// <summary>Mean squared error.</summary>
public sealed class MeanSquaredError(TaskKind kind) : RegressionMetric("mse", kind)
{
    private protected override double Column(double count, double absolute, double squared, double sum, double sumSquares) => squared / count;
}

/// <summary>Root mean squared error (per column, then averaged).</summary>
public sealed class RootMeanSquaredError(TaskKind kind) : RegressionMetric("rmse", kind)
{
    private protected override double Column(double count, double absolute, double squared, double sum, double sumSquares) => Math.Sqrt(squared / count);
}

/// <summary>
/// Coefficient of determination R² = 1 − SS_res / SS_tot with SS_tot = Σy² − (Σy)²/n. A column
/// whose targets are constant scores 1 if predicted exactly and 0 otherwise (scikit-learn's
/// <c>force_finite</c>).
/// </summary>
public sealed class R2Score(TaskKind kind) : RegressionMetric("r2", kind)
{

    private protected override double Column(double count, double absolute, double squared, double sum, double sumSquares)
    {
        var total = sumSquares - sum * sum / count;
        if (total <= 1e-12 * Math.Max(1, sumSquares)) return squared == 0 ? 1 : 0;
        return 1 - squared / total;
    }
}
