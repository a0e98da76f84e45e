namespace Mtl.Catalog;

/// <summary>Task kinds as the language writes them, with the loss and metrics each gets by default.</summary>
public static class TaskCatalog
{
    /// <summary>
    /// <c>ignore</c> of the class kinds (<c>pixel_classes(19, ignore: 255)</c>): the target value of an
    /// unlabelled pixel, a padding token or a missing class label, which the loss, the metrics and
    /// the data checks all skip; <see cref="IgnoreIndex"/> unless the task says otherwise.
    /// </summary>
    public static OptionSpec Ignore { get; } = OptionSpec.Int("ignore", IgnoreIndex);

    /// <summary>Why <paramref name="ignore"/> cannot mark the unlabelled targets of a task with <paramref name="classes"/> classes, or null: it must not be a class.</summary>
    public static string? CheckIgnore(long ignore, int classes) =>
        ignore >= 0 && ignore < classes ? $"ignore {ignore} is a class (classes are 0 to {classes - 1}): use a value outside [0, {classes})" : null;

    /// <summary>Each kind's name and size option (<c>regression(n)</c>, <c>binary</c>, <c>classes(k)</c>, <c>multilabel(k)</c>,
    /// and the dense <c>pixel_classes(k)</c>, <c>pixel_regression(c)</c>, <c>token_classes(k)</c>).</summary>
    public static IReadOnlyDictionary<string, (TaskKind Kind, SettingSpec Spec)> Kinds { get; } =
        new Dictionary<string, (TaskKind, SettingSpec)>(StringComparer.Ordinal)
        {
            ["regression"] = (TaskKind.Regression, new SettingSpec("regression", OptionSpec.RequiredInt("n", ValueRange.AtLeastOne))),
            ["binary"] = (TaskKind.Binary, new SettingSpec("binary")),
            ["classes"] = (TaskKind.Classes, new SettingSpec("classes", OptionSpec.RequiredInt("k", ValueRange.AtLeastTwo), Ignore)),
            ["multilabel"] = (TaskKind.Multilabel, new SettingSpec("multilabel", OptionSpec.RequiredInt("k", ValueRange.AtLeastOne))),
            ["pixel_classes"] = (TaskKind.PixelClasses, new SettingSpec("pixel_classes", OptionSpec.RequiredInt("k", ValueRange.AtLeastTwo), Ignore)),
            ["pixel_regression"] = (TaskKind.PixelRegression, new SettingSpec("pixel_regression", OptionSpec.RequiredInt("c", ValueRange.AtLeastOne))),
            ["token_classes"] = (TaskKind.TokenClasses, new SettingSpec("token_classes", OptionSpec.RequiredInt("k", ValueRange.AtLeastTwo), Ignore)),
        };

    /// <summary>
    /// The class target of an unlabelled pixel or a padding token (and of a missing class label):
    /// such positions count in no loss or metric.
    /// </summary>
    public const long IgnoreIndex = -1;

    /// <summary>Whether a kind's targets are int64 class indices (classes, pixel_classes, token_classes); the others are float.</summary>
    public static bool HasClassTargets(TaskKind kind) => kind is TaskKind.Classes or TaskKind.PixelClasses or TaskKind.TokenClasses;

    /// <summary>Whether a kind predicts per pixel or per token: its output has spatial or sequence dimensions beyond its size.</summary>
    public static bool IsDense(TaskKind kind) => kind is TaskKind.PixelClasses or TaskKind.PixelRegression or TaskKind.TokenClasses;

    /// <summary><c>weight w</c>: the task's factor in J = Σ wᵢ·Lᵢ (for adaptive methods, its prior).</summary>
    public static OptionSpec Weight { get; } = OptionSpec.Num("weight", 1.0, ValueRange.NonNegative);

    /// <summary>Whether examples may lack a label unless the file says <c>missing labels forbidden</c>.</summary>
    public const bool MissingLabelsAllowed = true;

    public static string Name(TaskKind kind) => kind switch
    {
        TaskKind.Regression => "regression",
        TaskKind.Binary => "binary",
        TaskKind.Classes => "classes",
        TaskKind.Multilabel => "multilabel",
        TaskKind.PixelClasses => "pixel_classes",
        TaskKind.PixelRegression => "pixel_regression",
        TaskKind.TokenClasses => "token_classes",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a task kind"),
    };

    /// <summary>"classes(7)", "binary": how a kind is written.</summary>
    public static string Describe(TaskKind kind, int size) => kind == TaskKind.Binary ? "binary" : $"{Name(kind)}({size})";

    /// <summary>
    /// Why a task of this kind cannot have <paramref name="size"/> outputs, or null: binary has 1,
    /// classes at least 2, the others at least 1.
    /// </summary>
    public static string? CheckSize(TaskKind kind, int size) => kind switch
    {
        TaskKind.Binary when size != 1 => $"a binary task has size 1, not {size}",
        TaskKind.Classes or TaskKind.PixelClasses or TaskKind.TokenClasses when size < 2 => $"a {Name(kind)} task needs at least 2 classes, not {size}",
        _ when size < 1 => $"a {Name(kind)} task needs a positive size, not {size}",
        _ => null,
    };

    /// <summary>The loss a task of this kind trains with unless it says otherwise.</summary>
    public static string DefaultLoss(TaskKind kind) => LossCatalog.For(kind)[0];

    public static IReadOnlyList<string> DefaultMetrics(TaskKind kind) => MetricCatalog.DefaultFor(kind);
}
