namespace Mtl.Torch;

/// <summary>
/// Owns every tensor created on this thread while it is the innermost scope, and disposes them
/// when it is disposed. Parameters, buffers and optimizer state are never owned by a scope.
/// Scopes are per thread: do not <c>await</c> inside one.
/// </summary>
/// <remarks>
/// Moving or detaching a tensor only changes its owner; the stale list entry is skipped when the
/// scope is disposed, so every operation here is O(1).
/// </remarks>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic]
    private static DisposeScope? t_current;

    private readonly DisposeScope? _outer;
    private readonly List<Tensor> _owned = new();
    private readonly int _threadId;
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = t_current;
        _threadId = Environment.CurrentManagedThreadId;
        t_current = this;
    }

    /// <summary>The innermost scope of this thread, if any.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>The scope this one is nested in.</summary>
    public DisposeScope? Outer => _outer;

    /// <summary>How many tensors this scope owns now.</summary>
    public int OwnedCount
    {
        get
        {
            var count = 0;
            foreach (var t in _owned)
            {
                if (ReferenceEquals(t.OwningScope, this) && !t.IsDisposed) count++;
            }
            return count;
        }
    }

    internal static void Register(Tensor tensor)
    {
        var scope = t_current;
        if (scope is not null)
        {
            scope.Adopt(tensor);
        }
    }

    internal void Adopt(Tensor tensor)
    {
        tensor.OwningScope = this;
        _owned.Add(tensor);
    }

    /// <summary>Hands <paramref name="tensor"/> to the enclosing scope (or to no scope).</summary>
    public T MoveToOuter<T>(T tensor) where T : Tensor
    {
        if (ReferenceEquals(tensor.OwningScope, this))
        {
            tensor.OwningScope = null;
            _outer?.Adopt(tensor);
        }
        return tensor;
    }

    /// <summary>Releases <paramref name="tensor"/> from this scope; the caller now owns it.</summary>
    public T Detach<T>(T tensor) where T : Tensor
    {
        if (ReferenceEquals(tensor.OwningScope, this))
        {
            tensor.OwningScope = null;
        }
        return tensor;
    }

    /// <summary>Disposes every tensor the scope still owns and makes the outer scope current.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (Environment.CurrentManagedThreadId != _threadId)
        {
            throw new InvalidOperationException("a dispose scope must be disposed on the thread that created it");
        }
        if (!ReferenceEquals(t_current, this))
        {
            throw new InvalidOperationException("dispose scopes must be disposed innermost first");
        }
        _disposed = true;
        t_current = _outer;
        foreach (var tensor in _owned)
        {
            if (ReferenceEquals(tensor.OwningScope, this))
            {
                tensor.OwningScope = null;
                tensor.Dispose();
            }
        }
        _owned.Clear();
    }
}
