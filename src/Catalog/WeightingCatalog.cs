namespace Mtl.Catalog;

/// <summary>
/// The task-weighting methods (<c>weighting name(options)</c>) with their options, defaults and
/// ranges. Mtl.Runtime's <c>TaskWeighting.Create</c> reads the same table, so a default here is
/// the default there. docs/training.md names the paper and code each default comes from.
/// </summary>
public static class WeightingCatalog
{
    public const string Fixed = "fixed";

    /// <summary>
    /// The option that says where a gradient method takes the task gradients: at the shared
    /// parameters (<see cref="Parameters"/>, the default) or at the shared representation z every
    /// task reads (<see cref="Representation"/>: one backward pass per task through its head, then
    /// one through the trunk with the combined gradient of z).
    /// </summary>
    public const string Gradients = "gradients";

    public const string Parameters = "parameters";

    public const string Representation = "representation";

    /// <summary><c>mgda(ub: true)</c>: MGDA-UB, the paper's spelling of <c>gradients: representation</c>.</summary>
    public const string UpperBound = "ub";

    private static readonly OptionSpec GradientsOption = OptionSpec.Choice(Gradients, Parameters, Parameters, Representation);

    public static IReadOnlyDictionary<string, SettingSpec> All { get; } = new SettingSpec[]
    {
        new(Fixed),
        new("uncertainty"),
        new("dwa", OptionSpec.Num("temperature", 2.0, ValueRange.Positive)),
        new("gradnorm", OptionSpec.Num("alpha", 1.5, ValueRange.NonNegative), OptionSpec.Num("lr", 0.025, ValueRange.Positive)),
        new("rlw"),
        new("pcgrad"),
        new("mgda", OptionSpec.Bool(UpperBound, false), OptionSpec.Choice("normalization", "none", "none", "l2", "loss", "loss_plus"), GradientsOption),
        new("cagrad", OptionSpec.Num("c", 0.4, ValueRange.UnitOpen)),
        new("imtl", OptionSpec.Choice("mode", "hybrid", "hybrid", "gradient", "loss"), GradientsOption),
        new("graddrop", OptionSpec.Num("leak", 0.0, ValueRange.Probability), GradientsOption),
        new("gradvac", OptionSpec.Num("beta", 0.01, ValueRange.UnitLeftOpen)),
        new("aligned_mtl", GradientsOption),
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

    /// <summary>
    /// The methods that can take their task gradients at the shared representation: those with
    /// the <see cref="Gradients"/> option, the methods whose papers define that mode (MGDA-UB,
    /// IMTL, GradDrop on activations, Aligned-MTL-UB; docs/training.md). PCGrad, CAGrad, GradVac
    /// and Nash-MTL work on parameter gradients in their papers and reference code, GradNorm
    /// measures norms at the last shared layer's weights and the loss-based methods take no task
    /// gradients, so they have no such option.
    /// </summary>
    public static IReadOnlyList<string> RepresentationMethods { get; } = All.Values.Where(s => s.Option(Gradients) is not null).Select(s => s.Name).ToList();

    /// <summary>
    /// Why <paramref name="method"/>, which has no <see cref="Gradients"/> option, cannot be given
    /// one: the message of the language's error and of the runtime's.
    /// </summary>
    public static string WithoutRepresentation(string method) =>
        $"'{method}' has no representation-gradient mode: 'gradients' is an option of {string.Join(", ", RepresentationMethods)} only";

    /// <summary>
    /// Whether the options of <paramref name="method"/> (written or defaults) ask for the task gradients at the shared representation: <c>gradients: representation</c>, or for
    /// <c>mgda</c> its MGDA-UB spelling <c>ub: true</c>.
    /// </summary>
    public static bool TakesRepresentation(string method, IReadOnlyDictionary<string, OptionValue?> options) =>
        (options.TryGetValue(Gradients, out var gradients) && gradients is NameValue { Value: Representation })
        || (method == "mgda" && options.TryGetValue(UpperBound, out var ub) && ub is BooleanValue { Value: true });

    /// <summary>
    /// Why the options written for <paramref name="method"/> cannot go together, or null: for
    /// <c>mgda</c>, <c>ub</c> and <c>gradients</c> both written must say the same (ub: true is
    /// gradients: representation, ub: false gradients: parameters).
    /// </summary>
    public static string? Conflict(string method, IReadOnlyDictionary<string, OptionValue?> written) =>
        method == "mgda"
        && written.TryGetValue(UpperBound, out var ub) && ub is BooleanValue flag
        && written.TryGetValue(Gradients, out var gradients) && gradients is NameValue word
        && flag.Value != (word.Value == Representation)
            ? $"'ub: {(flag.Value ? "true" : "false")}' means 'gradients: {(flag.Value ? Representation : Parameters)}', so it contradicts 'gradients: {word.Value}'"
            : null;

    /// <summary>The method names in the order the docs list them.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Keys.ToList();
}
