using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;
using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>
/// Shared by LSTM and GRU: per layer and direction the parameters weight_ih_l{k}[_reverse],
/// weight_hh_l{k}[_reverse], bias_ih_l{k}[_reverse], bias_hh_l{k}[_reverse], in PyTorch's order
/// and with its initialisation U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).
/// </summary>
public abstract class RecurrentBase : nn.Module
{
    private readonly List<Parameter> _flat = new();
    private readonly int _mode;

    private protected RecurrentBase(string name, int mode, int gates, long input_size, long hidden_size, long num_layers, bool bias, bool batch_first, double dropout, bool bidirectional, Device? device, ScalarType? dtype)
        : base(name)
    {
        Shapes.RequirePositive(name, (nameof(input_size), input_size), (nameof(hidden_size), hidden_size), (nameof(num_layers), num_layers));
        if (dropout < 0 || dropout > 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{name}: dropout must be in [0, 1]");
        _mode = mode;
        (this.input_size, this.hidden_size, this.num_layers, this.bias, this.batch_first, this.dropout, this.bidirectional) =
            (input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional);
        var directions = bidirectional ? 2 : 1;
        var bound = 1 / Math.Sqrt(hidden_size);
        for (var layer = 0; layer < num_layers; layer++)
        {
            for (var direction = 0; direction < directions; direction++)
            {
                var suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                var layerInput = layer == 0 ? input_size : hidden_size * directions;
                Add("weight_ih" + suffix, [gates * hidden_size, layerInput]);
                Add("weight_hh" + suffix, [gates * hidden_size, hidden_size]);
                if (bias)
                {
                    Add("bias_ih" + suffix, [gates * hidden_size]);
                    Add("bias_hh" + suffix, [gates * hidden_size]);
                }
            }
        }

        void Add(string parameterName, long[] shape)
        {
            var parameter = Shapes.NewParameter(shape, device, dtype);
            parameter.uniform_(-bound, bound);
            register_parameter(parameterName, parameter);
            _flat.Add(parameter);
        }
    }

    public long input_size { get; }
    public long hidden_size { get; }
    public long num_layers { get; }
    public bool bias { get; }
    public bool batch_first { get; }
    public double dropout { get; }
    public bool bidirectional { get; }

    private protected (Tensor output, Tensor h_n, Tensor? c_n) Run(Tensor input, Tensor? h0, Tensor? c0) =>
        Run(input, h0, c0, _flat, num_layers, dropout, bidirectional);

    /// <summary>
    /// The weights of one layer and direction alone (no dropout), from a zero state, stepping from
    /// the first step of <paramref name="input"/> (laid out as the module's, batch first or not) to
    /// its last: the output at every step, <c>hidden_size</c> wide. For the reverse direction as the
    /// bidirectional module runs it, hand it the input reversed and reverse its output.
    /// </summary>
    public Tensor forward_direction(Tensor input, long layer, bool reverse)
    {
        var directions = bidirectional ? 2 : 1;
        if (layer < 0 || layer >= num_layers) throw new ArgumentOutOfRangeException(nameof(layer), layer, $"{GetName}: layer must be in [0, {num_layers})");
        if (reverse && !bidirectional) throw new ArgumentException($"{GetName}: only a bidirectional module has a reverse direction", nameof(reverse));
        var count = bias ? 4 : 2;
        var first = (int)(layer * directions + (reverse ? 1 : 0)) * count;
        var (output, hN, cN) = Run(input, null, null, _flat.GetRange(first, count), 1, 0, false);
        hN.Dispose();
        cN?.Dispose();
        return output;
    }

    private unsafe (Tensor output, Tensor h_n, Tensor? c_n) Run(Tensor input, Tensor? h0, Tensor? c0, List<Parameter> parameters, long layers, double p, bool both)
    {
        Tensor?[] state = _mode == 0 ? [h0, c0] : [h0];
        using var hx = new HandleLease(state);
        using var weights = new HandleLease(parameters);
        nint output, hN, cN;
        fixed (nint* ph = hx.Pointers)
        fixed (nint* pw = weights.Pointers)
        {
            Check(NativeMethods.mtl_rnn(_mode, input.Handle, ph, hx.Count, pw, weights.Count, Tensor.B(bias), layers, p,
                Tensor.B(training), Tensor.B(both), Tensor.B(batch_first), hidden_size, out output, out hN, out cN));
        }
        return (new Tensor(output), new Tensor(hN), Tensor.WrapOrNull(cN));
    }
}

/// <summary>Long short-term memory; returns the output sequence and the final hidden and cell states.</summary>
public sealed class LSTM(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false, double dropout = 0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null)
    : RecurrentBase(nameof(LSTM), 0, 4, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype)
{
    public (Tensor output, Tensor h_n, Tensor c_n) forward(Tensor input, (Tensor h0, Tensor c0)? state = null)
    {
        var (output, hN, cN) = Run(input, state?.h0, state?.c0);
        return (output, hN, cN!);
    }

    public (Tensor output, Tensor h_n, Tensor c_n) call(Tensor input, (Tensor h0, Tensor c0)? state = null) => forward(input, state);
}

/// <summary>Gated recurrent unit; returns the output sequence and the final hidden state.</summary>
public sealed class GRU(long input_size, long hidden_size, long num_layers = 1, bool bias = true, bool batch_first = false, double dropout = 0, bool bidirectional = false, Device? device = null, ScalarType? dtype = null)
    : RecurrentBase(nameof(GRU), 1, 3, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype)
{
    public (Tensor output, Tensor h_n) forward(Tensor input, Tensor? h0 = null)
    {
        var (output, hN, _) = Run(input, h0, null);
        return (output, hN);
    }

    public (Tensor output, Tensor h_n) call(Tensor input, Tensor? h0 = null) => forward(input, h0);
}
