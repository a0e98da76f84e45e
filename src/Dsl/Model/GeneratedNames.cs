namespace Mtl.Dsl.Model;

/// <summary>
/// The C# names the source generator gives a model's types, and the member names those types
/// already use, so that the language can reject an input, block or task whose C# name would
/// collide with them (MTL0113) and every other name generates code that compiles.
/// </summary>
public static class GeneratedNames
{
    /// <summary>The suffixes of the types generated for every model (<c>Census</c> + <c>Model</c>).</summary>
    public static IReadOnlyList<string> TypeSuffixes { get; } =
        ["Model", "Inputs", "Outputs", "Targets", "Example", "Dataset", "TaskDatasets", "Metrics", "Prediction", "Trainer", "Block"];

    public static string Model(MtlModel model) => model.CSharpName.Pascal + "Model";

    public static string Inputs(MtlModel model) => model.CSharpName.Pascal + "Inputs";

    public static string Outputs(MtlModel model) => model.CSharpName.Pascal + "Outputs";

    public static string Targets(MtlModel model) => model.CSharpName.Pascal + "Targets";

    public static string Example(MtlModel model) => model.CSharpName.Pascal + "Example";

    public static string Dataset(MtlModel model) => model.CSharpName.Pascal + "Dataset";

    public static string TaskDatasets(MtlModel model) => model.CSharpName.Pascal + "TaskDatasets";

    public static string Metrics(MtlModel model) => model.CSharpName.Pascal + "Metrics";

    public static string Prediction(MtlModel model) => model.CSharpName.Pascal + "Prediction";

    public static string Trainer(MtlModel model) => model.CSharpName.Pascal + "Trainer";

    /// <summary>The enum of the model's blocks and task heads with parameters, for <c>SaveBlock</c> and <c>LoadBlock</c>.</summary>
    public static string Block(MtlModel model) => model.CSharpName.Pascal + "Block";

    /// <summary>The metrics of one task: <c>Census</c> + <c>Income</c> + <c>Metrics</c>.</summary>
    public static string TaskMetrics(MtlModel model, TaskHead task) => model.CSharpName.Pascal + task.CSharpName.Pascal + "Metrics";

    /// <summary>
    /// Member names that the generated types holding one member per input, block or task (the
    /// model, inputs, outputs, targets, example, task datasets, metrics and prediction) already
    /// have or inherit: object's members, the module's (standardisation included), the model's
    /// block methods, and <c>ParameterCount</c>, <c>Architecture</c> and <c>Loss</c>. The model registers its
    /// standardisers as the modules <c>input_standardizers</c> and <c>target_standardizers</c>, whose
    /// C# names are reserved here so that no block or task can take those module names.
    /// </summary>
    public static IReadOnlyCollection<string> ReservedMembers { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals",
        "GetName", "Dispose", "RegisterComponents", "SharedModules", "LastSharedLayer", "SharedParameters", "TaskParameters",
        "DeclaredInputs", "ParameterCount", "Architecture", "Loss", "InputStandardizers", "TargetStandardizers", "OriginalUnits",
        "LearnedCategoryInputs", "LearnedCategories",
        "Freeze", "FrozenModules", "SaveBlock", "LoadBlock", "BlockOf",
    };

    /// <summary>Why a member with this C# name cannot be generated in <paramref name="model"/>, or null when it can.</summary>
    public static string? Conflict(string modelPascal, string memberPascal)
    {
        if (ReservedMembers.Contains(memberPascal)) return "a member the generated code already has";
        foreach (var suffix in TypeSuffixes)
        {
            if (memberPascal == modelPascal + suffix) return $"the generated type {memberPascal}";
        }
        return null;
    }
}
