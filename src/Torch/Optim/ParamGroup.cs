using Mtl.Torch.Modules;

namespace Mtl.Torch.Modules;

/// <summary>
/// Parameters that share hyperparameters. <see cref="lr"/> is read and written by schedulers;
/// algorithm-specific values (momentum, beta1, beta2, eps, alpha, dampening) are reached by name.
/// Options left unset take the optimizer's defaults when the group joins an optimizer.
/// </summary>
public sealed class ParamGroup
{
    private readonly Dictionary<string, double> _options = new();

    public ParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? weight_decay = null, IReadOnlyDictionary<string, double>? options = null)
    {
        this.parameters = parameters.ToList();
        if (lr is { } l) _options["lr"] = l;
        if (weight_decay is { } w) _options["weight_decay"] = w;
        if (options is not null)
        {
            foreach (var (key, value) in options) _options[key] = value;
        }
    }

    public IReadOnlyList<Parameter> parameters { get; }

    /// <summary>The learning rate in force for this group.</summary>
    public double lr
    {
        get => this["lr"];
        set => this["lr"] = value;
    }

    /// <summary>The learning rate the first scheduler attached to this group started from.</summary>
    public double? initial_lr { get; set; }

    public double weight_decay
    {
        get => this["weight_decay"];
        set => this["weight_decay"] = value;
    }

    public double this[string option]
    {
        get => _options.TryGetValue(option, out var value) ? value : throw new KeyNotFoundException($"parameter group has no option '{option}' (it has {string.Join(", ", _options.Keys)})");
        set => _options[option] = value;
    }

    public bool Has(string option) => _options.ContainsKey(option);

    public IReadOnlyDictionary<string, double> options => _options;

    internal void ApplyDefaults(IReadOnlyDictionary<string, double> defaults)
    {
        foreach (var (key, value) in defaults) _options.TryAdd(key, value);
    }
}
