namespace Mtl.Catalog;

/// <summary>The losses a task may name, their options, and the kinds each fits.</summary>
public static class LossCatalog
{
    public const string Mse = "mse";
    public const string L1 = "l1";
    public const string Huber = "huber";
    public const string Bce = "bce";
    public const string CrossEntropy = "cross_entropy";

    public static IReadOnlyDictionary<string, SettingSpec> All { get; } = new SettingSpec[]
    {
        new(Mse),
        new(L1),
        new(Huber, OptionSpec.Num("delta", 1.0, ValueRange.Positive)),
        new(Bce, OptionSpec.Num("pos_weight", null, ValueRange.Positive)),
        new(CrossEntropy,
            OptionSpec.Num("label_smoothing", 0.0, ValueRange.UnitOpen),
            new OptionSpec("class_weights", OptionType.NumberList, Range: ValueRange.Positive)),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>The losses that fit a kind; the first is its default.</summary>
    public static IReadOnlyList<string> For(TaskKind kind) => kind switch
    {
        TaskKind.Regression => [Mse, L1, Huber],
        TaskKind.Classes => [CrossEntropy],
        _ => [Bce],
    };
}
