namespace Mtl.Dsl.Diagnostics;

/// <summary>
/// What a host (the source generator, an editor) needs to know of each code before any file is
/// compiled: its id, title, category, default severity, message format and help link. The titles
/// are the headings of docs/diagnostics.md, where each code has its section.
/// </summary>
public static class DiagnosticCatalog
{
    /// <summary>Where the codes are documented, relative to the repository root; each code's section is an anchor in it.</summary>
    public const string HelpBase = "docs/diagnostics.md";

    private static readonly Dictionary<DiagnosticCode, string> Titles = new()
    {
        [DiagnosticCode.UnexpectedCharacter] = "unexpected character",
        [DiagnosticCode.UnterminatedComment] = "unterminated block comment",
        [DiagnosticCode.NumberOutOfRange] = "number out of range",
        [DiagnosticCode.UnexpectedToken] = "unexpected token",
        [DiagnosticCode.UnknownStatement] = "unknown statement",
        [DiagnosticCode.NestingTooDeep] = "nesting too deep",
        [DiagnosticCode.StatementOutsideModel] = "statement outside a model",
        [DiagnosticCode.MisplacedNamespace] = "misplaced namespace",
        [DiagnosticCode.DocCommentNotAttached] = "doc comment documents nothing",
        [DiagnosticCode.NoModel] = "file declares no model",
        [DiagnosticCode.NonAsciiName] = "non-ASCII name",
        [DiagnosticCode.UnterminatedString] = "unterminated string",
        [DiagnosticCode.UnknownName] = "unknown name",
        [DiagnosticCode.DuplicateName] = "duplicate name",
        [DiagnosticCode.Cycle] = "cycle",
        [DiagnosticCode.Unused] = "unused declaration",
        [DiagnosticCode.IdentifierCollision] = "C# name collision",
        [DiagnosticCode.InvalidIdentifier] = "invalid C# name",
        [DiagnosticCode.UnknownLayer] = "unknown layer",
        [DiagnosticCode.DuplicateModel] = "duplicate model",
        [DiagnosticCode.NotABlock] = "input where a block is expected",
        [DiagnosticCode.DuplicateGroup] = "block in two parameter groups",
        [DiagnosticCode.NoTasks] = "model without tasks",
        [DiagnosticCode.UnknownMonitorTask] = "monitor names an unknown task",
        [DiagnosticCode.ReservedName] = "name reserved by the generated code",
        [DiagnosticCode.WeightingNeedsShared] = "weighting needs shared parameters",
        [DiagnosticCode.NoColumns] = "input without columns",
        [DiagnosticCode.UnknownMonitorMetric] = "monitor names a metric the task does not report",
        [DiagnosticCode.BlockWithoutParameters] = "block without parameters",
        [DiagnosticCode.BlockGivenTwice] = "block given twice",
        [DiagnosticCode.NothingToTrain] = "nothing to train",
        [DiagnosticCode.WeightingNeedsTrainable] = "weighting needs trainable shared parameters",
        [DiagnosticCode.UnknownStageTask] = "stage trains an unknown task",
        [DiagnosticCode.DuplicateStage] = "duplicate stage",
        [DiagnosticCode.StageNothingToTrain] = "stage with nothing to train",
        [DiagnosticCode.NotInStage] = "statement not allowed in a stage",
        [DiagnosticCode.StageWeightingNeedsTrainable] = "stage leaves the weighting no trainable shared parameters",
        [DiagnosticCode.UnknownTaskOutput] = "unknown task output",
        [DiagnosticCode.MixtureReadWhole] = "mixture of experts read whole",
        [DiagnosticCode.TaskOutputUnread] = "task output never read",
        [DiagnosticCode.GateForUnknownTask] = "gate for an unknown task",
        [DiagnosticCode.WrongRank] = "wrong input rank",
        [DiagnosticCode.EmptyOutput] = "empty output",
        [DiagnosticCode.ConcatMismatch] = "concat shapes do not agree",
        [DiagnosticCode.AddMismatch] = "add shapes differ",
        [DiagnosticCode.ResidualMismatch] = "residual changes the shape",
        [DiagnosticCode.TaskOutputMismatch] = "task output does not fit the kind",
        [DiagnosticCode.WrongDType] = "wrong element type",
        [DiagnosticCode.GroupsMismatch] = "groups do not divide the channels",
        [DiagnosticCode.DimOutOfRange] = "dim out of range",
        [DiagnosticCode.TieMismatch] = "tied blocks differ",
        [DiagnosticCode.ShapeTooLarge] = "shape too large",
        [DiagnosticCode.PaddingTooLarge] = "pool padding too large",
        [DiagnosticCode.ColumnCountMismatch] = "wrong number of columns",
        [DiagnosticCode.ExpertDoesNotChain] = "expert cannot read its own output",
        [DiagnosticCode.NotAPermutation] = "permute dims are not a permutation",
        [DiagnosticCode.EmbeddingIntoConv1d] = "conv1d over the embedding dims",
        [DiagnosticCode.OutputPaddingTooLarge] = "output padding too large",
        [DiagnosticCode.MaskNotCarried] = "padding mask left behind",
        [DiagnosticCode.PaddingIndexOutsideVocabulary] = "padding index outside the vocabulary",
        [DiagnosticCode.DimensionCountMismatch] = "one value per dimension does not match the input",
        [DiagnosticCode.RelationHeadsDiffer] = "task heads cannot be stacked",
        [DiagnosticCode.UnknownOption] = "unknown option",
        [DiagnosticCode.TooManyArguments] = "too many arguments",
        [DiagnosticCode.MissingArgument] = "missing argument",
        [DiagnosticCode.DuplicateArgument] = "duplicate argument",
        [DiagnosticCode.WrongValueType] = "wrong value type",
        [DiagnosticCode.ValueOutOfRange] = "value out of range",
        [DiagnosticCode.UnknownChoice] = "unknown choice",
        [DiagnosticCode.MetricDoesNotFit] = "metric does not fit the task",
        [DiagnosticCode.LossDoesNotFit] = "loss does not fit the task",
        [DiagnosticCode.DuplicateStatement] = "statement given twice",
        [DiagnosticCode.UnboundedSchedule] = "unbounded schedule inside a chain",
        [DiagnosticCode.PositionalAfterNamed] = "positional after named argument",
        [DiagnosticCode.MilestonesNotIncreasing] = "milestones not increasing",
        [DiagnosticCode.ClassWeightsLength] = "class weights do not match the classes",
        [DiagnosticCode.StatementForm] = "wrong statement form",
        [DiagnosticCode.OptionsConflict] = "options that cannot go together",
        [DiagnosticCode.CategoryCountMismatch] = "wrong number of categories",
        [DiagnosticCode.NoLabelColumn] = "task without a label column",
        [DiagnosticCode.LabelAmongInputs] = "label column among the inputs",
        [DiagnosticCode.FrozenGroup] = "parameter group of a frozen block",
        [DiagnosticCode.CategoriesExceedVocabulary] = "more categories than the embedding vocabulary",
        [DiagnosticCode.NoRepresentationGradients] = "no representation-gradient mode",
        [DiagnosticCode.MisplacedMixture] = "misplaced mixture of experts",
        [DiagnosticCode.GateListedTwice] = "task listed twice",
        [DiagnosticCode.MisplacedStitch] = "stitch outside a cross-stitch tower",
        [DiagnosticCode.NoStitch] = "cross-stitch tower without a stitch",
        [DiagnosticCode.OmegaSize] = "task covariance of the wrong size",
        [DiagnosticCode.OmegaNotSymmetric] = "task covariance not symmetric",
        [DiagnosticCode.OmegaNotPositiveDefinite] = "task covariance not positive definite",
        [DiagnosticCode.RegularizerTwice] = "regularizer given twice",
        [DiagnosticCode.DenseLabelColumns] = "dense task read from columns",
        [DiagnosticCode.SizeDoesNotFit] = "loss or metric does not fit the task size",
        [DiagnosticCode.PosWeightLength] = "positive weights do not match the labels",
        [DiagnosticCode.IgnoreIsAClass] = "ignore value is a class",
        [DiagnosticCode.InternalError] = "internal compiler error",
    };

    /// <summary>Every code the compiler can report, in numeric order.</summary>
    public static IReadOnlyList<DiagnosticCode> Codes { get; } =
        Enum.GetValues(typeof(DiagnosticCode)).Cast<DiagnosticCode>().OrderBy(c => (int)c).ToList();

    /// <summary>The code as it is printed: MTL0001.</summary>
    public static string Id(DiagnosticCode code) => "MTL" + ((int)code).ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    public static string Title(DiagnosticCode code) => Titles.TryGetValue(code, out var title) ? title : Id(code);

    /// <summary>The stage that reports the code: Syntax, Names, Shapes, Options (or Compiler for the internal error).</summary>
    public static string Category(DiagnosticCode code) => (int)code switch
    {
        < 100 => "Syntax",
        < 200 => "Names",
        < 300 => "Shapes",
        < 400 => "Options",
        _ => "Compiler",
    };

    public static DiagnosticSeverity Severity(DiagnosticCode code) => DiagnosticDescriptor.Severity(code);

    /// <summary>The message with <c>{0}</c>, <c>{1}</c>... where the particulars go.</summary>
    public static string MessageFormat(DiagnosticCode code) => DiagnosticDescriptor.Format(code);

    /// <summary>The code's section of docs/diagnostics.md (GitHub's anchor for its heading).</summary>
    public static string HelpLink(DiagnosticCode code)
    {
        var heading = Id(code) + ": " + Title(code) + (Severity(code) == DiagnosticSeverity.Warning ? " (warning)" : "");
        var anchor = new string(heading.ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-');
        return HelpBase + "#" + anchor;
    }
}
