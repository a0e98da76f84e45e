using Xunit;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

[Collection(LiveHandleCollection.Name)]
public sealed class DisposeScopeTests
{
    [Fact]
    public void A_scope_disposes_what_was_created_inside_it()
    {
        var before = LiveHandleCollection.Settle();
        Tensor inner;
        using (var scope = NewDisposeScope())
        {
            inner = ones(3) + 1;
            Assert.Same(scope, inner.Scope);
            Assert.True(Tensor.LiveHandleCount >= before + 2);
        }
        Assert.True(inner.IsDisposed);
        Assert.Equal(before, Tensor.LiveHandleCount);
        Assert.Throws<ObjectDisposedException>(() => inner.sum());
    }

    [Fact]
    public void Move_to_outer_and_detach_change_the_owner()
    {
        var before = LiveHandleCollection.Settle();
        using (var outer = NewDisposeScope())
        {
            Tensor moved, detached;
            using (var inner = NewDisposeScope())
            {
                moved = zeros(2).MoveToOuterDisposeScope();
                detached = zeros(2).DetachFromDisposeScope();
                Assert.Same(outer, moved.Scope);
                Assert.Null(detached.Scope);
                _ = zeros(2);
                Assert.Equal(1, inner.OwnedCount);
            }
            Assert.False(moved.IsDisposed);
            Assert.False(detached.IsDisposed);
            detached.Dispose();
        }
        Assert.Equal(before, Tensor.LiveHandleCount);
    }

    [Fact]
    public void Without_a_scope_the_caller_owns_the_tensor()
    {
        var before = LiveHandleCollection.Settle();
        var t = ones(2);
        Assert.Null(t.Scope);
        Assert.Equal(before + 1, Tensor.LiveHandleCount);
        t.Dispose();
        t.Dispose();
        Assert.Equal(before, Tensor.LiveHandleCount);
    }

    [Fact]
    public void Scopes_must_close_innermost_first()
    {
        var outer = NewDisposeScope();
        var inner = NewDisposeScope();
        Assert.Throws<InvalidOperationException>(() => outer.Dispose());
        inner.Dispose();
        outer.Dispose();
        Assert.Null(DisposeScope.Current);
    }

    [Fact]
    public void Parameters_and_module_buffers_are_never_owned_by_a_scope()
    {
        using var scope = NewDisposeScope();
        var layer = nn.BatchNorm1d(3);
        Assert.All(layer.parameters(), p => Assert.Null(p.Scope));
        Assert.All(layer.buffers(), b => Assert.Null(b.Scope));
        layer.Dispose();
    }
}

/// <summary>Tests that compare the process-wide live-handle count run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveHandleCollection
{
    public const string Name = "live handles";

    /// <summary>Lets unreachable tensors of earlier tests be finalized, then reads the count.</summary>
    public static long Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.LiveHandleCount;
    }
}
