using Mtl.Catalog;

namespace Mtl;

/// <summary>The loss a task trains with; <see cref="LossKinds"/> maps each to its .mtl name.</summary>
public enum LossKind
{
    /// <summary>Mean squared error (regression default).</summary>
    Mse,

    /// <summary>Mean absolute error.</summary>
    L1,

    /// <summary>Huber loss with <see cref="TaskSpec.HuberDelta"/>.</summary>
    Huber,

    /// <summary>Binary cross entropy on logits (binary and multilabel default), with an optional <see cref="TaskSpec.PosWeight"/>.</summary>
    Bce,

    /// <summary>Cross entropy on logits (classes, pixel_classes and token_classes default), with optional label smoothing and class weights; unlabelled pixels and padding tokens (-1) are ignored.</summary>
    CrossEntropy,

    /// <summary>Eigen et al.'s scale-invariant log loss over valid pixels, per example, with <see cref="TaskSpec.ScaleInvariantLambda"/>.</summary>
    ScaleInvariantLog,

    /// <summary>1 − cos(prediction, target) per valid pixel, averaged (surface normals).</summary>
    Cosine,
}

/// <summary>The .mtl names of <see cref="LossKind"/> (those of <see cref="LossCatalog"/>).</summary>
public static class LossKinds
{
    public static string Name(this LossKind loss) => loss switch
    {
        LossKind.Mse => LossCatalog.Mse,
        LossKind.L1 => LossCatalog.L1,
        LossKind.Huber => LossCatalog.Huber,
        LossKind.Bce => LossCatalog.Bce,
        LossKind.CrossEntropy => LossCatalog.CrossEntropy,
        LossKind.ScaleInvariantLog => LossCatalog.ScaleInvariantLog,
        LossKind.Cosine => LossCatalog.Cosine,
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "not a loss"),
    };

    public static LossKind Parse(string name)
    {
        foreach (var kind in Enum.GetValues<LossKind>())
        {
            if (kind.Name() == name) return kind;
        }
        throw new ArgumentException($"unknown loss '{name}': expected {string.Join(", ", LossCatalog.All.Keys)}", nameof(name));
    }
}

/// <summary>
/// One task of a multi-task model: what it predicts, how its loss is computed and weighted,
/// and what is measured. Missing labels are NaN (float targets) or -1 (class targets). Defaults
/// (loss, metrics, weight, options) are those of the .mtl language, from the shared catalog;
/// <see cref="Training.TaskLoss"/> checks the whole spec against it.
/// </summary>
public sealed record TaskSpec
{
    public TaskSpec(string name, TaskKind kind, int size = 1)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a task needs a name", nameof(name));
        if (TaskCatalog.CheckSize(kind, size) is { } error) throw new ArgumentOutOfRangeException(nameof(size), size, $"task '{name}': {error}");
        Name = name;
        Kind = kind;
        Size = size;
        Loss = LossKinds.Parse(TaskCatalog.DefaultLoss(kind));
        Metrics = TaskCatalog.DefaultMetrics(kind);
    }

    public string Name { get; }

    public TaskKind Kind { get; }

    /// <summary>Outputs per example (per pixel or token for the dense kinds): n for regression(n), k for classes(k), multilabel(k), pixel_classes(k) and token_classes(k), c for pixel_regression(c), 1 for binary.</summary>
    public int Size { get; }

    public LossKind Loss { get; init; }

    /// <summary>The task's weight in Σ wᵢLᵢ (fixed weighting) or its prior for the other methods.</summary>
    public double Weight { get; init; } = 1.0;

    public IReadOnlyList<string> Metrics { get; init; }

    /// <summary>cross_entropy's <c>label_smoothing</c>, in [0, 1).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>cross_entropy's <c>class_weights</c>: one positive weight per class, or null.</summary>
    public IReadOnlyList<double>? ClassWeights { get; init; }

    /// <summary>scale_invariant_log's <c>lambda</c>, in [0, 1]: 0 is the plain mean squared log error, 1 fully scale invariant.</summary>
    public double ScaleInvariantLambda { get; init; } = LossCatalog.ScaleInvariantLambda;

    /// <summary>huber's <c>delta</c>.</summary>
    public double HuberDelta { get; init; } = 1.0;

    /// <summary>bce's <c>pos_weight</c>: the factor on the loss of positive labels, or null for 1.</summary>
    public double? PosWeight { get; init; }

    /// <summary>bce's <c>pos_weight</c> given per label: one positive factor for each of the task's labels (instead of <see cref="PosWeight"/>), or null.</summary>
    public IReadOnlyList<double>? PosWeights { get; init; }

    /// <summary>
    /// The class target that marks an unlabelled pixel, a padding token or a missing class label
    /// (classes, pixel_classes, token_classes: <c>ignore</c> of the kind); the loss, the metrics
    /// and the data checks skip it. Never a class in [0, Size).
    /// </summary>
    public long IgnoreIndex { get; init; } = TaskCatalog.IgnoreIndex;

    /// <summary>Whether examples may lack this task's label; when false a missing label is a data error.</summary>
    public bool MissingLabels { get; init; } = TaskCatalog.MissingLabelsAllowed;
}
