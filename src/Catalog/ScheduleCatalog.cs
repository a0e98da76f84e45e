namespace Mtl.Catalog;

/// <summary>Learning-rate schedules (<c>schedule a -> b</c>) with their options; durations count optimizer steps.</summary>
public static class ScheduleCatalog
{
    public static IReadOnlyDictionary<string, SettingSpec> All { get; } = new SettingSpec[]
    {
        new("warmup", OptionSpec.RequiredInt("steps", ValueRange.AtLeastOne), OptionSpec.Num("start_factor", 0, ValueRange.Probability)),
        new("step", OptionSpec.RequiredInt("step_size", ValueRange.AtLeastOne), OptionSpec.Num("gamma", 0.1, ValueRange.Positive)),
        new(
            "multistep",
            new OptionSpec("milestones", OptionType.IntegerList, Required: true, Range: ValueRange.AtLeastOne),
            OptionSpec.Num("gamma", 0.1, ValueRange.Positive)),
        new("exponential", OptionSpec.RequiredNum("gamma", ValueRange.Positive)),
        new("cosine", OptionSpec.Int("steps", null, ValueRange.AtLeastOne), OptionSpec.Num("min_lr", 0, ValueRange.NonNegative)),
        new(
            "linear",
            OptionSpec.Num("start_factor", 1.0 / 3, ValueRange.UnitLeftOpen),
            OptionSpec.Num("end_factor", 1.0, ValueRange.Probability),
            OptionSpec.Int("steps", 5, ValueRange.AtLeastOne)),
        new(
            "onecycle",
            OptionSpec.RequiredNum("max_lr", ValueRange.Positive),
            OptionSpec.Int("steps", null, ValueRange.AtLeastOne),
            OptionSpec.Num("pct_start", 0.3, ValueRange.UnitExclusive),
            OptionSpec.Choice("anneal", "cos", "cos", "linear"),
            OptionSpec.Num("div_factor", 25, ValueRange.Positive),
            OptionSpec.Num("final_div_factor", 1e4, ValueRange.Positive)),
        new(
            "plateau",
            new OptionSpec("monitor", OptionType.Monitor, new NameValue(MetricCatalog.Loss)),
            OptionSpec.Choice("mode", null, "min", "max"),
            OptionSpec.Num("factor", 0.1, ValueRange.UnitExclusive),
            OptionSpec.Int("patience", 10, ValueRange.NonNegative),
            OptionSpec.Num("min_lr", 0, ValueRange.NonNegative)),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>
    /// Whether a schedule with these options ends by itself, so that another may follow it in a
    /// chain: warmup and linear always, cosine and onecycle when given <c>steps</c>.
    /// </summary>
    public static bool IsBounded(string name, bool hasSteps) => name switch
    {
        "warmup" or "linear" => true,
        "cosine" or "onecycle" => hasSteps,
        _ => false,
    };
}
