using Mtl.Torch;

namespace Mtl.Training.Metrics;

/// <summary>
/// A metric accumulated over batches. <see cref="Update"/> takes the model's raw outputs (logits
/// for classification) and the targets of one batch; examples whose label is missing (NaN for
/// float targets, -1 for class targets) are skipped. <see cref="Compute"/> gives the value over
/// everything seen since the last <see cref="Reset"/>; NaN when nothing was seen.
/// </summary>
public abstract class Metric
{
    protected Metric(string name, TaskKind kind)
    {
        Name = name;
        Kind = kind;
    }

    /// <summary>The metric's name in the .mtl language (accuracy, macro_f1, auc, mae, mse, rmse, r2).</summary>
    public string Name { get; }

    public TaskKind Kind { get; }

    /// <summary>Whether a larger value is better (early stopping's default mode follows it).</summary>
    public abstract bool HigherIsBetter { get; }

    public void Update(Tensor outputs, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        using var mode = torch.no_grad();
        var batch = MetricBatch.Read(Kind, outputs, targets, Name);
        Accumulate(batch);
    }

    protected abstract void Accumulate(MetricBatch batch);

    public abstract double Compute();

    public abstract void Reset();

    /// <summary>Creates a metric by its .mtl name for a task of <paramref name="kind"/> (classes: the class count).</summary>
    public static Metric Create(string name, TaskKind kind, int classes = 0) => name switch
    {
        "accuracy" => new Accuracy(kind),
        "macro_f1" => new MacroF1(kind, classes),
        "auc" => new Auc(kind),
        "mae" => new MeanAbsoluteError(kind),
        "mse" => new MeanSquaredError(kind),
        "rmse" => new RootMeanSquaredError(kind),
        "r2" => new R2Score(kind),
        _ => throw new ArgumentException($"unknown metric '{name}': expected accuracy, macro_f1, auc, mae, mse, rmse or r2", nameof(name)),
    };
}
