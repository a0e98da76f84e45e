namespace Mtl.Training;

/// <summary>What a box of the architecture drawing stands for.</summary>
public enum ArchitectureNodeKind
{
    /// <summary>A named input of the model.</summary>
    Input,

    /// <summary>A shared block: a pipeline of layers (or a merge of branches, then layers).</summary>
    Shared,

    /// <summary>
    /// A block with one output per task (<c>mmoe</c>, <c>cgc</c>, <c>ple</c>, <c>cross_stitch</c>),
    /// drawn as a compound box around its parts (the nodes whose <see cref="ArchitectureNode.Parent"/> it is).
    /// </summary>
    Mixture,

    /// <summary>A part of a mixture: its experts (shared, or one task's), or a cross-stitch task tower.</summary>
    Experts,

    /// <summary>A part of a mixture: a task's gate, the shared gate of a <c>ple</c> level, or the cross-stitch units.</summary>
    Gate,

    /// <summary>A task head.</summary>
    Task,
}

/// <summary>What an arrow of the architecture drawing stands for.</summary>
public enum ArchitectureEdgeKind
{
    /// <summary>A block or task reads an input's or a block's output.</summary>
    Data,

    /// <summary>A hierarchical task (or block) reads a task's output.</summary>
    Hierarchical,

    /// <summary>Soft parameter sharing between two blocks: λ·‖θ_from − θ_to‖² (<c>tie a, b l2(λ)</c>).</summary>
    Tie,
}

/// <summary>One box of the drawing: an input, a shared block, a mixture or one of its parts, or a task head.</summary>
/// <param name="Name">The .mtl name (a mixture's parts: the block's name, a dot, then the part, <c>mix.gate.income</c>); unique in the architecture.</param>
/// <param name="Kind">What the box stands for.</param>
/// <param name="Shape">The per-example output shape as the .mtl file writes it, <c>[64]</c> or <c>[3, 32, 32]</c> (of a mixture: each task's output).</param>
/// <param name="Parameters">The trainable parameters, as PyTorch counts them (of a mixture: all its parts together).</param>
/// <param name="Summary">The layers in short, <c>linear(64) → relu → linear(32)</c>; empty for an input.</param>
public sealed record ArchitectureNode(string Name, ArchitectureNodeKind Kind, string Shape, long Parameters, string Summary)
{
    /// <summary>The element type of an input (<c>float</c>, <c>long</c>, ...); null for the other kinds.</summary>
    public string? DType { get; init; }

    /// <summary>The mixture a part belongs to (drawn inside its box); null for a box of its own.</summary>
    public string? Parent { get; init; }

    /// <summary>A word on the kind: a task's kind (<c>classes(7)</c>), a mixture's (<c>mmoe</c>, 4 experts); null for none.</summary>
    public string? Detail { get; init; }
}

/// <summary>One arrow of the drawing.</summary>
/// <param name="From">The node read (for a tie, the first block).</param>
/// <param name="To">The node that reads it (for a tie, the second block).</param>
/// <param name="Kind">What the arrow stands for.</param>
public sealed record ArchitectureEdge(string From, string To, ArchitectureEdgeKind Kind)
{
    /// <summary>The task whose output of a mixture is read (<c>mix.income</c>); null when the whole output is read.</summary>
    public string? Member { get; init; }

    /// <summary>λ of a tie; null for the other kinds.</summary>
    public double? Lambda { get; init; }
}

/// <summary>
/// An immutable description of a model's architecture for the drawing in <c>report.html</c>
/// (<see cref="ArchitectureDiagram"/>): inputs, shared blocks, mixtures with their experts and
/// gates, and task heads, with output shapes and parameter counts, and the arrows between them.
/// A generated model has one as its static <c>Architecture</c>. Nodes are listed so that each
/// comes after the nodes it reads (inputs first); equality compares every node and edge in order.
/// </summary>
/// <param name="Model">The model's name.</param>
/// <param name="Nodes">The boxes: inputs first, each node after those it reads, a mixture's parts after it.</param>
/// <param name="Edges">The arrows: data and hierarchical ones in the order of the nodes that read, then the ties.</param>
public sealed record ModelArchitecture(string Model, IReadOnlyList<ArchitectureNode> Nodes, IReadOnlyList<ArchitectureEdge> Edges)
{
    /// <summary>The model's trainable parameters: the sum over the boxes of their own (a mixture's parts are counted in the mixture).</summary>
    public long TotalParameters => Nodes.Where(n => n.Parent is null).Sum(n => n.Parameters);

    public bool Equals(ModelArchitecture? other) =>
        other is not null && Model == other.Model && Nodes.SequenceEqual(other.Nodes) && Edges.SequenceEqual(other.Edges);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Model);
        foreach (var node in Nodes) hash.Add(node);
        foreach (var edge in Edges) hash.Add(edge);
        return hash.ToHashCode();
    }
}
