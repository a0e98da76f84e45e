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
    /// </summary>
    public Sequential with_sequence_mask(int source, int last, long padding_idx)
    {
        if (source < 0 || last <= source || last >= _layers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(last), $"Sequential: a mask runs from one layer to a later one of the {_layers.Count}; got {source} to {last}");
        }
        Mask = new SequenceMask(source, last, padding_idx);
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
        if (Mask is { } plan) return MaskedForward(input, plan);
        var x = _layers[0].forward(input);
        for (var i = 1; i < _layers.Count; i++)
        {
            var next = _layers[i].forward(x);
            if (!ReferenceEquals(next, x) && !ReferenceEquals(x, input)) x.Dispose();
            x = next;
        }
        return x;
    }

    private Tensor MaskedForward(Tensor input, SequenceMask plan)
    {
        var x = input;
        Tensor? mask = null;
        try
        {
            for (var i = 0; i < _layers.Count; i++)
            {
                if (i == plan.Source) mask = x.ne(plan.PaddingIdx);
                var next = mask is not null && i > plan.Source && _layers[i] is ISequenceMasked masked
                    ? masked.forward(x, mask)
                    : _layers[i].forward(x);
                if (!ReferenceEquals(next, x) && !ReferenceEquals(x, input)) x.Dispose();
                x = next;
                if (i == plan.Last)
                {
                    mask?.Dispose();
                    mask = null;
                }
            }
        }
        finally
        {
            mask?.Dispose();
        }
        return x;
    }

    public IEnumerator<nn.Module<Tensor, Tensor>> GetEnumerator() => _layers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Where a <see cref="Sequential"/> makes its padding mask (the input of layer <see cref="Source"/>) and the last layer that reads it.</summary>
public sealed record SequenceMask(int Source, int Last, long PaddingIdx);

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
