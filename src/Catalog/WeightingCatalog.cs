namespace Mtl.Catalog;

/// <summary>
/// The task-weighting methods (<c>weighting name(options)</c>) with their options, defaults and
/// ranges. Mtl.Runtime's <c>TaskWeighting.Create</c> reads the same table, so a default here is
/// the default there. docs/training.md names the paper and code each default comes from.
/// </summary>
public static class WeightingCatalog
{
    public const string Fixed = "fixed";

    public static IReadOnlyDictionary<string, SettingSpec> All { get; } = new SettingSpec[]
    {
        new(Fixed),
        new("uncertainty"),
        new("dwa", OptionSpec.Num("temperature", 2.0, ValueRange.Positive)),
        new("gradnorm", OptionSpec.Num("alpha", 1.5, ValueRange.NonNegative), OptionSpec.Num("lr", 0.025, ValueRange.Positive)),
        new("rlw"),
        new("pcgrad"),
        new("mgda", OptionSpec.Bool("ub", false), OptionSpec.Choice("normalization", "none", "none", "l2", "loss", "loss_plus")),
        new("cagrad", OptionSpec.Num("c", 0.4, ValueRange.UnitOpen)),
        new("imtl", OptionSpec.Choice("mode", "hybrid", "hybrid", "gradient", "loss")),
        new("graddrop", OptionSpec.Num("leak", 0.0, ValueRange.Probability)),
        new("gradvac", OptionSpec.Num("beta", 0.01, ValueRange.UnitLeftOpen)),
        new("aligned_mtl"),
        new("nash_mtl", OptionSpec.Int("update_every", 1, ValueRange.AtLeastOne)),
        new("famo", OptionSpec.Num("lr", 0.025, ValueRange.Positive), OptionSpec.Num("gamma", 0.01, ValueRange.NonNegative)),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>
    /// The methods that take each task's gradient of the shared parameters and combine them (the
    /// runtime's <c>GradientWeighting</c>s). They, and <c>gradnorm</c>, need shared parameters
    /// that train: a model that freezes every shared block cannot use them.
    /// </summary>
    public static IReadOnlyCollection<string> GradientMethods { get; } =
        new[] { "pcgrad", "mgda", "cagrad", "imtl", "graddrop", "gradvac", "aligned_mtl", "nash_mtl" };

    /// <summary>The method names in the order the docs list them.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Keys.ToList();
}
