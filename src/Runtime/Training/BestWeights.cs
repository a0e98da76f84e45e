using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// A copy of a model's weights (its <c>state_dict</c>) from the best epoch so far, owned here:
/// detached clones outside every dispose scope, disposed when replaced, cleared or disposed.
/// </summary>
internal sealed class BestWeights : IDisposable
{
    private Dictionary<string, Tensor>? _tensors;

    /// <summary>The copy by state-dict key; null when there is none.</summary>
    public IReadOnlyDictionary<string, Tensor>? Tensors => _tensors;

    /// <summary>Replaces the copy with the model's current weights.</summary>
    public void Capture(nn.Module model) => Replace(model.state_dict());

    /// <summary>Replaces the copy with copies of <paramref name="tensors"/> (none when null or empty); the caller keeps its tensors.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor>? tensors) => Replace(tensors is null || tensors.Count == 0 ? null : tensors);

    /// <summary>Copies the kept weights into the model; false when there are none.</summary>
    public bool RestoreInto(nn.Module model)
    {
        if (_tensors is null) return false;
        model.load_state_dict(_tensors);
        return true;
    }

    private void Replace(IReadOnlyDictionary<string, Tensor>? source)
    {
        Dictionary<string, Tensor>? copy = null;
        if (source is not null)
        {
            // detach() makes a handle of its own: the scope frees it, only the clones are kept.
            using var scope = NewDisposeScope();
            copy = source.ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
        }
        Clear();
        _tensors = copy;
    }

    public void Clear()
    {
        if (_tensors is null) return;
        foreach (var tensor in _tensors.Values) tensor.Dispose();
        _tensors = null;
    }

    public void Dispose() => Clear();
}
