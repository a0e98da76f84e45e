using System.Collections;
using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>Runs its modules one after another.</summary>
public sealed class Sequential : nn.Module<Tensor, Tensor>, IEnumerable<nn.Module<Tensor, Tensor>>
{
    private readonly List<nn.Module<Tensor, Tensor>> _layers = new();

    /// <summary>An empty sequence: its forward returns (an alias of) its input.</summary>
    public Sequential() : base(nameof(Sequential))
    {
    }

    public Sequential(params nn.Module<Tensor, Tensor>[] modules) : base(nameof(Sequential))
    {
        foreach (var module in modules) append(module);
    }

    public Sequential(params (string name, nn.Module<Tensor, Tensor> module)[] modules) : base(nameof(Sequential))
    {
        foreach (var (name, module) in modules)
        {
            register_module(name, module);
            _layers.Add(module);
        }
    }

    public int Count => _layers.Count;

    public nn.Module<Tensor, Tensor> this[int index] => _layers[index];

    /// <summary>The padding mask this sequence carries from an embedding's ids to its reductions; null when none.</summary>
    public SequenceMask? Mask { get; private set; }

    /// <summary>
    /// Carries a padding mask: the input of layer <paramref name="source"/> (long ids <c>[N, T]</c>)
    /// gives the mask <c>ids != padding_idx</c>, which every <see cref="ISequenceMasked"/> layer after it,
    /// up to layer <paramref name="last"/>, receives with its input; the layers between keep the positions.
    /// <paramref name="last"/> is -1 when no layer here reads it and it only leaves with the output
    /// (<see cref="carries_mask_out"/>).
    /// </summary>
    public Sequential with_sequence_mask(int source, int last, long padding_idx)
    {
        if (source < 0 || source >= _layers.Count || last != SequenceMask.Incoming && (last <= source || last >= _layers.Count))
        {
            throw new ArgumentOutOfRangeException(nameof(last), $"Sequential: a mask runs from one layer to a later one of the {_layers.Count} (or -1 for none); got {source} to {last}");
        }
        Mask = new SequenceMask(source, last, padding_idx);
        return this;
    }

    /// <summary>
    /// Takes a padding mask <c>[N, T]</c> with its input (from the sequence that made the input and
    /// carried it to its end): every <see cref="ISequenceMasked"/> layer up to layer
    /// <paramref name="last"/> receives it; -1 when none reads it here and it only passes through
    /// (<see cref="carries_mask_out"/>). Run it with <see cref="forward_masked"/>.
    /// </summary>
    public Sequential with_incoming_mask(int last)
    {
        if (last < SequenceMask.Incoming || last >= _layers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(last), $"Sequential: an incoming mask is read up to one of the {_layers.Count} layers, or -1 for none; got {last}");
        }
        Mask = new SequenceMask(SequenceMask.Incoming, last, 0);
        return this;
    }

    /// <summary>
    /// Hands the mask on: its layers after the last reader keep the positions, so
    /// <see cref="forward_masked"/> returns the mask with the output, for a sequence that reads it.
    /// Call after <see cref="with_sequence_mask"/> or <see cref="with_incoming_mask"/>.
    /// </summary>
    public Sequential carries_mask_out()
    {
        if (Mask is not { } plan)
        {
            throw new InvalidOperationException("Sequential: carries_mask_out needs a mask first (with_sequence_mask or with_incoming_mask)");
        }
        Mask = plan with { CarriesOut = true };
        return this;
    }

    public Sequential append(nn.Module<Tensor, Tensor> module)
    {
        register_module(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _layers.Add(module);
        return this;
    }

    /// <summary>
    /// Intermediate results are disposed as soon as the next layer has consumed them (autograd keeps
    /// what it needs natively), so a deep stack does not pile up handles within a step. The caller's
    /// input is never disposed, even when a layer hands it back unchanged.
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        if (_layers.Count == 0) return input.alias();
        if (Mask is { } plan)
        {
            if (plan.Source == SequenceMask.Incoming)
            {
                throw new InvalidOperationException("Sequential: this sequence reads the padding mask of its source; run it with forward_masked(input, mask)");
            }
            var (output, carried) = MaskedForward(input, plan, null);
            carried?.Dispose();
            return output;
        }
        var x = _layers[0].forward(input);
        for (var i = 1; i < _layers.Count; i++)
        {
            var next = _layers[i].forward(x);
            if (!ReferenceEquals(next, x) && !ReferenceEquals(x, input)) x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>
    /// Runs the sequence with the padding mask <c>[N, T]</c> (true at real tokens) its input carries,
    /// or null when it takes none (<see cref="with_incoming_mask"/> says it does); returns the output
    /// and the mask it carries (<see cref="carries_mask_out"/>), else null. The returned mask is the
    /// incoming one when that passed through, or a new tensor the caller owns; the incoming mask is
    /// never disposed.
    /// </summary>
    public (Tensor Output, Tensor? Mask) forward_masked(Tensor input, Tensor? mask)
    {
        var incoming = Mask is { Source: SequenceMask.Incoming };
        if (incoming && mask is null)
        {
            throw new ArgumentNullException(nameof(mask), "Sequential: this sequence reads the padding mask of its source; pass it");
        }
        if (!incoming && mask is not null)
        {
            throw new ArgumentException("Sequential: this sequence takes no padding mask with its input (with_incoming_mask)", nameof(mask));
        }
        if (Mask is not { } plan) return (forward(input), null);
        if (_layers.Count == 0) return (input.alias(), plan.CarriesOut ? mask : null);
        if (mask is not null && (mask.dim() != 2 || mask.shape[0] != input.shape[0] || mask.shape[1] != input.shape[1]))
        {
            throw new ArgumentException($"Sequential: the padding mask is [N, T] over the input's first two dims; got {Tensor.FormatShape(mask.shape)} for input {Tensor.FormatShape(input.shape)}", nameof(mask));
        }
        return MaskedForward(input, plan, mask);
    }

    /// <summary>The output, and the mask carried out of the last layer (null unless the plan carries it out).</summary>
    private (Tensor Output, Tensor? Mask) MaskedForward(Tensor input, SequenceMask plan, Tensor? incoming)
    {
        var x = input;
        // Owned: a mask made here (disposed here unless handed out); the incoming one belongs to the caller.
        Tensor? mask = incoming;
        var owned = false;
        try
        {
            for (var i = 0; i < _layers.Count; i++)
            {
                if (i == plan.Source)
                {
                    mask = x.ne(plan.PaddingIdx);
                    owned = true;
                }
                var next = mask is not null && i > plan.Source && i <= plan.Last && _layers[i] is ISequenceMasked masked
                    ? masked.forward(x, mask)
                    : _layers[i].forward(x);
                if (!ReferenceEquals(next, x) && !ReferenceEquals(x, input)) x.Dispose();
                x = next;
                if (i >= plan.Last && !plan.CarriesOut && mask is not null)
                {
                    if (owned) mask.Dispose();
                    mask = null;
                    owned = false;
                }
            }
            if (!plan.CarriesOut) return (x, null);
            owned = false; // handed to the caller
            return (x, mask);
        }
        finally
        {
            if (owned) mask?.Dispose();
        }
    }

    public IEnumerator<nn.Module<Tensor, Tensor>> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Where a <see cref="Sequential"/> makes its padding mask (the input of layer <see cref="Source"/>,
/// or <see cref="Incoming"/> with its input), the last layer that reads it (-1 for none), and
/// whether it leaves with the output (<see cref="CarriesOut"/>).
/// </summary>
public sealed record SequenceMask(int Source, int Last, long PaddingIdx, bool CarriesOut = false)
{
    /// <summary>The <see cref="Source"/> of a mask that arrives with the input.</summary>
    public const int Incoming = -1;
}

/// <summary>
/// A layer that reads a padding mask <c>[N, T]</c> (true at real tokens) over its input's dim 1
/// when a <see cref="Sequential"/> carries one; without a mask its plain forward runs.
/// </summary>
public interface ISequenceMasked
{
    Tensor forward(Tensor input, Tensor mask);
}

/// <summary>An indexed list of modules, registered as "0", "1", ...</summary>
public sealed class ModuleList<T> : nn.Module, IReadOnlyList<T> where T : nn.Module
{
    private readonly List<T> _items = new();

    public ModuleList(params T[] modules) : base("ModuleList")
    {
        foreach (var module in modules) append(module);
    }

    public int Count => _items.Count;

    public T this[int index] => _items[index];

    public ModuleList<T> append(T module)
    {
        register_module(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        _items.Add(module);
        return this;
    }

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Modules by name, in insertion order.</summary>
public sealed class ModuleDict<T> : nn.Module, IReadOnlyDictionary<string, T> where T : nn.Module
{
    private readonly List<KeyValuePair<string, T>> _items = new();

    public ModuleDict(params (string name, T module)[] modules) : base("ModuleDict")
    {
        foreach (var (name, module) in modules) Add(name, module);
    }

    public void Add(string name, T module)
    {
        register_module(name, module);
        _items.Add(new(name, module));
    }

    public T this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException($"ModuleDict has no module named '{key}'");

    public IEnumerable<string> Keys => _items.Select(i => i.Key);

    public IEnumerable<T> Values => _items.Select(i => i.Value);

    public int Count => _items.Count;

    public bool ContainsKey(string key) => _items.Any(i => i.Key == key);

    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out T value)
    {
        foreach (var item in _items)
        {
            if (item.Key == key)
            {
                value = item.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
