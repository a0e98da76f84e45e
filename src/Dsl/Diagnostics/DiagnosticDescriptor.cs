namespace Mtl.Dsl.Diagnostics;

/// <summary>The severity and message template of each <see cref="DiagnosticCode"/>.</summary>
internal static class DiagnosticDescriptor
{
    public static DiagnosticSeverity Severity(DiagnosticCode code) =>
        code is DiagnosticCode.Unused or DiagnosticCode.DocCommentNotAttached or DiagnosticCode.NoLabelColumn ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error;

    public static string Format(DiagnosticCode code) => code switch
    {
        DiagnosticCode.UnexpectedCharacter => "unexpected character {0}",
        DiagnosticCode.UnterminatedComment => "unterminated block comment: expected '*/'",
        DiagnosticCode.NumberOutOfRange => "number '{0}' is out of range",
        DiagnosticCode.UnexpectedToken => "expected {0}, found {1}",
        DiagnosticCode.UnknownStatement => "unknown {0} statement '{1}'",
        DiagnosticCode.NestingTooDeep => "nesting is deeper than {0} levels",
        DiagnosticCode.StatementOutsideModel => "'{0}' must be inside a model: start one with 'model Name'",
        DiagnosticCode.MisplacedNamespace => "'namespace' may appear once, before the first model",
        DiagnosticCode.DocCommentNotAttached => "'///' documents only a model, input, shared block or task: use '//' here",
        DiagnosticCode.NoModel => "file declares no model",
        DiagnosticCode.NonAsciiName => "name '{0}' has non-ASCII characters: names use ASCII letters, digits and '_'",
        DiagnosticCode.UnterminatedString => "unterminated string: expected '\"' before the end of the line",

        DiagnosticCode.UnknownName => "unknown {0} '{1}'",
        DiagnosticCode.DuplicateName => "'{0}' is already declared in model '{1}'",
        DiagnosticCode.Cycle => "'{0}' depends on itself: {1}",
        DiagnosticCode.Unused => "{0} '{1}' is never used by a task",
        DiagnosticCode.IdentifierCollision => "'{0}' and '{1}' both become the C# name '{2}'",
        DiagnosticCode.InvalidIdentifier => "'{0}' does not become a valid C# name",
        DiagnosticCode.UnknownLayer => "unknown layer '{0}'",
        DiagnosticCode.DuplicateModel => "model '{0}' is already declared in this file",
        DiagnosticCode.NotABlock => "'{0}' is an input: {1} takes a shared block or a task",
        DiagnosticCode.DuplicateGroup => "'{0}' is already in a parameter group",
        DiagnosticCode.NoTasks => "model '{0}' declares no tasks",
        DiagnosticCode.UnknownMonitorTask => "{0} monitors unknown task '{1}'",
        DiagnosticCode.UnknownMonitorMetric => "task '{0}' does not report '{1}': it reports {2}",
        DiagnosticCode.ReservedName => "'{0}' becomes the C# name '{1}', which the generated code uses for {2}",
        DiagnosticCode.WeightingNeedsShared => "weighting '{0}' needs {1}, but {2}",
        DiagnosticCode.NoColumns => "input '{0}' names no columns, but {1} from a table",
        DiagnosticCode.BlockWithoutParameters => "'{0}' has no parameters, so {1} has nothing to {2}",
        DiagnosticCode.BlockGivenTwice => "'{0}' is given to {1} more than once",
        DiagnosticCode.NothingToTrain => "model '{0}' has nothing to train: freeze holds every block with parameters ({1})",
        DiagnosticCode.WeightingNeedsTrainable => "weighting '{0}' {1} the shared parameters, but freeze holds every shared block with parameters ({2})",

        DiagnosticCode.WrongRank => "'{0}' expects {1} input; input is {2}",
        DiagnosticCode.EmptyOutput => "'{0}' leaves no output: input is {1}",
        DiagnosticCode.ConcatMismatch => "concat needs shapes that agree except along dim {0}; found {1}",
        DiagnosticCode.AddMismatch => "add needs equal shapes; found {0}",
        DiagnosticCode.ResidualMismatch => "residual body must keep the shape {0}; it produces {1}",
        DiagnosticCode.TaskOutputMismatch => "task '{0}' is {1}, so its output must be {2}; it is {3}",
        DiagnosticCode.WrongDType => "'{0}' expects {1} input; input is {2}",
        DiagnosticCode.GroupsMismatch => "'{0}' groups {1} must divide both in channels {2} and out channels {3}",
        DiagnosticCode.DimOutOfRange => "'{0}' dim {1} is out of range for input {2}",
        DiagnosticCode.TieMismatch => "tie needs blocks with the same parameters: '{0}' has {1}, '{2}' has {3}",
        DiagnosticCode.ShapeTooLarge => "{0} has more than 2147483647 elements per example",
        DiagnosticCode.PaddingTooLarge => "'{0}' padding {1} must be at most half the kernel {2}",
        DiagnosticCode.ColumnCountMismatch => "{0} has {1} value(s) per example ({2}), so it needs {1} column(s); found {3}",

        DiagnosticCode.UnknownOption => "'{0}' has no option '{1}'",
        DiagnosticCode.TooManyArguments => "'{0}' takes at most {1} positional argument(s); found {2}",
        DiagnosticCode.MissingArgument => "'{0}' needs '{1}'",
        DiagnosticCode.DuplicateArgument => "'{0}' is given twice to '{1}'",
        DiagnosticCode.WrongValueType => "'{1}' of {0} expects {2}; found '{3}'",
        DiagnosticCode.ValueOutOfRange => "'{1}' of {0} must be {2}; found {3}",
        DiagnosticCode.UnknownChoice => "unknown {0} '{1}'",
        DiagnosticCode.MetricDoesNotFit => "metric '{0}' does not fit task '{1}' ({2})",
        DiagnosticCode.LossDoesNotFit => "loss '{0}' does not fit task '{1}' ({2})",
        DiagnosticCode.DuplicateStatement => "'{0}' is given more than once",
        DiagnosticCode.UnboundedSchedule => "schedule '{0}' never ends, so it can only be the last in a chain",
        DiagnosticCode.PositionalAfterNamed => "'{0}' has a positional argument after a named one",
        DiagnosticCode.MilestonesNotIncreasing => "'milestones' of 'multistep' must increase; found {0}",
        DiagnosticCode.ClassWeightsLength => "'class_weights' needs {0} values for task '{1}'; found {2}",
        DiagnosticCode.StatementForm => "'{0}' expects {1}",
        DiagnosticCode.OptionsConflict => "'{0}': {1}",
        DiagnosticCode.CategoryCountMismatch => "task '{0}' is {1}, so its label lists {2} values; found {3}",
        DiagnosticCode.NoLabelColumn => "task '{0}' names no label column, so data read from a table has no labels for it",
        DiagnosticCode.LabelAmongInputs => "column '{0}' is the label of task '{1}' and is also read by input '{2}': the answer would be among the inputs",
        DiagnosticCode.FrozenGroup => "'{0}' is frozen, so its parameter group has nothing to update",

        DiagnosticCode.InternalError => "internal compiler error: {0}",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };
}
