namespace Mtl.Dsl.Model;

/// <summary>
/// Where a pipeline carries a padding mask: the ids entering layer <see cref="Source"/> (an
/// <c>embedding</c> with <c>padding_idx</c>) are compared with <see cref="PaddingIdx"/>, and the
/// layers after it up to <see cref="Last"/> that read a mask (sequence reductions, <c>lstm</c>,
/// <c>gru</c>) skip the padding positions.
/// </summary>
public sealed record MaskSpan(int Source, int Last, long PaddingIdx);

/// <summary>
/// The one rule for which layers carry an embedding's padding mask and which read it, used by the
/// language (the semantic model and docs) and by the generated code.
/// </summary>
public static class SequenceMasks
{
    /// <summary>
    /// The mask <paramref name="layers"/> carry, or null when none: an <c>embedding</c> with
    /// <c>padding_idx</c> over ids <c>[T]</c> starts one over T (dim 1); layers that keep every
    /// position in place carry it; a reduction over dim 1, or <c>lstm</c>/<c>gru</c> with
    /// <c>reduce: last</c> or <c>mean</c>, reads it last; <c>lstm</c>/<c>gru</c> with
    /// <c>reduce: none</c> reads it and carries it on; any other layer stops it. A mask that no
    /// layer reads is no mask.
    /// </summary>
    public static MaskSpan? Plan(IReadOnlyList<Layer> layers)
    {
        for (var i = 0; i < layers.Count; i++)
        {
            if (Starts(layers[i]) is not { } padding)
            {
                continue;
            }

            var last = -1;
            for (var j = i + 1; j < layers.Count; j++)
            {
                var role = Role(layers[j]);
                if (role is MaskRole.Reads or MaskRole.ReadsAndCarries)
                {
                    last = j;
                }

                if (role is MaskRole.Reads or MaskRole.Stops)
                {
                    break;
                }
            }

            if (last > i)
            {
                return new MaskSpan(i, last, padding);
            }
        }

        return null;
    }

    /// <summary>Whether a mask is still carried after the last of <paramref name="layers"/> (so a later pipeline reading them would not see it).</summary>
    public static bool CarriedToTheEnd(IReadOnlyList<Layer> layers)
    {
        var live = false;
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
