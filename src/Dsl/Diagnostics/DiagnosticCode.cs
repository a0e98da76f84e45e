namespace Mtl.Dsl.Diagnostics;

/// <summary>
/// Every diagnostic the compiler reports. The number is the code's digits (MTL0001 ...), grouped
/// by stage: 1-99 syntax, 100-199 names, 200-299 shapes and types, 300-399 options and values.
/// </summary>
public enum DiagnosticCode
{
    UnexpectedCharacter = 1,
    UnterminatedComment = 2,
    NumberOutOfRange = 3,
    UnexpectedToken = 4,
    UnknownStatement = 5,
    NestingTooDeep = 6,
    StatementOutsideModel = 7,
    MisplacedNamespace = 8,
    DocCommentNotAttached = 9,
    NoModel = 10,
    NonAsciiName = 11,
    UnterminatedString = 12,

    UnknownName = 100,
    DuplicateName = 101,
    Cycle = 102,
    Unused = 103,
    IdentifierCollision = 104,
    InvalidIdentifier = 105,
    UnknownLayer = 106,
    DuplicateModel = 107,
    NotABlock = 108,
    DuplicateGroup = 109,
    NoTasks = 110,
    UnknownMonitorTask = 111,
    UnknownMonitorMetric = 112,
    ReservedName = 113,
    WeightingNeedsShared = 114,

    WrongRank = 200,
    EmptyOutput = 201,
    ConcatMismatch = 202,
    AddMismatch = 203,
    ResidualMismatch = 204,
    TaskOutputMismatch = 205,
    WrongDType = 206,
    GroupsMismatch = 207,
    DimOutOfRange = 208,
    TieMismatch = 209,
    ShapeTooLarge = 210,
    PaddingTooLarge = 211,

    UnknownOption = 300,
    TooManyArguments = 301,
    MissingArgument = 302,
    DuplicateArgument = 303,
    WrongValueType = 304,
    ValueOutOfRange = 305,
    UnknownChoice = 306,
    MetricDoesNotFit = 307,
    LossDoesNotFit = 308,
    DuplicateStatement = 309,
    UnboundedSchedule = 310,
    PositionalAfterNamed = 311,
    MilestonesNotIncreasing = 312,
    ClassWeightsLength = 313,
    StatementForm = 314,
    OptionsConflict = 315,

    InternalError = 9999,
}
