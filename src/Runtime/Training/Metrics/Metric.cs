using Mtl.Catalog;
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

    /// <summary>The metric's name in the .mtl language (accuracy, macro_f1, auc, mae, mse, rmse, r2, miou, abs_err, rel_err, mean_angle, entity_f1).</summary>
    public string Name { get; }

    public TaskKind Kind { get; }

    /// <summary>The class target a class metric skips (an unlabelled pixel, a padding token, a missing label): the task's <c>ignore</c>.</summary>
    public long IgnoreIndex { get; private set; } = TaskCatalog.IgnoreIndex;

    /// <summary>Whether a larger value is better (early stopping's default mode follows it); from <see cref="MetricCatalog"/>.</summary>
    public bool HigherIsBetter => !MetricCatalog.LowerIsBetter(Name);

    public void Update(Tensor outputs, Tensor targets)
    {
        using var scope = torch.NewDisposeScope();
        using var mode = torch.no_grad();
        var batch = MetricBatch.Read(Kind, outputs, targets, Name, IgnoreIndex);
        Accumulate(batch);
    }

    protected abstract void Accumulate(MetricBatch batch);

    public abstract double Compute();

    public abstract void Reset();

    /// <summary>
    /// What the metric has accumulated, as numbers (counts are exact up to 2⁵³): data-parallel
    /// evaluation gathers every rank's state and <see cref="Merge"/>s them, in rank order, into a
    /// fresh metric, which then computes what one metric computes from all the ranks' examples.
    /// </summary>
    internal abstract double[] State();

    /// <summary>Adds a <see cref="State"/> of a metric of the same name and kind to what this one has accumulated.</summary>
    internal abstract void Merge(double[] state);

    /// <summary>
    /// Creates a metric by its .mtl name for a task of <paramref name="kind"/> (classes: the class
    /// count). The metric must fit the kind, as <see cref="MetricCatalog.For"/> says.
    /// </summary>
    public static Metric Create(string name, TaskKind kind, int classes = 0, long ignoreIndex = TaskCatalog.IgnoreIndex) => WithIgnore(Make(name, kind, classes), ignoreIndex);

    private static Metric WithIgnore(Metric metric, long ignoreIndex)
    {
        metric.IgnoreIndex = ignoreIndex;
        return metric;
    }

    private static Metric Make(string name, TaskKind kind, int classes) => !MetricCatalog.All.Contains(name)
        ? throw new ArgumentException($"unknown metric '{name}': expected {string.Join(", ", MetricCatalog.All)}", nameof(name))
        : !MetricCatalog.For(kind).Contains(name)
        ? throw new ArgumentException($"metric '{name}' does not fit a {TaskCatalog.Name(kind)} task: it reports {string.Join(", ", MetricCatalog.For(kind))}", nameof(name))
        : name switch
    {
        "accuracy" => new Accuracy(kind),
        "macro_f1" => new MacroF1(kind, classes),
        "auc" => new Auc(kind),
        "mae" => new MeanAbsoluteError(kind),
        "mse" => new MeanSquaredError(kind),
        "rmse" => new RootMeanSquaredError(kind),
        "r2" => new R2Score(kind),
        MetricCatalog.MeanIou => new MeanIou(kind, classes),
        MetricCatalog.AbsoluteError or MetricCatalog.RelativeError => new DepthError(name, kind),
        MetricCatalog.MeanAngle => new MeanAngle(kind),
        MetricCatalog.EntityF1 => new EntityF1(kind, classes),
        _ => throw new InvalidOperationException($"metric '{name}' is in the catalog but has no implementation"),
    };
}
