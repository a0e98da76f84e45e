using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch.Modules;

/// <summary>
/// Base of the optimizers. State tensors per parameter (momentum buffers, moment estimates) live
/// here, outside any dispose scope, and are saved and restored by <see cref="state_dict"/> and
/// <see cref="load_state_dict"/> for an exact resume.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly List<ParamGroup> _groups = new();
    private readonly Dictionary<Tensor, ParameterState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly IReadOnlyDictionary<string, double> _defaults;
    private bool _disposed;

    private protected Optimizer(IEnumerable<ParamGroup> groups, IReadOnlyDictionary<string, double> defaults)
    {
        _defaults = defaults;
        foreach (var group in groups) add_param_group(group);
        if (_groups.Count == 0) throw new ArgumentException("an optimizer needs at least one parameter group");
    }

    /// <summary>The option names this optimizer uses and their defaults.</summary>
    public IReadOnlyDictionary<string, double> defaults => _defaults;

    public IReadOnlyList<ParamGroup> param_groups => _groups;

    /// <summary>Whether <see cref="Dispose"/> has run; a disposed optimizer can no longer be used.</summary>
    public bool IsDisposed => _disposed;

    public void add_param_group(ParamGroup group)
    {
        ThrowIfDisposed();
        var seen = new HashSet<Tensor>(_groups.SelectMany(g => g.parameters), ReferenceEqualityComparer.Instance);
        foreach (var parameter in group.parameters)
        {
            if (!seen.Add(parameter)) throw new ArgumentException("a parameter appears in more than one parameter group");
        }
        group.ApplyDefaults(_defaults);
        ValidateOptions(group.options);
        _groups.Add(group);
    }

    /// <summary>Rejects options this optimizer does not have and out-of-range values.</summary>
    private void ValidateOptions(IReadOnlyDictionary<string, double> options)
    {
        foreach (var (key, value) in options)
        {
            if (!_defaults.ContainsKey(key)) throw new ArgumentException($"{GetType().Name} has no option '{key}' (it has {string.Join(", ", _defaults.Keys)})");
            Validate(key, value);
        }
    }

    /// <summary>Rejects out-of-range hyperparameters (negative learning rate, beta outside [0, 1), ...).</summary>
    protected virtual void Validate(string option, double value)
    {
        if (double.IsNaN(value) || value < 0) throw new ArgumentOutOfRangeException(option, value, $"{GetType().Name}: {option} must be a non-negative number");
    }

    /// <summary>Zeros (or drops, the default as in PyTorch 2) the gradient of every parameter.</summary>
    public void zero_grad(bool set_to_none = true)
    {
        ThrowIfDisposed();
        foreach (var group in _groups)
        {
            foreach (var parameter in group.parameters) parameter.zero_grad(set_to_none);
        }
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void step()
    {
        ThrowIfDisposed();
        foreach (var group in _groups)
        {
            foreach (var parameter in group.parameters)
            {
                Check(NativeMethods.mtl_tensor_has_grad(parameter.Handle, out var hasGrad));
                if (hasGrad == 0) continue;
                if (!_state.TryGetValue(parameter, out var state))
                {
                    state = new ParameterState();
                    _state.Add(parameter, state);
                }
                state.step++;
                Update(group, parameter, state);
            }
        }
    }

    /// <summary>One update of one parameter; <paramref name="state"/>.step already counts this one.</summary>
    private protected abstract void Update(ParamGroup group, Parameter parameter, ParameterState state);

    /// <summary>
    /// The state tensors this optimizer can keep for a parameter, each with whether every parameter
    /// that has taken a step has it (a tensor created only under some group options, such as
    /// SGD's momentum buffer, is not).
    /// </summary>
    private protected abstract IReadOnlyList<(string name, bool always)> StateTensorNames { get; }

    /// <summary>The names of the state tensors this optimizer can keep for a parameter (Adam: <c>exp_avg</c>, <c>exp_avg_sq</c>, ...).</summary>
    public IReadOnlyList<string> state_names => StateTensorNames.Select(n => n.name).ToList();

    /// <summary>A state tensor of the parameter's shape, created zero on first use.</summary>
    private protected static Tensor StateTensor(ParameterState state, string name, Parameter parameter)
    {
        if (!state.tensors.TryGetValue(name, out var tensor))
        {
            tensor = torch.zeros_like(parameter).DetachFromDisposeScope();
            state.tensors[name] = tensor;
        }
        return tensor;
    }

    // ---- state ---------------------------------------------------------------------------------

    /// <summary>
    /// The optimizer's state as in PyTorch: per parameter (numbered across groups in order) its
    /// step count and state tensors, and per group its options. The tensors are copies.
    /// </summary>
    public OptimizerState state_dict()
    {
        ThrowIfDisposed();
        var entries = new Dictionary<int, OptimizerState.Entry>();
        var groups = new List<OptimizerState.Group>();
        var index = 0;
        foreach (var group in _groups)
        {
            var indices = new List<int>();
            foreach (var parameter in group.parameters)
            {
                if (_state.TryGetValue(parameter, out var state))
                {
                    var tensors = state.tensors.ToDictionary(t => t.Key, t => DetachedCopy(t.Value, t.Value.dtype, t.Value.device));
                    entries[index] = new OptimizerState.Entry(state.step, tensors);
                }
                indices.Add(index++);
            }
            groups.Add(new OptimizerState.Group(indices, new Dictionary<string, double>(group.options), group.initial_lr));
        }
        return new OptimizerState(entries, groups);
    }

    /// <summary>Restores a state from <see cref="state_dict"/> (copying its tensors); a rejected state changes nothing.</summary>
    public void load_state_dict(OptimizerState source)
    {
        check_state_dict(source);
        ClearState();
        var parameters = _groups.SelectMany(g => g.parameters).ToList();
        for (var g = 0; g < _groups.Count; g++)
        {
            foreach (var (key, value) in source.param_groups[g].options) _groups[g][key] = value;
            _groups[g].initial_lr = source.param_groups[g].initial_lr;
        }
        foreach (var (index, entry) in source.state)
        {
            var parameter = parameters[index];
            var state = new ParameterState { step = entry.step };
            foreach (var (name, tensor) in entry.tensors)
            {
                state.tensors[name] = DetachedCopy(tensor, parameter.dtype, parameter.device);
            }
            _state[parameter] = state;
        }
    }

    /// <summary>
    /// Throws the <see cref="ArgumentException"/> that <see cref="load_state_dict"/> would throw for
    /// <paramref name="source"/>, and changes nothing: its groups must match this optimizer's
    /// (count, sizes, options this optimizer has, in range), and each parameter's state must have
    /// taken a step and hold exactly state tensors this optimizer keeps, of the parameter's shape.
    /// </summary>
    public void check_state_dict(OptimizerState source)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(source);
        if (source.param_groups.Count != _groups.Count)
        {
            throw new ArgumentException($"the state has {source.param_groups.Count} parameter groups but the optimizer has {_groups.Count}", nameof(source));
        }
        var parameters = _groups.SelectMany(g => g.parameters).ToList();
        for (var g = 0; g < _groups.Count; g++)
        {
            if (source.param_groups[g].parameters.Count != _groups[g].parameters.Count)
            {
                throw new ArgumentException($"parameter group {g} of the state has {source.param_groups[g].parameters.Count} parameters but the optimizer's has {_groups[g].parameters.Count}", nameof(source));
            }
            ValidateOptions(source.param_groups[g].options);
        }
        foreach (var (index, entry) in source.state)
        {
            if (index < 0 || index >= parameters.Count) throw new ArgumentException($"the state names parameter {index} but the optimizer has {parameters.Count}", nameof(source));
            CheckEntry(index, entry);
            var expected = parameters[index].shape;
            foreach (var (name, tensor) in entry.tensors)
            {
                if (!expected.AsSpan().SequenceEqual(tensor.shape))
                {
                    throw new ArgumentException($"state '{name}' of parameter {index} has shape {Tensor.FormatShape(tensor.shape)} but the parameter has {Tensor.FormatShape(expected)}", nameof(source));
                }
            }
        }
    }

    /// <summary>The step count and state tensor names of one parameter's entry, against <see cref="StateTensorNames"/>.</summary>
    private void CheckEntry(int index, OptimizerState.Entry entry)
    {
        if (entry.step < 1) throw new ArgumentException($"the state of parameter {index} has step count {entry.step}; a parameter with state has taken at least one step", nameof(entry));
        var names = StateTensorNames;
        foreach (var name in entry.tensors.Keys)
        {
            if (names.All(n => n.name != name))
            {
                var kept = names.Count == 0 ? "none" : string.Join(", ", names.Select(n => n.name));
                throw new ArgumentException($"the state of parameter {index} has '{name}', which {GetType().Name} does not keep (it keeps: {kept})", nameof(entry));
            }
        }
        foreach (var (name, always) in names)
        {
            if (always && !entry.tensors.ContainsKey(name)) throw new ArgumentException($"the state of parameter {index} has no '{name}', which {GetType().Name} keeps for every parameter it has stepped", nameof(entry));
        }
    }

    /// <summary>
    /// A copy of <paramref name="source"/> without autograd history, owned by the caller whatever
    /// the current dispose scope; the intermediate detached view is freed at once rather than left
    /// to the finalizer when no scope is open.
    /// </summary>
    private static Tensor DetachedCopy(Tensor source, ScalarType dtype, Device device)
    {
        using var detached = source.detach();
        return detached.to(dtype, device, copy: true).DetachFromDisposeScope();
    }

    /// <summary>The step count of a parameter (0 before its first update).</summary>
    public long step_count(Parameter parameter) => _state.TryGetValue(parameter, out var state) ? state.step : 0;

    private void ClearState()
    {
        foreach (var state in _state.Values)
        {
            foreach (var tensor in state.tensors.Values) tensor.Dispose();
        }
        _state.Clear();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ClearState();
        GC.SuppressFinalize(this);
    }

    private protected sealed class ParameterState
    {
        public long step;
        public readonly Dictionary<string, Tensor> tensors = new();
    }
}

/// <summary>A snapshot of an optimizer's state; dispose it to free its tensor copies.</summary>
public sealed class OptimizerState : IDisposable
{
    public OptimizerState(IReadOnlyDictionary<int, Entry> state, IReadOnlyList<Group> param_groups)
    {
        this.state = state;
        this.param_groups = param_groups;
    }

    /// <summary>Per parameter index: step count and state tensors.</summary>
    public IReadOnlyDictionary<int, Entry> state { get; }

    public IReadOnlyList<Group> param_groups { get; }

    public sealed record Entry(long step, IReadOnlyDictionary<string, Tensor> tensors);

    public sealed record Group(IReadOnlyList<int> parameters, IReadOnlyDictionary<string, double> options, double? initial_lr);

    public void Dispose()
    {
        foreach (var entry in state.Values)
        {
            foreach (var tensor in entry.tensors.Values) tensor.Dispose();
        }
    }
}
