
namespace Mtl.Dsl.Model;

/// <summary>
/// The semantic model of one <c>model</c> declaration: names resolved, the graph checked acyclic,
/// every shape inferred and every default applied. <see cref="SharedBlocks"/> and
/// <see cref="Tasks"/> are in an order in which each one's sources come first;
/// <see cref="Order"/> interleaves both in that order.
/// </summary>
/// <param name="L2">λ of <c>regularize l2(λ)</c>: λ·Σ‖θ‖² is added to the objective; 0 when absent.</param>
/// <param name="Schedule">The learning-rate schedules, run one after the other; empty for a constant rate.</param>
/// <param name="Inits">The <c>init</c> statements: blocks whose weights are loaded from a file when the model is built.</param>
public sealed record MtlModel(
    string Name,
    CSharpName CSharpName,
    string? Namespace,
    string? Doc,
    EquatableArray<ModelInput> Inputs,
    EquatableArray<SharedBlock> SharedBlocks,
    EquatableArray<TaskHead> Tasks,
    EquatableArray<string> Order,
    Setting Weighting,
    Optimizer Optimizer,
    double L2,
    EquatableArray<Setting> Schedule,
    Training Training,
    EquatableArray<BlockInit> Inits)
{
    /// <summary>
    /// The shared block every task reads directly (its output is the shared representation that
    /// MGDA-UB differentiates at), or null when the tasks read different sources.
    /// </summary>
    public string? SharedRepresentation => SharedRepresentationOf(Tasks);

    public static string? SharedRepresentationOf(IEnumerable<TaskHead> tasks)
    {
        var sources = tasks.Select(t => t.Pipeline.Source as ReferenceSource).ToList();
        if (sources.Count == 0 || sources.Any(s => s is null || s.Kind != SourceKind.Shared || s.Member is not null))
        {
            return null;
        }

        var names = sources.Select(s => s!.Name).Distinct().ToList();
        return names.Count == 1 ? names[0] : null;
    }

    /// <summary><c>regularize mtrl(...)</c>: the task-relation term over the heads' last layers; null when absent.</summary>
    public TaskRelation? Relation { get; init; }

    /// <summary>Whether the file says which table columns feed every input (then the generated dataset reads CSV files).</summary>
    public bool ReadsTable => Inputs.Count > 0 && Inputs.All(i => i.Source is not null);

    public long ParameterCount =>
        Saturating.Sum(SharedBlocks.Select(b => b.ParameterCount).Concat(Tasks.Select(t => t.ParameterCount)));
}
