namespace Mtl.Catalog;

/// <summary>The validation metrics a task may report, which kinds each fits, and which way is better.</summary>
public static class MetricCatalog
{
    /// <summary><c>task.loss</c>: every task reports its validation loss.</summary>
    public const string Loss = "loss";

    /// <summary>Mean intersection over union over the classes present in the predictions or targets of the whole set.</summary>
    public const string MeanIou = "miou";

    /// <summary>Mean |ŷ − y| over valid pixels.</summary>
    public const string AbsoluteError = "abs_err";

    /// <summary>Mean |ŷ − y| / y over valid pixels.</summary>
    public const string RelativeError = "rel_err";

    /// <summary>Mean angle in degrees between predicted and target vectors over valid pixels.</summary>
    public const string MeanAngle = "mean_angle";

    /// <summary>Entity-level F1 (micro) over BIO tags: class 0 is O, class 2e+1 is B-e, class 2e+2 is I-e.</summary>
    public const string EntityF1 = "entity_f1";

    public static IReadOnlyList<string> All { get; } = ["accuracy", "macro_f1", "auc", "mae", "rmse", "r2", "mse", MeanIou, AbsoluteError, RelativeError, MeanAngle, EntityF1];

    public static IReadOnlyList<string> For(TaskKind kind) => kind switch
    {
        TaskKind.Regression => ["mae", "rmse", "r2", "mse"],
        TaskKind.Binary => ["accuracy", "auc", "macro_f1"],
        TaskKind.Classes => ["accuracy", "macro_f1"],
        TaskKind.Multilabel => ["accuracy", "macro_f1", "auc"],
        TaskKind.PixelClasses => [MeanIou, "accuracy", "macro_f1"],
        TaskKind.PixelRegression => [AbsoluteError, RelativeError, MeanAngle],
        TaskKind.TokenClasses => ["accuracy", EntityF1, "macro_f1"],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a task kind"),
    };

    /// <summary>The metrics a task reports when its block has no <c>metrics</c> statement.</summary>
    public static IReadOnlyList<string> DefaultFor(TaskKind kind) => kind switch
    {
        TaskKind.Regression => ["mae", "rmse"],
        TaskKind.Binary => ["accuracy", "auc"],
        TaskKind.PixelClasses => [MeanIou, "accuracy"],
        TaskKind.PixelRegression => [AbsoluteError, RelativeError],
        TaskKind.TokenClasses => ["accuracy"],
        _ => ["accuracy", "macro_f1"],
    };

    /// <summary>
    /// Why <paramref name="metric"/> cannot be reported for a task of <paramref name="kind"/> with
    /// <paramref name="size"/> outputs, or null: entity_f1 needs the BIO classes O, B-e, I-e (an odd
    /// count, 2E + 1); mean_angle compares vectors of at least 2 values.
    /// </summary>
    public static string? CheckSize(string metric, TaskKind kind, int size) => metric switch
    {
        EntityF1 when size % 2 == 0 => $"entity_f1 reads the classes as BIO tags (0 = O, 2e+1 = B-e, 2e+2 = I-e), so it needs an odd class count 2E + 1, not {size}",
        MeanAngle when size < 2 => $"mean_angle compares vectors, so it needs at least 2 values per pixel, not {size}",
        _ => null,
    };

    /// <summary>Whether smaller is better: sets the default mode of early stopping and plateau schedules.</summary>
    public static bool LowerIsBetter(string metric) => metric is Loss or "mae" or "rmse" or "mse" or AbsoluteError or RelativeError or MeanAngle;
}
