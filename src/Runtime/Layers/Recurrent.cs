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
/// hands on chosen by <see cref="Output"/>. The parameters are those of the wrapped
/// <see cref="LSTM"/> or <see cref="GRU"/>, named <c>rnn.*</c> as in PyTorch.
/// </summary>
public sealed class Recurrent : nn.Module<Tensor, Tensor>
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
