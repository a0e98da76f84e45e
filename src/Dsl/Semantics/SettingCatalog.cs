using Mtl.Dsl.Model;

namespace Mtl.Dsl.Semantics;

/// <summary>Weighting strategies, optimizers, schedules and train statements with their options.</summary>
internal static class SettingCatalog
{
    public static readonly Dictionary<string, Signature> Weightings = ToDictionary(
        new Signature("fixed"),
        new Signature("uncertainty"),
        new Signature("dwa", Parameter.Num("temperature", 2.0, ValueRange.Positive)),
        new Signature("gradnorm", Parameter.Num("alpha", 1.5, ValueRange.NonNegative)),
        new Signature("rlw"),
        new Signature("pcgrad"),
        new Signature("mgda"),
        new Signature("cagrad", Parameter.Num("c", 0.4, ValueRange.UnitOpen)),
        new Signature("imtl"),
        new Signature("graddrop", Parameter.Num("leak", 0.0, ValueRange.Probability)),
        new Signature("gradvac", Parameter.Num("beta", 0.5, ValueRange.Probability)),
        new Signature("aligned_mtl"),
        new Signature("nash_mtl", Parameter.Int("update_every", 1, ValueRange.AtLeastOne)),
        new Signature("famo", Parameter.Num("lr", 0.025, ValueRange.Positive), Parameter.Num("gamma", 0.001, ValueRange.NonNegative)));

    public static readonly Dictionary<string, Signature> Optimizers = ToDictionary(
        new Signature(
            "sgd",
            Parameter.Num("lr", 1e-3, ValueRange.Positive),
            Parameter.Num("momentum", 0, ValueRange.NonNegative),
            Parameter.Num("dampening", 0, ValueRange.NonNegative),
            Parameter.Num("weight_decay", 0, ValueRange.NonNegative),
            Parameter.Bool("nesterov", false)),
        Adam("adam", 0),
        Adam("adamw", 1e-2),
        new Signature(
            "rmsprop",
            Parameter.Num("lr", 1e-2, ValueRange.Positive),
            Parameter.Num("alpha", 0.99, ValueRange.NonNegative),
            Parameter.Num("eps", 1e-8, ValueRange.Positive),
            Parameter.Num("weight_decay", 0, ValueRange.NonNegative),
            Parameter.Num("momentum", 0, ValueRange.NonNegative),
            Parameter.Bool("centered", false)));

    public static readonly Dictionary<string, Signature> Schedules = ToDictionary(
        new Signature("warmup", Parameter.RequiredInt("steps", ValueRange.AtLeastOne), Parameter.Num("start_factor", 0, ValueRange.Probability)),
        new Signature("step", Parameter.RequiredInt("step_size", ValueRange.AtLeastOne), Parameter.Num("gamma", 0.1, ValueRange.Positive)),
        new Signature(
            "multistep",
            new Parameter("milestones", ParameterType.IntegerList, Required: true, Range: ValueRange.AtLeastOne),
            Parameter.Num("gamma", 0.1, ValueRange.Positive)),
        new Signature("exponential", Parameter.RequiredNum("gamma", ValueRange.Positive)),
        new Signature("cosine", Parameter.Int("steps", null, ValueRange.AtLeastOne), Parameter.Num("min_lr", 0, ValueRange.NonNegative)),
        new Signature(
            "linear",
            Parameter.Num("start_factor", 1.0 / 3, ValueRange.UnitLeftOpen),
            Parameter.Num("end_factor", 1.0, ValueRange.Probability),
            Parameter.Int("steps", 5, ValueRange.AtLeastOne)),
        new Signature(
            "onecycle",
            Parameter.RequiredNum("max_lr", ValueRange.Positive),
            Parameter.Int("steps", null, ValueRange.AtLeastOne),
            Parameter.Num("pct_start", 0.3, ValueRange.UnitExclusive),
            Parameter.Choice("anneal", "cos", "cos", "linear"),
            Parameter.Num("div_factor", 25, ValueRange.Positive),
            Parameter.Num("final_div_factor", 1e4, ValueRange.Positive)),
        new Signature(
            "plateau",
            new Parameter("monitor", ParameterType.Monitor, new NameValue("loss")),
            Parameter.Choice("mode", null, "min", "max"),
            Parameter.Num("factor", 0.1, ValueRange.UnitExclusive),
            Parameter.Int("patience", 10, ValueRange.NonNegative),
            Parameter.Num("min_lr", 0, ValueRange.NonNegative)));

    /// <summary>Whether a schedule ends by itself, so that another may follow it in a chain.</summary>
    public static bool IsBounded(Setting schedule) => schedule.Name switch
    {
        "warmup" or "linear" => true,
        "cosine" or "onecycle" => schedule["steps"] is not null,
        _ => false,
    };

    public static readonly Signature L2 = new("l2", Parameter.RequiredNum("lambda", ValueRange.NonNegative));

    public static readonly Signature Temperature = new("temperature", Parameter.RequiredNum("t", ValueRange.Positive));

    public static readonly Signature EarlyStop = new(
        "early_stop",
        new Parameter("monitor", ParameterType.Monitor, Required: true),
        Parameter.Int("patience", 3, ValueRange.AtLeastOne),
        Parameter.Choice("mode", null, "min", "max"),
        Parameter.Num("min_delta", 0, ValueRange.NonNegative));

    public const string Proportional = "proportional";
    public const string RoundRobin = "round_robin";

    public static readonly IReadOnlyList<string> SamplingWords = [Proportional, RoundRobin, Temperature.Name];

    /// <summary>Single-value statements of <c>train { }</c>: the parameter the value binds to.</summary>
    public static readonly Dictionary<string, Parameter> TrainValues = new Parameter[]
    {
        Parameter.Int("epochs", 10, ValueRange.AtLeastOne),
        Parameter.Int("batch_size", 32, ValueRange.AtLeastOne),
        Parameter.Num("clip_grad_norm", null, ValueRange.Positive),
        Parameter.Int("accumulate", 1, ValueRange.AtLeastOne),
        Parameter.Int("seed", null, ValueRange.NonNegative),
        Parameter.Choice("update", "joint", "joint", "alternate"),
    }.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public const string Sampling = "sampling";
    public const string Tie = "tie";

    public static IEnumerable<string> TrainStatements => TrainValues.Keys.Concat([EarlyStop.Name, Sampling, Tie]);

    public const string Group = "group";

    private static Signature Adam(string name, double weightDecay) => new(
        name,
        Parameter.Num("lr", 1e-3, ValueRange.Positive),
        new Parameter(
            "betas",
            ParameterType.NumberList,
            new ListValue(EquatableArray.Create<OptionValue>(new NumberValue(0.9), new NumberValue(0.999))),
            Range: ValueRange.UnitOpen,
            Length: 2),
        Parameter.Num("eps", 1e-8, ValueRange.Positive),
        Parameter.Num("weight_decay", weightDecay, ValueRange.NonNegative),
        Parameter.Bool("amsgrad", false));

    private static Dictionary<string, Signature> ToDictionary(params Signature[] signatures) =>
        signatures.ToDictionary(s => s.Name, StringComparer.Ordinal);
}
