using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// The language's view of the shared tables (Mtl.Catalog): weighting methods, optimizers,
/// schedules and train statements, as the binders look them up.
/// </summary>
internal static class SettingCatalog
{
    public static IReadOnlyDictionary<string, SettingSpec> Weightings => WeightingCatalog.All;

    public static IReadOnlyDictionary<string, SettingSpec> Optimizers => OptimizerCatalog.All;

    public static IReadOnlyDictionary<string, SettingSpec> Schedules => ScheduleCatalog.All;

    /// <summary>Whether a schedule ends by itself, so that another may follow it in a chain.</summary>
    public static bool IsBounded(Setting schedule) => ScheduleCatalog.IsBounded(schedule.Name, schedule["steps"] is not null);

    public static SettingSpec L2 => TrainCatalog.L2;

    public static SettingSpec Temperature => TrainCatalog.Temperature;

    public static SettingSpec EarlyStop => TrainCatalog.EarlyStop;

    public static SettingSpec Relatedness => TrainCatalog.Relatedness;

    public const string Proportional = TrainCatalog.Proportional;
    public const string RoundRobin = TrainCatalog.RoundRobin;

    public static IReadOnlyList<string> SamplingWords => TrainCatalog.SamplingWords;

    /// <summary>Single-value statements of <c>train { }</c>: the option the value binds to.</summary>
    public static IReadOnlyDictionary<string, OptionSpec> TrainValues => TrainCatalog.Values;

    public const string Sampling = "sampling";
    public const string Tie = "tie";
    public const string Freeze = "freeze";

    public const string Stage = "stage";
    public const string Tasks = "tasks";

    public static IEnumerable<string> TrainStatements => TrainValues.Keys.Concat([EarlyStop.Name, Sampling, Tie, Freeze, Stage, Relatedness.Name]);

    /// <summary>What a <c>stage</c> may set; everything else of <c>train { }</c> holds for the whole run.</summary>
    public static IReadOnlyList<string> StageStatements => ["epochs", Tasks, Keywords.Optimizer, Keywords.Schedule, Freeze, EarlyStop.Name];

    public const string Group = "group";
}
