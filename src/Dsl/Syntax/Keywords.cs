namespace Mtl.Dsl.Syntax;

/// <summary>The words that start declarations and statements.</summary>
internal static class Keywords
{
    public const string Namespace = "namespace";
    public const string Model = "model";
    public const string Input = "input";
    public const string Shared = "shared";
    public const string Task = "task";
    public const string Weighting = "weighting";
    public const string Optimizer = "optimizer";
    public const string Schedule = "schedule";
    public const string Regularize = "regularize";
    public const string Train = "train";
    public const string Init = "init";

    /// <summary>What may start a line directly inside a model.</summary>
    public static readonly string[] ModelStatements =
        [Input, Shared, Task, Weighting, Optimizer, Schedule, Regularize, Train, Init];

    /// <summary>The model statements a body inside a body (a <c>stage</c> of <c>train { }</c>) also takes: a stage's own optimizer and schedule.</summary>
    public static bool InStage(string word) => word is Optimizer or Schedule;

    public static bool StartsDeclaration(string word) =>
        word is Namespace or Model || Array.IndexOf(ModelStatements, word) >= 0;
}
