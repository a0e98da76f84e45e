namespace Mtl.Catalog;

/// <summary>The losses a task may name, their options, and the kinds each fits.</summary>
public static class LossCatalog
{
    public const string Mse = "mse";
    public const string L1 = "l1";
    public const string Huber = "huber";
    public const string Bce = "bce";
    public const string CrossEntropy = "cross_entropy";
    public const string ScaleInvariantLog = "scale_invariant_log";
    public const string Cosine = "cosine";

    /// <summary>scale_invariant_log's default λ, Eigen et al.'s training value.</summary>
    public const double ScaleInvariantLambda = 0.5;

    public static IReadOnlyDictionary<string, SettingSpec> All { get; } = new SettingSpec[]
    {
        new(Mse),
        new(L1),
        new(Huber, OptionSpec.Num("delta", 1.0, ValueRange.Positive)),
        // One factor on the loss of positive labels, or one per label (multilabel(k): k of them), as PyTorch's BCEWithLogitsLoss.
        new(Bce, new OptionSpec("pos_weight", OptionType.NumberOrList, Range: ValueRange.Positive)),
        new(CrossEntropy,
            OptionSpec.Num("label_smoothing", 0.0, ValueRange.UnitOpen),
            new OptionSpec("class_weights", OptionType.NumberList, Range: ValueRange.Positive)),

        // Eigen, Puhrsch & Fergus 2014: per image, (1/n)Σdᵢ² − (λ/n²)(Σdᵢ)², dᵢ = log yᵢ − log yᵢ*.
        new(ScaleInvariantLog, OptionSpec.Num("lambda", ScaleInvariantLambda, ValueRange.Probability)),

        // 1 − cos(prediction, target) per valid pixel, averaged (surface normals).
        new(Cosine),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>The losses that fit a kind; the first is its default.</summary>
    public static IReadOnlyList<string> For(TaskKind kind) => kind switch
    {
        TaskKind.Regression => [Mse, L1, Huber],
        TaskKind.Classes or TaskKind.PixelClasses or TaskKind.TokenClasses => [CrossEntropy],
        TaskKind.PixelRegression => [L1, Mse, Huber, ScaleInvariantLog, Cosine],
        TaskKind.Binary or TaskKind.Multilabel => [Bce],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a task kind"),
    };

    /// <summary>Why <paramref name="loss"/> cannot train a task with <paramref name="size"/> values per pixel, or null: cosine compares vectors of at least 2 values.</summary>
    public static string? CheckSize(string loss, int size) =>
        loss == Cosine && size < 2 ? $"cosine compares vectors, so it needs at least 2 values per pixel, not {size}" : null;
}
