using Mtl.Dsl.Model;

namespace Mtl.Dsl.Semantics;

/// <summary>Task kinds with their target type, losses and metrics.</summary>
internal static class TaskCatalog
{
    public static readonly Dictionary<string, (TaskKind Kind, Signature Signature)> Kinds = new(StringComparer.Ordinal)
    {
        ["regression"] = (TaskKind.Regression, new Signature("regression", Parameter.RequiredInt("n", ValueRange.AtLeastOne))),
        ["binary"] = (TaskKind.Binary, new Signature("binary")),
        ["classes"] = (TaskKind.Classes, new Signature("classes", Parameter.RequiredInt("k", ValueRange.AtLeastTwo))),
        ["multilabel"] = (TaskKind.Multilabel, new Signature("multilabel", Parameter.RequiredInt("k", ValueRange.AtLeastOne))),
    };

    public static readonly Dictionary<string, Signature> KindSignatures =
        Kinds.ToDictionary(k => k.Key, k => k.Value.Signature, StringComparer.Ordinal);

    public static readonly Dictionary<string, Signature> Losses = new Signature[]
    {
        new("mse"),
        new("l1"),
        new("huber", Parameter.Num("delta", 1.0, ValueRange.Positive)),
        new("bce", Parameter.Num("pos_weight", null, ValueRange.Positive)),
        new("cross_entropy",
            Parameter.Num("label_smoothing", 0.0, ValueRange.UnitOpen),
            new Parameter("class_weights", ParameterType.NumberList, Range: ValueRange.Positive)),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    public const string LossMetric = "loss";

    /// <summary>The statements of a task body.</summary>
    public static readonly IReadOnlyList<string> Statements = ["loss", "weight", "metrics", "missing"];

    public static readonly Parameter Weight = Parameter.Num("weight", 1.0, ValueRange.NonNegative);

    public static readonly IReadOnlyList<string> AllMetrics = ["accuracy", "macro_f1", "auc", "mae", "rmse", "r2", "mse"];

    public static string Name(TaskKind kind) => kind switch
    {
        TaskKind.Regression => "regression",
        TaskKind.Binary => "binary",
        TaskKind.Classes => "classes",
        _ => "multilabel",
    };

    /// <summary>"classes(7)", "binary": how a kind is written.</summary>
    public static string Describe(TaskKind kind, int size) => kind == TaskKind.Binary ? "binary" : $"{Name(kind)}({size})";

    public static IReadOnlyList<string> LossesFor(TaskKind kind) => kind switch
    {
        TaskKind.Regression => ["mse", "l1", "huber"],
        TaskKind.Classes => ["cross_entropy"],
        _ => ["bce"],
    };

    public static IReadOnlyList<string> MetricsFor(TaskKind kind) => kind switch
    {
        TaskKind.Regression => ["mae", "rmse", "r2", "mse"],
        TaskKind.Binary => ["accuracy", "auc", "macro_f1"],
        TaskKind.Classes => ["accuracy", "macro_f1"],
        _ => ["accuracy", "macro_f1", "auc"],
    };

    public static IReadOnlyList<string> DefaultMetrics(TaskKind kind) => kind switch
    {
        TaskKind.Regression => ["mae", "rmse"],
        TaskKind.Binary => ["accuracy", "auc"],
        _ => ["accuracy", "macro_f1"],
    };

    /// <summary>Whether smaller is better, which sets early stopping's default mode.</summary>
    public static bool LowerIsBetter(string metric) => metric is LossMetric or "mae" or "rmse" or "mse";

    /// <summary>The output a task's pipeline must end with; binary has one logit.</summary>
    public static Shape OutputShape(TaskKind kind, int size) => Shape.Of(kind == TaskKind.Binary ? 1 : size);

    public static TensorType Target(TaskKind kind, int size) => kind switch
    {
        TaskKind.Classes => new TensorType(DType.Long, Shape.Of()),
        _ => new TensorType(DType.Float, OutputShape(kind, size)),
    };
}
