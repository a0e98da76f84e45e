namespace Mtl.Training;

/// <summary>The loss a task trains with.</summary>
public enum LossKind
{
    /// <summary>Mean squared error (regression default).</summary>
    Mse,

    /// <summary>Mean absolute error.</summary>
    L1,

    /// <summary>Huber loss with <see cref="TaskSpec.HuberDelta"/>.</summary>
    Huber,

    /// <summary>Binary cross entropy on logits (binary and multilabel default).</summary>
    Bce,

    /// <summary>Cross entropy on logits (classes default), with optional label smoothing and class weights.</summary>
    CrossEntropy,
}

/// <summary>
/// One task of a multi-task model: what it predicts, how its loss is computed and weighted,
/// and what is measured. Missing labels are NaN (float targets) or -1 (class targets).
/// </summary>
public sealed record TaskSpec
{
    public TaskSpec(string name, TaskKind kind, int size = 1)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a task needs a name", nameof(name));
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), size, $"task '{name}': size must be positive");
        if (kind == TaskKind.Binary && size != 1) throw new ArgumentException($"task '{name}': a binary task has size 1", nameof(size));
        if (kind == TaskKind.Classes && size < 2) throw new ArgumentException($"task '{name}': a classes task needs at least 2 classes", nameof(size));
        Name = name;
        Kind = kind;
        Size = size;
        Loss = kind switch
        {
            TaskKind.Regression => LossKind.Mse,
            TaskKind.Classes => LossKind.CrossEntropy,
            _ => LossKind.Bce,
        };
        Metrics = kind switch
        {
            TaskKind.Regression => ["mae", "rmse"],
            TaskKind.Classes => ["accuracy", "macro_f1"],
            _ => ["accuracy", "auc"],
        };
    }

    public string Name { get; }

    public TaskKind Kind { get; }

    /// <summary>Outputs per example: n for regression(n), k for classes(k) and multilabel(k), 1 for binary.</summary>
    public int Size { get; }

    public LossKind Loss { get; init; }

    /// <summary>The task's weight in Σ wᵢLᵢ (fixed weighting) or its prior for the other methods.</summary>
    public double Weight { get; init; } = 1.0;

    public IReadOnlyList<string> Metrics { get; init; }

    public double LabelSmoothing { get; init; }

    public IReadOnlyList<double>? ClassWeights { get; init; }

    public double HuberDelta { get; init; } = 1.0;

    /// <summary>Whether examples may lack this task's label; when false a missing label is a data error.</summary>
    public bool MissingLabels { get; init; } = true;
}
