namespace Mtl.Training.Metrics;

/// <summary>
/// Exact area under the ROC curve from all scores seen, by the Mann–Whitney statistic with
/// average ranks for tied scores (so ties count one half, as the trapezoidal ROC area does).
/// Binary: over the logits. Multilabel: the mean over labels that have both classes. Classes:
/// one-vs-rest over softmax probabilities, the mean over classes present with both outcomes
/// (scikit-learn's <c>roc_auc_score(multi_class="ovr", average="macro")</c>).
/// </summary>
public sealed class Auc : Metric
{
    private readonly List<List<(double score, bool positive)>> _columns = new();

    public Auc(TaskKind kind) : base("auc", kind)
    {
        if (kind == TaskKind.Regression) throw new ArgumentException("auc does not apply to regression tasks: use mae, mse, rmse or r2", nameof(kind));
    }


    private List<(double score, bool positive)> Column(int index)
    {
        while (_columns.Count <= index) _columns.Add(new());
        return _columns[index];
    }

    protected override void Accumulate(MetricBatch batch)
    {
        switch (Kind)
        {
            case TaskKind.Classes:
            {
                var probabilities = new double[batch.Columns];
                for (var row = 0; row < batch.Rows; row++)
                {
                    var target = batch.Targets[row];
                    if (double.IsNaN(target)) continue;
                    Classification.Softmax(batch.Outputs.AsSpan(row * batch.Columns, batch.Columns), probabilities);
                    for (var c = 0; c < batch.Columns; c++) Column(c).Add((probabilities[c], (int)target == c));
                }
                break;
            }
            default:
                for (var i = 0; i < batch.Targets.Length; i++)
                {
                    var target = batch.Targets[i];
                    if (double.IsNaN(target)) continue;
                    Column(batch.Columns == 0 ? 0 : i % batch.Columns).Add((batch.Outputs[i], target > 0.5));
                }
                break;
        }
    }

    public override double Compute()
    {
        double sum = 0;
        var count = 0;
        foreach (var column in _columns)
        {
            var auc = Exact(column);
            if (double.IsNaN(auc)) continue;
            sum += auc;
            count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    /// <summary>AUC = (Σ ranks of positives − P(P+1)/2) / (P·N), ranks averaged over ties.</summary>
    internal static double Exact(IReadOnlyList<(double score, bool positive)> items)
    {
        var sorted = items.OrderBy(i => i.score).ToArray();
        long positives = sorted.Count(i => i.positive);
        long negatives = sorted.Length - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        double rankSum = 0;
        for (var start = 0; start < sorted.Length;)
        {
            var end = start;
            while (end + 1 < sorted.Length && sorted[end + 1].score == sorted[start].score) end++;
            var averageRank = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++)
            {
                if (sorted[i].positive) rankSum += averageRank;
            }
            start = end + 1;
        }
        return (rankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    public override void Reset() => _columns.Clear();

    /// <summary>Every score kept (the AUC needs them all): the column count, then per column its length and its (score, positive) pairs.</summary>
    internal override double[] State()
    {
        var state = new List<double> { _columns.Count };
        foreach (var column in _columns)
        {
            state.Add(column.Count);
            foreach (var (score, positive) in column) state.AddRange([score, positive ? 1 : 0]);
        }
        return [.. state];
    }

    internal override void Merge(double[] state)
    {
        var at = 1;
        for (var c = 0; c < (int)state[0]; c++)
        {
            var column = Column(c);
            var count = (int)state[at++];
            for (var i = 0; i < count; i++, at += 2) column.Add((state[at], state[at + 1] != 0));
        }
    }
}
