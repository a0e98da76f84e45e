namespace Mtl.Torch.Native;

/// <summary>
/// Raw handles for a list of tensors passed to one native call, each held alive (AddRef) until
/// the lease is disposed. A null entry crosses as NULL.
/// </summary>
internal readonly struct HandleLease : IDisposable
{
    private readonly IReadOnlyList<Tensor?> _tensors;
    private readonly bool[] _added;

    public HandleLease(IReadOnlyList<Tensor?> tensors)
    {
        _tensors = tensors;
        Pointers = new nint[Math.Max(tensors.Count, 1)];
        _added = new bool[tensors.Count];
        for (var i = 0; i < tensors.Count; i++)
        {
            var tensor = tensors[i];
            if (tensor is null) continue;
            tensor.Handle.DangerousAddRef(ref _added[i]);
            Pointers[i] = tensor.Handle.DangerousGetHandle();
        }
    }

    public nint[] Pointers { get; }

    public int Count => _tensors.Count;

    public void Dispose()
    {
        for (var i = 0; i < _added.Length; i++)
        {
            if (_added[i]) _tensors[i]!.Handle.DangerousRelease();
        }
    }
}
