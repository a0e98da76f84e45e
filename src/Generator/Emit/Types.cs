using Mtl.Dsl.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// Fully qualified names of the runtime types generated code uses: always <c>global::</c>, so a
/// user's own type named <c>Tensor</c> or <c>Trainer</c> in the same namespace changes nothing.
/// </summary>
internal static class Types
{
    public const string Tensor = "global::Mtl.Torch.Tensor";
    public const string Torch = "global::Mtl.Torch.torch";
    public const string Nn = "global::Mtl.Torch.torch.nn";
    public const string UpsampleMode = "global::Mtl.Torch.UpsampleMode";
    public const string ScalarType = "global::Mtl.Torch.ScalarType";
    public const string Module = "global::Mtl.Torch.torch.nn.Module";
    public const string Sequential = "global::Mtl.Torch.Modules.Sequential";
    public const string Linear = "global::Mtl.Torch.Modules.Linear";
    public const string Optimizer = "global::Mtl.Torch.Modules.Optimizer";
    public const string ParamGroup = "global::Mtl.Torch.Modules.ParamGroup";
    public const string Parameter = "global::Mtl.Torch.Modules.Parameter";
    public const string Optim = "global::Mtl.Torch.torch.optim";
    public const string MultiTaskModule = "global::Mtl.Training.MultiTaskModule";
    public const string MultiTaskOutput = "global::Mtl.Training.MultiTaskOutput";
    public const string ModelInputs = "global::Mtl.Training.ModelInputs";
    public const string InputDeclaration = "global::Mtl.Training.InputDeclaration";
    public const string LearnedCategoryInput = "global::Mtl.Training.LearnedCategoryInput";
    public const string TaskSpec = "global::Mtl.TaskSpec";
    public const string TaskKind = "global::Mtl.TaskKind";
    public const string LossKind = "global::Mtl.LossKind";
    public const string UpdateMode = "global::Mtl.UpdateMode";
    public const string SamplingKind = "global::Mtl.SamplingKind";
    public const string Trainer = "global::Mtl.Training.Trainer";
    public const string TrainerOptions = "global::Mtl.Training.TrainerOptions";
    public const string SingleTaskComparison = "global::Mtl.Training.SingleTaskComparison";
    public const string EarlyStopping = "global::Mtl.Training.EarlyStopping";
    public const string SoftTie = "global::Mtl.Training.SoftTie";
    public const string TaskRelation = "global::Mtl.Training.TaskRelation";
    public const string ModelArchitecture = "global::Mtl.Training.ModelArchitecture";
    public const string ArchitectureNode = "global::Mtl.Training.ArchitectureNode";
    public const string ArchitectureNodeKind = "global::Mtl.Training.ArchitectureNodeKind";
    public const string ArchitectureEdge = "global::Mtl.Training.ArchitectureEdge";
    public const string ArchitectureEdgeKind = "global::Mtl.Training.ArchitectureEdgeKind";
    public const string EpochRecord = "global::Mtl.Training.EpochRecord";
    public const string Checkpoint = "global::Mtl.Training.Checkpoint";
    public const string BlockWeights = "global::Mtl.Training.BlockWeights";
    public const string ParameterGroups = "global::Mtl.Training.ParameterGroups";
    public const string TrainingStage = "global::Mtl.Training.TrainingStage";
    public const string LearningRateSchedule = "global::Mtl.Training.LearningRateSchedule";
    public const string SchedulePhase = "global::Mtl.Training.SchedulePhase";
    public const string TaskWeighting = "global::Mtl.Training.Weighting.TaskWeighting";
    public const string Predictions = "global::Mtl.Training.Predictions";
    public const string BinaryPrediction = "global::Mtl.Training.BinaryPrediction";
    public const string ClassPrediction = "global::Mtl.Training.ClassPrediction";
    public const string MultilabelPrediction = "global::Mtl.Training.MultilabelPrediction";
    public const string MultiTaskDataset = "global::Mtl.Data.MultiTaskDataset";
    public const string TaskDatasets = "global::Mtl.Data.TaskDatasets";
    public const string DataValidation = "global::Mtl.Data.DataValidation";
    public const string TargetColumn = "global::Mtl.Data.TargetColumn";
    public const string Layers = "global::Mtl.Layers";
    public const string Standardizer = "global::Mtl.Training.Standardizer";
    public const string ModuleDict = "global::Mtl.Torch.Modules.ModuleDict";
    public const string CsvSchema = "global::Mtl.Data.CsvSchema";
    public const string CsvInput = "global::Mtl.Data.CsvInput";
    public const string CsvLabel = "global::Mtl.Data.CsvLabel";
    public const string ColumnSource = "global::Mtl.Data.ColumnSource";
    public const string CsvTable = "global::Mtl.Data.CsvTable";
    public const string CsvOptions = "global::Mtl.Data.CsvOptions";
    public const string CsvReport = "global::Mtl.Data.CsvReport";
    public const string TextReader = "global::System.IO.TextReader";
    public const string GeneratedCode = "global::System.CodeDom.Compiler.GeneratedCode";
    public const string Dictionary = "global::System.Collections.Generic.Dictionary";
    public const string ReadOnlyDictionary = "global::System.Collections.Generic.IReadOnlyDictionary";
    public const string ReadOnlyList = "global::System.Collections.Generic.IReadOnlyList";
    public const string Enumerable = "global::System.Collections.Generic.IEnumerable";
    public const string List = "global::System.Collections.Generic.List";

    /// <summary>The .NET element type of a dtype: what an example's array holds.</summary>
    public static string Element(DType dtype) => dtype switch
    {
        DType.Float => "float",
        DType.Double => "double",
        DType.Long => "long",
        DType.Int => "int",
        _ => "bool",
    };

    public static string ScalarTypeOf(DType dtype) => dtype switch
    {
        DType.Float => ScalarType + ".Float32",
        DType.Double => ScalarType + ".Float64",
        DType.Long => ScalarType + ".Int64",
        DType.Int => ScalarType + ".Int32",
        _ => ScalarType + ".Bool",
    };

    /// <summary>A list of strings as a C# array: <c>new string[] { "a", "b" }</c>.</summary>
    public static string Strings(IEnumerable<string> values) => "new string[] { " + string.Join(", ", values.Select(Literals.String)) + " }";

    public static string InputColumn(DType dtype) => $"global::Mtl.Data.InputColumn<{Element(dtype)}>";
}
