using Mtl.Data;
using Mtl.Torch;

namespace Mtl.Training;

/// <summary>
/// The micro-batches of an optimizer step kept for a second pass (alternate updates run them
/// forward again after the shared update). Each batch is drawn inside its micro-batch's dispose
/// scope; its tensors are taken out of that scope here and disposed on <see cref="Release"/>.
/// Tensors no scope owns (a dataset's own) are held but left to their owner.
/// </summary>
internal sealed class HeldBatches : IDisposable
{
    private readonly List<MultiTaskBatch> _batches = new();
    private readonly List<Tensor> _owned = new();

    public IReadOnlyList<MultiTaskBatch> Batches => _batches;

    public void Hold(MultiTaskBatch batch)
    {
        _batches.Add(batch);
        foreach (var tensor in batch.Inputs.Values.Concat(batch.Targets.Values))
        {
            if (tensor.Scope is not null) _owned.Add(tensor.DetachFromDisposeScope());
        }
    }

    /// <summary>Disposes the held tensors and forgets the batches.</summary>
    public void Release()
    {
        foreach (var tensor in _owned) tensor.Dispose();
        _owned.Clear();
        _batches.Clear();
    }

    public void Dispose() => Release();
}
