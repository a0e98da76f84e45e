namespace Mtl.Catalog;

/// <summary>The validation metrics a task may report, which kinds each fits, and which way is better.</summary>
public static class MetricCatalog
{
    /// <summary><c>task.loss</c>: every task reports its validation loss.</summary>
    public const string Loss = "loss";

    public static IReadOnlyList<string> All { get; } = ["accuracy", "macro_f1", "auc", "mae", "rmse", "r2", "mse"];

    public static IReadOnlyList<string> For(TaskKind kind) => kind switch
    {
        TaskKind.Regression => ["mae", "rmse", "r2", "mse"],
        TaskKind.Binary => ["accuracy", "auc", "macro_f1"],
        TaskKind.Classes => ["accuracy", "macro_f1"],
        _ => ["accuracy", "macro_f1", "auc"],
    };

    /// <summary>The metrics a task reports when its block has no <c>metrics</c> statement.</summary>
    public static IReadOnlyList<string> DefaultFor(TaskKind kind) => kind switch
    {
        TaskKind.Regression => ["mae", "rmse"],
        TaskKind.Binary => ["accuracy", "auc"],
        _ => ["accuracy", "macro_f1"],
    };

    /// <summary>Whether smaller is better: sets the default mode of early stopping and plateau schedules.</summary>
    public static bool LowerIsBetter(string metric) => metric is Loss or "mae" or "rmse" or "mse";
}
