namespace Mtl.Catalog;

/// <summary>
/// The statements of <c>train { }</c> and the model-level <c>regularize</c>, with the defaults the
/// runtime's <c>TrainerOptions</c> starts from.
/// </summary>
public static class TrainCatalog
{
    public const int Epochs = 10;
    public const int BatchSize = 32;
    public const int Accumulate = 1;

    /// <summary>The seed of a run whose file sets none: runs are reproducible unless asked otherwise.</summary>
    public const long Seed = 42;

    public const UpdateMode Update = UpdateMode.Joint;
    public const int EarlyStopPatience = 3;
    public const SamplingKind Sampling = SamplingKind.Proportional;

    /// <summary>Single-value statements: the option each binds to, with its default and range.</summary>
    public static IReadOnlyDictionary<string, OptionSpec> Values { get; } = new[]
    {
        OptionSpec.Int("epochs", Epochs, ValueRange.AtLeastOne),
        OptionSpec.Int("batch_size", BatchSize, ValueRange.AtLeastOne),
        OptionSpec.Num("clip_grad_norm", null, ValueRange.Positive),
        OptionSpec.Int("accumulate", Accumulate, ValueRange.AtLeastOne),
        OptionSpec.Int("seed", Seed, ValueRange.NonNegative),
        OptionSpec.Choice("update", "joint", "joint", "alternate"),
    }.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public static SettingSpec EarlyStop { get; } = new(
        "early_stop",
        new OptionSpec("monitor", OptionType.Monitor, Required: true),
        OptionSpec.Int("patience", EarlyStopPatience, ValueRange.AtLeastOne),
        OptionSpec.Choice("mode", null, "min", "max"),
        OptionSpec.Num("min_delta", 0, ValueRange.NonNegative));

    public static SettingSpec L2 { get; } = new("l2", OptionSpec.RequiredNum("lambda", ValueRange.NonNegative));

    /// <summary>How often a run with <c>relatedness</c> samples the task gradients: every this many optimizer steps.</summary>
    public const int RelatednessEvery = 50;

    /// <summary>
    /// <c>relatedness(every: N)</c>: per epoch, from every Nth step, the cosine between each pair of
    /// tasks' gradients on the shared parameters, their norm ratios and each task's share of the update.
    /// </summary>
    public static SettingSpec Relatedness { get; } = new("relatedness", OptionSpec.Int("every", RelatednessEvery, ValueRange.AtLeastOne));

    public static SettingSpec Temperature { get; } = new("temperature", OptionSpec.RequiredNum("t", ValueRange.Positive));

    public const string Proportional = "proportional";
    public const string RoundRobin = "round_robin";

    /// <summary>The words of <c>sampling</c>, in <see cref="SamplingKind"/> order.</summary>
    public static IReadOnlyList<string> SamplingWords { get; } = [Proportional, RoundRobin, "temperature"];

    public static string Word(SamplingKind kind) => SamplingWords[(int)kind];
}
