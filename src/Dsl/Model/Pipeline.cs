
namespace Mtl.Dsl.Model;

/// <summary><c>source -&gt; layer -&gt; layer</c> after binding.</summary>
public sealed record Pipeline(PipelineSource Source, EquatableArray<Layer> Layers, TensorType Output)
{
    public long ParameterCount => Saturating.Sum(
        Layers.Select(l => l.ParameterCount)
            .Concat(Source is MergeSource merge ? merge.Branches.Select(b => b.ParameterCount) : []));
}

public abstract record PipelineSource(TensorType Output);

public enum SourceKind
{
    Input,
    Shared,
    Task,
}

/// <summary>A named input, shared block or (for hierarchical tasks) an earlier task's output.</summary>
/// <param name="Member">
/// For a block with one output per task (<c>mmoe</c>), the task whose output is read
/// (<c>mix.income</c>); null for a block, input or task read whole.
/// </param>
public sealed record ReferenceSource(string Name, SourceKind Kind, TensorType Output, string? Member = null) : PipelineSource(Output);

public enum MergeKind
{
    Concat,
    Add,
}

/// <summary>
/// <c>concat(a, b)</c> or <c>add(a, b)</c>. <see cref="Dim"/> is the concat dimension counted as
/// PyTorch counts it (the batch dimension is 0), always positive; 0 for add.
/// </summary>
public sealed record MergeSource(MergeKind Kind, int Dim, EquatableArray<Pipeline> Branches, TensorType Output)
    : PipelineSource(Output);
