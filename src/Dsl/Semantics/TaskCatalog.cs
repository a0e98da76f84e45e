using Mtl.Dsl.Model;
using Shared = Mtl.Catalog;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// The language's view of task kinds, losses and metrics: the shared tables (Mtl.Catalog) plus
/// what only the language needs (statement words, output shapes and target types).
/// </summary>
internal static class TaskCatalog
{
    public static IReadOnlyDictionary<string, (TaskKind Kind, SettingSpec Spec)> Kinds => Shared.TaskCatalog.Kinds;

    public static readonly Dictionary<string, SettingSpec> KindSignatures =
        Kinds.ToDictionary(k => k.Key, k => k.Value.Spec, StringComparer.Ordinal);

    public static IReadOnlyDictionary<string, SettingSpec> Losses => LossCatalog.All;

    public const string LossMetric = MetricCatalog.Loss;

    /// <summary>The statements of a task body: how it trains, then where its label comes from in a table.</summary>
    public static readonly IReadOnlyList<string> Statements = ["loss", "weight", "metrics", "missing", .. Shared.DataCatalog.TaskStatements];

    public static OptionSpec Weight => Shared.TaskCatalog.Weight;

    public static IReadOnlyList<string> AllMetrics => MetricCatalog.All;

    public static string Name(TaskKind kind) => Shared.TaskCatalog.Name(kind);

    /// <summary>"classes(7)", "binary": how a kind is written.</summary>
    public static string Describe(TaskKind kind, int size) => Shared.TaskCatalog.Describe(kind, size);

    public static IReadOnlyList<string> LossesFor(TaskKind kind) => LossCatalog.For(kind);

    public static IReadOnlyList<string> MetricsFor(TaskKind kind) => MetricCatalog.For(kind);

    public static IReadOnlyList<string> DefaultMetrics(TaskKind kind) => MetricCatalog.DefaultFor(kind);

    /// <summary>Whether smaller is better, which sets early stopping's default mode.</summary>
    public static bool LowerIsBetter(string metric) => MetricCatalog.LowerIsBetter(metric);

    /// <summary>The output a vector task's pipeline must end with; binary has one logit. The dense kinds use <see cref="FitsDense"/>.</summary>
    public static Shape OutputShape(TaskKind kind, int size) => Shape.Of(kind == TaskKind.Binary ? 1 : size);

    /// <summary>The output a dense kind needs, as written in messages: [k, H, W] per pixel, [T, k] per token.</summary>
    public static string DenseOutput(TaskKind kind, int size) => kind == TaskKind.TokenClasses ? $"[T, {size}]" : $"[{size}, H, W]";

    /// <summary>Whether <paramref name="output"/> is a dense kind's output: [size, H, W] per pixel, [T, size] per token.</summary>
    public static bool FitsDense(TaskKind kind, int size, Shape output) => kind == TaskKind.TokenClasses
        ? output.Rank == 2 && output.Dimensions[1] == size
        : output.Rank == 3 && output.Dimensions[0] == size;

    /// <summary>
    /// One example's target: a class (long scalar) for classes; for the dense kinds the pipeline's
    /// H, W or T give long [H, W] (pixel_classes), float [c, H, W] (pixel_regression) and long [T]
    /// (token_classes); float [n] otherwise.
    /// </summary>
    public static TensorType Target(TaskKind kind, int size, Shape output) => kind switch
    {
        TaskKind.Classes => new TensorType(DType.Long, Shape.Of()),
        TaskKind.PixelClasses => new TensorType(DType.Long, Shape.Of(output.Dimensions[1], output.Dimensions[2])),
        TaskKind.PixelRegression => new TensorType(DType.Float, output),
        TaskKind.TokenClasses => new TensorType(DType.Long, Shape.Of(output.Dimensions[0])),
        _ => new TensorType(DType.Float, OutputShape(kind, size)),
    };
}
