namespace Mtl.Dsl.Model;

/// <summary>
/// The C# spellings of a declared name: <see cref="Pascal"/> for types and properties
/// (<c>income_band</c> -&gt; <c>IncomeBand</c>) and <see cref="Camel"/> for parameters and locals
/// (<c>incomeBand</c>, or <c>@class</c> where the camel form is a C# keyword).
/// </summary>
public sealed record CSharpName(string Pascal, string Camel);

/// <param name="Source">The table columns the input is read from, or null when the file names none.</param>
/// <param name="IgnoreIndex">The class target that marks an unlabelled pixel, a padding token or a missing class label (<c>ignore</c> of the class kinds; -1 unless written).</param>
/// <param name="Standardize">Whether the model standardises the input with statistics fitted on the training data.</param>
public sealed record ModelInput(string Name, CSharpName CSharpName, TensorType Type, string? Doc, ColumnSource? Source = null, bool Standardize = false);

public sealed record SharedBlock(string Name, CSharpName CSharpName, Pipeline Pipeline, string? Doc)
{
    public long ParameterCount => Pipeline.ParameterCount;
}

/// <param name="Size">n of regression(n), k of classes(k) and multilabel(k); 1 for binary.</param>
/// <param name="Target">The label each example carries: from the kind (classes: long scalar class index).</param>
/// <param name="MissingLabels">Whether a label may be absent (NaN, or -1 for class indices) and is then skipped.</param>
/// <param name="Label">The table column(s) holding the label, or null when the file names none.</param>
/// <param name="Standardize">Whether a regression label is standardised for training (statistics fitted on the training data); predictions come back in original units.</param>
public sealed record TaskHead(
    string Name,
    CSharpName CSharpName,
    TaskKind Kind,
    int Size,
    Pipeline Pipeline,
    Setting Loss,
    double Weight,
    EquatableArray<string> Metrics,
    bool MissingLabels,
    TensorType Target,
    string? Doc,
    ColumnSource? Label = null,
    bool Standardize = false,
    long IgnoreIndex = Mtl.Catalog.TaskCatalog.IgnoreIndex)
{
    public long ParameterCount => Pipeline.ParameterCount;
}

/// <summary>Optimizer options for the parameters of one block or task (only the options written).</summary>
public sealed record ParameterGroup(string Block, EquatableArray<Option> Options);

public sealed record Optimizer(Setting Setting, EquatableArray<ParameterGroup> Groups);

public enum MonitorMode
{
    Min,
    Max,
}

/// <param name="Task">The monitored task, or null for the total validation loss.</param>
/// <param name="Metric">A metric of the task, or <c>loss</c>.</param>
public sealed record EarlyStop(string? Task, string Metric, int Patience, MonitorMode Mode, double MinDelta);

/// <param name="Temperature">T of temperature(T); 0 for the other kinds.</param>
public sealed record Sampling(SamplingKind Kind, double Temperature);

/// <summary>Soft parameter sharing: λ·‖θ_first − θ_second‖² added to the objective.</summary>
public sealed record Tie(string First, string Second, double Lambda);

/// <summary>
/// <c>init block from "path" prefix "p."</c>: the block's (or task head's) parameters and buffers
/// are loaded from a safetensors file when the model is built, tensor <c>Prefix + name</c> for
/// each name of the block's own state (<c>0.weight</c>, <c>0.bias</c>, ...).
/// </summary>
/// <param name="Path">The file as written; a relative path resolves against the current directory at run time.</param>
/// <param name="Prefix">Prepended to each tensor name of the block to find it in the file; empty without <c>prefix</c>.</param>
public sealed record BlockInit(string Block, string Path, string Prefix);

/// <param name="ClipGradNorm">Max gradient norm, or null for no clipping.</param>
/// <param name="Seed">The random seed (42 unless the file sets one).</param>
/// <param name="Frozen">The blocks and task heads of <c>freeze</c>: no gradient, no update, kept in evaluation mode.</param>
/// <param name="Epochs">The run's epochs; with <see cref="Stages"/>, the epochs of each stage that sets none.</param>
public sealed record Training(
    int Epochs,
    int BatchSize,
    double? ClipGradNorm,
    int Accumulate,
    long Seed,
    EarlyStop? EarlyStop,
    UpdateMode Update,
    Sampling Sampling,
    EquatableArray<Tie> Ties,
    EquatableArray<string> Frozen)
{
    /// <summary>The <c>stage</c>s, run in order; empty for a run without stages.</summary>
    public EquatableArray<Stage> Stages { get; init; } = EquatableArray<Stage>.Empty;

    /// <summary><c>relatedness(every: N)</c>: measure task relatedness every N optimizer steps; null when the file does not ask.</summary>
    public int? Relatedness { get; init; }
}

/// <summary>
/// <c>stage name { ... }</c> in <c>train { }</c>: a phase of training with its own epochs, tasks,
/// optimizer, schedule, frozen blocks and early stopping; what it does not set it inherits.
/// </summary>
/// <param name="Epochs">The stage's epochs: its own, or the train section's.</param>
/// <param name="Tasks">The tasks whose losses flow (<c>tasks a, b</c>); empty: every task.</param>
/// <param name="Optimizer">The stage's own optimizer, or null for the model's (either is new at the stage's start).</param>
/// <param name="Schedule">The stage's own schedule chain, or null for the model's (either built over the stage).</param>
/// <param name="Frozen">The blocks the stage freezes with <c>freeze</c>, besides the train section's.</param>
/// <param name="Idle">The heads of the stage's inactive tasks that no active task reads: held fixed in the stage.</param>
/// <param name="EarlyStop">The stage's own early stopping, or null for the train section's (counted afresh).</param>
public sealed record Stage(
    string Name,
    int Epochs,
    EquatableArray<string> Tasks,
    Optimizer? Optimizer,
    EquatableArray<Setting>? Schedule,
    EquatableArray<string> Frozen,
    EquatableArray<string> Idle,
    EarlyStop? EarlyStop);
