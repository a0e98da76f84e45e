namespace Mtl.Catalog;

/// <summary>Optimizers (<c>optimizer name(options)</c>) with PyTorch's option names and defaults.</summary>
public static class OptimizerCatalog
{
    public const string Default = "adam";

    public static IReadOnlyDictionary<string, SettingSpec> All { get; } = new SettingSpec[]
    {
        new(
            "sgd",
            OptionSpec.Num("lr", 1e-3, ValueRange.Positive),
            OptionSpec.Num("momentum", 0, ValueRange.NonNegative),
            OptionSpec.Num("dampening", 0, ValueRange.NonNegative),
            OptionSpec.Num("weight_decay", 0, ValueRange.NonNegative),
            OptionSpec.Bool("nesterov", false)),
        Adam("adam", 0),
        Adam("adamw", 1e-2),
        new(
            "rmsprop",
            OptionSpec.Num("lr", 1e-2, ValueRange.Positive),
            OptionSpec.Num("alpha", 0.99, ValueRange.NonNegative),
            OptionSpec.Num("eps", 1e-8, ValueRange.Positive),
            OptionSpec.Num("weight_decay", 0, ValueRange.NonNegative),
            OptionSpec.Num("momentum", 0, ValueRange.NonNegative),
            OptionSpec.Bool("centered", false)),
    }.ToDictionary(s => s.Name, StringComparer.Ordinal);

    /// <summary>
    /// Why these options cannot go together (PyTorch's rule: Nesterov momentum needs a momentum
    /// and zero dampening), or null; <paramref name="options"/> holds every option's value.
    /// </summary>
    public static string? Conflict(string optimizer, IReadOnlyDictionary<string, OptionValue?> options) =>
        optimizer == "sgd" && options.TryGetValue("nesterov", out var nesterov) && nesterov is BooleanValue { Value: true }
        && (options["momentum"]!.AsNumber() <= 0 || options["dampening"]!.AsNumber() != 0)
            ? "nesterov momentum needs a momentum above 0 and a dampening of 0"
            : null;

    /// <summary>The options a parameter group may set: the optimizer's numeric ones (its switches apply to every group).</summary>
    public static SettingSpec GroupOptions(SettingSpec optimizer) =>
        new(optimizer.Name, optimizer.Options.Where(o => o.Type != OptionType.Boolean).ToList());

    private static SettingSpec Adam(string name, double weightDecay) => new(
        name,
        OptionSpec.Num("lr", 1e-3, ValueRange.Positive),
        new OptionSpec(
            "betas",
            OptionType.NumberList,
            new ListValue(EquatableArray.Create<OptionValue>(new NumberValue(0.9), new NumberValue(0.999))),
            Range: ValueRange.UnitOpen,
            Length: 2),
        OptionSpec.Num("eps", 1e-8, ValueRange.Positive),
        OptionSpec.Num("weight_decay", weightDecay, ValueRange.NonNegative),
        OptionSpec.Bool("amsgrad", false));
}
