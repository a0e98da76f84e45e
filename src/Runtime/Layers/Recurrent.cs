using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>What a recurrent layer hands on: every step, the last state, or the mean over steps.</summary>
public enum RecurrentOutput
{
    /// <summary><c>reduce: none</c>: the output at every step, <c>[seq, H]</c>.</summary>
    Sequence,

    /// <summary>
    /// <c>reduce: last</c>: the final hidden state of the last layer, <c>[H]</c>; bidirectional: the
    /// forward direction's state after the last step joined with the backward direction's after the first.
    /// </summary>
    Last,

    /// <summary><c>reduce: mean</c>: the mean of the outputs over the steps, <c>[H]</c>.</summary>
    Mean,
}

/// <summary>
/// <c>lstm(...)</c> or <c>gru(...)</c> over batch-first sequences <c>[N, seq, F]</c>, with what it
/// hands on chosen by <see cref="Output"/>. With a padding mask it reads each row's real tokens
/// alone, in order, as if the row held no padding (see <see cref="forward(Tensor, Tensor)"/>). The parameters are those of the wrapped
/// <see cref="LSTM"/> or <see cref="GRU"/>, named <c>rnn.*</c> as in PyTorch.
/// </summary>
public sealed class Recurrent : nn.Module<Tensor, Tensor>, ISequenceMasked
{
    private readonly LSTM? _lstm;
    private readonly GRU? _gru;

    public Recurrent(LSTM lstm, RecurrentOutput output) : this(output)
    {
        _lstm = RequireBatchFirst(lstm, lstm.batch_first);
        register_module("rnn", lstm);
    }

    public Recurrent(GRU gru, RecurrentOutput output) : this(output)
    {
        _gru = RequireBatchFirst(gru, gru.batch_first);
        register_module("rnn", gru);
    }

    private Recurrent(RecurrentOutput output) : base(nameof(Recurrent)) => Output = output;

    private static T RequireBatchFirst<T>(T rnn, bool batchFirst) =>
        batchFirst ? rnn : throw new ArgumentException("the recurrent layer must be built with batch_first: true", nameof(rnn));

    public RecurrentOutput Output { get; }

    /// <summary>
    /// The layer over the real tokens of each row only (<paramref name="mask"/> <c>[N, seq]</c>, true
    /// at real tokens, which may stand anywhere): the result is that of the row without its padding,
    /// run alone. Sequence: the outputs at the real tokens' positions, zero at padding; mean: over the
    /// real tokens; last: the forward direction after the last real token (and the backward after the
    /// first). A row of padding only gives zeros.
    /// </summary>
    public Tensor forward(Tensor input, Tensor mask)
    {
        using var scope = NewDisposeScope();
        RecurrentBase rnn = (RecurrentBase?)_lstm ?? _gru!;
        var (n, t) = (input.size(0), input.size(1));
        var real = mask.@long();
        var lengths = real.sum(1, keepdim: true);                                  // [N, 1]
        // Each row's real tokens moved to its front in order, padding behind: dest[n, i] is where token i goes.
        var dest = where(mask, real.cumsum(1).sub(1L), real.neg().add(1L).cumsum(1).sub(1L).add(lengths));
        var steps = arange(t, device: input.device).unsqueeze(0).expand(n, t);
        var source = zeros_like(dest).scatter(1, dest, steps);                       // the inverse: compact[n, j] = input[n, source[n, j]]
        var inside = steps.lt(lengths);                                              // [N, seq]: j < length
        // Within each row's length, step j of the reversed row is step length − 1 − j; behind it, the padding stays.
        var reversed = where(inside, lengths.sub(1L).sub(steps), steps);

        Tensor Rows(Tensor x, Tensor index) => x.gather(1, index.unsqueeze(2).expand(n, t, x.size(2)));

        var x = Rows(input, source);
        var directions = rnn.bidirectional ? 2 : 1;
        for (var layer = 0L; layer < rnn.num_layers; layer++)
        {
            var forwardOut = rnn.forward_direction(x, layer, reverse: false);
            var output = directions == 1
                ? forwardOut
                : cat([forwardOut, Rows(rnn.forward_direction(Rows(x, reversed), layer, reverse: true), reversed)], 2);
            output = output.masked_fill(inside.logical_not().unsqueeze(2), 0.0);
            if (layer < rnn.num_layers - 1 && rnn.dropout > 0) output = nn.functional.dropout(output, rnn.dropout, training);
            x = output;
        }

        var hidden = rnn.hidden_size;
        Tensor result;
        switch (Output)
        {
            case RecurrentOutput.Sequence:
                result = Rows(x, dest);
                break;
            case RecurrentOutput.Mean:
                result = x.sum(1).div(lengths.clamp(min: 1).to(x.dtype));
                break;
            default:
                var lastStep = lengths.sub(1L).clamp(min: 0).@long().unsqueeze(2).expand(n, 1, x.size(2));
                var atLast = x.gather(1, lastStep).squeeze(1);
                result = directions == 1
                    ? atLast
                    : cat([atLast.narrow(1, 0, hidden), x.select(1, 0).narrow(1, hidden, hidden)], 1);
                break;
        }
        return result.MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor input)
    {
        Tensor output, hidden;
        if (_lstm is not null)
        {
            var (o, h, c) = _lstm.forward(input);
            c.Dispose();
            (output, hidden) = (o, h);
        }
        else
        {
            (output, hidden) = _gru!.forward(input);
        }
        switch (Output)
        {
            case RecurrentOutput.Sequence:
                hidden.Dispose();
                return output;
            case RecurrentOutput.Mean:
                hidden.Dispose();
                return output.mean(1);
            default:
                output.Dispose();
                // h_n is [layers·directions, N, H]: the last layer's directions are its last rows.
                var directions = (_lstm?.bidirectional ?? _gru!.bidirectional) ? 2 : 1;
                var last = hidden.narrow(0, hidden.size(0) - directions, directions);
                return directions == 1 ? last.squeeze(0) : cat([last[0], last[1]], 1);
        }
    }
}
