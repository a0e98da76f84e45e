namespace Mtl.Dsl.Model;

/// <summary>
/// Where a pipeline carries a padding mask: the ids entering layer <see cref="Source"/> (an
/// <c>embedding</c> with <c>padding_idx</c>) are compared with <see cref="PaddingIdx"/>, or, when
/// <see cref="Source"/> is <see cref="Incoming"/>, the mask arrives with the pipeline's source (a
/// block or task that ends carrying one); the layers after it up to <see cref="Last"/> that read a
/// mask (sequence reductions, <c>lstm</c>, <c>gru</c>) skip the padding positions. <see cref="Last"/>
/// is <see cref="Incoming"/> when no layer reads it. <see cref="CarriesOut"/>: the mask leaves with
/// the pipeline's output, for a later pipeline that reads it. <see cref="From"/>: the block or task
/// whose output brings an incoming mask (in a model's <see cref="SequenceMasks.Flows"/>).
/// </summary>
public sealed record MaskSpan(int Source, int Last, long PaddingIdx, bool CarriesOut = false, string? From = null)
{
    /// <summary>The <see cref="Source"/> of a mask that arrives with the pipeline's input.</summary>
    public const int Incoming = -1;
}

/// <summary>
/// The one rule for which layers carry an embedding's padding mask and which read it, used by the
/// language (the semantic model and docs) and by the generated code.
/// </summary>
public static class SequenceMasks
{
    /// <summary>
    /// The mask <paramref name="layers"/> carry, or null when none: an <c>embedding</c> with
    /// <c>padding_idx</c> over ids <c>[T]</c> starts one over T (dim 1), and so does a source that
    /// ends carrying one (<paramref name="incoming"/>); layers that keep every position in place
    /// carry it; a reduction over dim 1, or <c>lstm</c>/<c>gru</c> with <c>reduce: last</c> or
    /// <c>mean</c>, reads it last; <c>lstm</c>/<c>gru</c> with <c>reduce: none</c> reads it and
    /// carries it on; any other layer stops it. A mask carried to the end leaves with the output
    /// when <paramref name="carryOut"/> (a later pipeline reads it). A mask that no layer reads and
    /// that does not leave is no mask.
    /// </summary>
    public static MaskSpan? Plan(IReadOnlyList<Layer> layers, bool incoming = false, bool carryOut = false)
    {
        for (var i = incoming ? MaskSpan.Incoming : 0; i < layers.Count; i++)
        {
            long padding = 0;
            if (i >= 0)
            {
                if (Starts(layers[i]) is not { } starts)
                {
                    continue;
                }

                padding = starts;
            }

            var last = MaskSpan.Incoming;
            var live = true;
            for (var j = i + 1; j < layers.Count; j++)
            {
                var role = Role(layers[j]);
                if (role is MaskRole.Reads or MaskRole.ReadsAndCarries)
                {
                    last = j;
                }

                if (role is MaskRole.Reads or MaskRole.Stops)
                {
                    live = false;
                    break;
                }
            }

            var leaves = live && carryOut;
            if (last > i || leaves)
            {
                return new MaskSpan(i, last, padding, leaves);
            }

            if (i < 0)
            {
                // A mask arriving over [T, D] leaves no room for an embedding of ids [T] after it.
                return null;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a mask is still carried after the last of <paramref name="layers"/>, started by an
    /// embedding among them or arriving with their source (<paramref name="incoming"/>).
    /// </summary>
    public static bool CarriedToTheEnd(IReadOnlyList<Layer> layers, bool incoming = false)
    {
        var live = incoming;
        foreach (var layer in layers)
        {
            if (Starts(layer) is not null)
            {
                live = true;
                continue;
            }

            if (live && Role(layer) is MaskRole.Reads or MaskRole.Stops)
            {
                live = false;
            }
        }

        return live;
    }

    /// <summary>
    /// Each block's and task's mask in <paramref name="model"/>, by name, for those that carry one
    /// (the same rule as <see cref="Plan"/>): a pipeline starts with the mask of its source
    /// (<see cref="MaskFrom"/>), and a pipeline ending with a mask hands it on when a pipeline
    /// reading it (directly or through a chain) reads it.
    /// </summary>
    public static IReadOnlyDictionary<string, MaskSpan> Flows(MtlModel model)
    {
        var pipelines = new Dictionary<string, Pipeline>(StringComparer.Ordinal);
        foreach (var block in model.SharedBlocks) pipelines[block.Name] = block.Pipeline;
        foreach (var task in model.Tasks) pipelines[task.Name] = task.Pipeline;

        // In model order every source comes before its readers.
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        var from = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? Origin(string name) => origins.TryGetValue(name, out var origin) ? origin : null;
        foreach (var name in model.Order)
        {
            from[name] = MaskFrom(pipelines[name].Source, Origin);
            if (OriginOf(name, pipelines[name], Origin) is { } origin)
            {
                origins[name] = origin;
            }
        }

        // In reverse order every reader comes before its source: a mask leaves a pipeline when one of its readers uses it.
        var needed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Enumerable.Reverse(model.Order))
        {
            if (from[name] is { } source && Plan(pipelines[name].Layers, incoming: true, carryOut: needed.Contains(name)) is not null)
            {
                needed.Add(source);
            }
        }

        var flows = new Dictionary<string, MaskSpan>(StringComparer.Ordinal);
        foreach (var name in model.Order)
        {
            if (Plan(pipelines[name].Layers, from[name] is not null, needed.Contains(name)) is { } plan)
            {
                flows[name] = plan.Source == MaskSpan.Incoming ? plan with { From = from[name] } : plan;
            }
        }

        return flows;
    }

    /// <summary>
    /// Where the mask that the pipeline <paramref name="name"/> ends with started: the block or task
    /// whose embedding made it; null when it ends with none. <paramref name="originOf"/> answers the
    /// same for the pipelines before it.
    /// </summary>
    public static string? OriginOf(string name, Pipeline pipeline, Func<string, string?> originOf)
    {
        var from = MaskFrom(pipeline.Source, originOf);
        if (!CarriedToTheEnd(pipeline.Layers, incoming: from is not null))
        {
            return null;
        }

        // An embedding of ids [T] cannot follow a mask over [T, D]: a live mask is the incoming one, or else this pipeline's own.
        return from is not null ? originOf(from) : name;
    }

    /// <summary>
    /// The block or task whose mask a pipeline with <paramref name="source"/> starts with (a local
    /// of the generated forward), or null: a whole block or task that ends with a mask
    /// (<paramref name="originOf"/> gives where that mask started, null for none); for a
    /// <c>concat</c> over the features or an <c>add</c>, which keep the positions, the first source
    /// that reaches the merge with a mask, provided every source that does carries the mask of the
    /// same embedding. One task's output of a mixture carries none.
    /// </summary>
    public static string? MaskFrom(PipelineSource source, Func<string, string?> originOf)
    {
        switch (source)
        {
            case ReferenceSource reference:
                return MaskedSource(reference) is { } read && originOf(read) is not null ? read : null;
            case MergeSource merge when merge.Kind == MergeKind.Add || merge.Dim >= 2:
                string? first = null, origin = null;
                foreach (var branch in merge.Branches)
                {
                    if (ReachesTheMerge(branch, originOf) is not { } name)
                    {
                        continue;
                    }

                    if (origin is null)
                    {
                        (first, origin) = (name, originOf(name));
                    }
                    else if (origin != originOf(name))
                    {
                        return null;
                    }
                }

                return first;
            default:
                return null;
        }
    }

    /// <summary>The block or task a merge's source <paramref name="branch"/> reads when its mask reaches the merge (the branch's layers all keep the positions), else null.</summary>
    public static string? ReachesTheMerge(Pipeline branch, Func<string, string?> originOf) =>
        MaskedSource(branch.Source) is { } name && originOf(name) is not null && CarriedToTheEnd(branch.Layers, incoming: true) ? name : null;

    private static string? MaskedSource(PipelineSource source) =>
        source is ReferenceSource { Kind: SourceKind.Shared or SourceKind.Task, Member: null } reference ? reference.Name : null;

    /// <summary>
    /// The index of the first of <paramref name="layers"/> that would read a mask carried into them
    /// from the start, or null when none would before the mask stops.
    /// </summary>
    public static int? FirstReader(IReadOnlyList<Layer> layers)
    {
        for (var i = 0; i < layers.Count; i++)
        {
            switch (Role(layers[i]))
            {
                case MaskRole.Reads or MaskRole.ReadsAndCarries:
                    return i;
                case MaskRole.Stops:
                    return null;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="layer"/> reduces dim 1, the sequence, of an input <c>[T, ...]</c>.</summary>
    public static bool ReducesTheSequence(Layer layer) =>
        layer.Kind is LayerKind.Mean or LayerKind.Sum or LayerKind.Max && layer.Input.Shape.Rank >= 2 && Resolve(layer.Setting.Integer("dim"), layer.Input.Shape.Rank) == 1;

    private static long? Starts(Layer layer) =>
        layer.Kind == LayerKind.Embedding && layer.Input.Shape.Rank == 1 && layer.Setting["padding_idx"] is IntegerValue { Value: var padding }
            ? padding
            : null;

    private static MaskRole Role(Layer layer)
    {
        var rank = layer.Input.Shape.Rank;
        switch (layer.Kind)
        {
            case LayerKind.Mean or LayerKind.Sum or LayerKind.Max:
                return ReducesTheSequence(layer) ? MaskRole.Reads : MaskRole.Stops;
            case LayerKind.Lstm or LayerKind.Gru:
                return layer.Setting.Word("reduce") == "none" ? MaskRole.ReadsAndCarries : MaskRole.Reads;
            case LayerKind.Softmax or LayerKind.LogSoftmax:
                // Over the features of each position it keeps the positions; over the positions it mixes them.
                return Resolve(layer.Setting.Integer("dim"), rank) == 1 ? MaskRole.Stops : MaskRole.Carries;
            case LayerKind.Linear or LayerKind.LayerNorm or LayerKind.Dropout or LayerKind.CastFloat or LayerKind.CastLong
                or LayerKind.Relu or LayerKind.LeakyRelu or LayerKind.Gelu or LayerKind.Silu or LayerKind.Tanh or LayerKind.Sigmoid
                or LayerKind.Elu or LayerKind.Selu or LayerKind.Mish or LayerKind.Softplus or LayerKind.Relu6 or LayerKind.Hardswish
                or LayerKind.Hardsigmoid or LayerKind.Identity:
                // Per position (linear and layernorm over the last dim, which is not the sequence while rank ≥ 2).
                return rank >= 2 ? MaskRole.Carries : MaskRole.Stops;
            default:
                return MaskRole.Stops;
        }
    }

    private static long Resolve(long dim, int rank) => dim < 0 ? dim + rank + 1 : dim;

    private enum MaskRole
    {
        Stops,
        Carries,
        Reads,
        ReadsAndCarries,
    }
}
