using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>How <see cref="Merge"/> joins its branches.</summary>
public enum MergeMode
{
    /// <summary><c>concat(a, b, dim: d)</c>: joined along one dimension.</summary>
    Concat,

    /// <summary><c>add(a, b)</c>: summed element-wise.</summary>
    Add,
}

/// <summary>
/// A pipeline whose source is <c>concat(...)</c> or <c>add(...)</c>: each source tensor first runs
/// through its own branch (empty for a bare reference), the results are joined, then the layers
/// after the merge run. Parameters are named <c>branches.{i}.*</c> and <c>layers.*</c>.
/// </summary>
public sealed class Merge : nn.Module<IReadOnlyList<Tensor>, Tensor>
{
    public Merge(MergeMode mode, long dim, IReadOnlyList<Sequential> branches, Sequential layers) : base(nameof(Merge))
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Count < 2) throw new ArgumentException($"a merge needs at least two branches, not {branches.Count}", nameof(branches));
        Mode = mode;
        Dim = dim;
        Branches = new ModuleList<Sequential>(branches.ToArray());
        Layers = layers;
        register_module("branches", Branches);
        register_module("layers", Layers);
    }

    public MergeMode Mode { get; }

    /// <summary>The concat dimension, counted with the batch as dimension 0.</summary>
    public long Dim { get; }

    public ModuleList<Sequential> Branches { get; }

    public Sequential Layers { get; }

    public override Tensor forward(IReadOnlyList<Tensor> sources)
    {
        var merged = Join(sources);
        return Layers.Count == 0 ? merged : Layers.forward(merged);
    }

    /// <summary>
    /// Runs the merge with the padding mask <c>[N, T]</c> its sources carry (a concat over the
    /// features or an add keeps the positions), for the layers after it
    /// (<see cref="Sequential.with_incoming_mask"/>); returns the output and the mask those layers
    /// hand on, as <see cref="Sequential.forward_masked"/> does.
    /// </summary>
    public (Tensor Output, Tensor? Mask) forward_masked(IReadOnlyList<Tensor> sources, Tensor? mask)
    {
        var merged = Join(sources);
        if (Layers.Count == 0 && Layers.Mask is null && mask is null) return (merged, null);
        return Layers.forward_masked(merged, mask);
    }

    private Tensor Join(IReadOnlyList<Tensor> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count != Branches.Count) throw new ArgumentException($"this merge takes {Branches.Count} sources, not {sources.Count}", nameof(sources));
        var parts = new Tensor[sources.Count];
        for (var i = 0; i < parts.Length; i++) parts[i] = Branches[i].forward(sources[i]);
        if (Mode == MergeMode.Concat) return cat(parts, Dim);
        var merged = parts[0] + parts[1];
        for (var i = 2; i < parts.Length; i++) merged = merged + parts[i];
        return merged;
    }
}
