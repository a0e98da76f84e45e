using System.Net;
using System.Net.Sockets;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;
using static Mtl.Torch.torch.distributed;

namespace Mtl.Runtime.Tests.Distributed;

/// <summary>
/// The c10d binding: two ranks (here two threads of one process, each with its own process group,
/// as two processes would be) meet through a store and run Gloo collectives; a peer that is gone or
/// never comes is a clear error within the timeout, not a hang.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class ProcessGroupTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-c10d-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private T[] TwoRanks<T>(Func<ProcessGroupGloo, T> body) => Ranks.Run(Path.Combine(_folder, "store"), 2, Timeout, body);

    [Fact]
    public void All_reduce_combines_every_ranks_tensor_in_place_on_every_rank()
    {
        var results = TwoRanks(group =>
        {
            var r = group.rank + 1;
            using var sum = tensor(new[] { r * 1f, r * 10f, -r * 0.5f });
            group.all_reduce(sum);
            using var max = tensor(new[] { r * 1.0, 5.0 - r });
            group.all_reduce(max, ReduceOp.MAX);
            using var min = tensor(new long[] { r, 7 - r });
            group.all_reduce(min, ReduceOp.MIN);
            using var product = tensor(new[] { r + 1.0 });
            group.all_reduce(product, ReduceOp.PRODUCT);
            return (Sum: sum.data<float>().ToArray(), Max: max.data<double>().ToArray(), Min: min.data<long>().ToArray(), Product: product.data<double>().ToArray());
        });
        foreach (var result in results)
        {
            // Rank 0 holds r = 1, rank 1 holds r = 2.
            Assert.Equal([3f, 30f, -1.5f], result.Sum);
            Assert.Equal([2.0, 4.0], result.Max);
            Assert.Equal([1L, 5L], result.Min);
            Assert.Equal([6.0], result.Product);
        }
    }

    [Fact]
    public void Broadcast_copies_the_source_ranks_tensor_and_barrier_returns_on_every_rank()
    {
        var results = TwoRanks(group =>
        {
            using var values = group.rank == 1 ? tensor(new[] { 1.5f, -2f, 4f, 8f }).reshape(2, 2) : zeros(2, 2);
            group.broadcast(values, src: 1);
            group.barrier();
            return values.data<float>().ToArray();
        });
        Assert.All(results, r => Assert.Equal([1.5f, -2f, 4f, 8f], r));
    }

    [Fact]
    public void A_peer_that_has_left_makes_the_collective_fail_with_the_op_and_the_rank()
    {
        var path = Path.Combine(_folder, "store");
        var joined = new Barrier(3);
        var leaver = new Thread(() =>
        {
            using var store = new FileStore(path, 2, Timeout);
            using (var group = new ProcessGroupGloo(store, 1, 2, TimeSpan.FromSeconds(5), host: "127.0.0.1"))
            {
                joined.SignalAndWait();
            }
            joined.SignalAndWait();
        });
        FileStore? store = null;
        ProcessGroupGloo? group = null;
        var joiner = new Thread(() =>
        {
            store = new FileStore(path, 2, Timeout);
            group = new ProcessGroupGloo(store, 0, 2, TimeSpan.FromSeconds(5), host: "127.0.0.1");
            joined.SignalAndWait();
            joined.SignalAndWait();
        });
        leaver.Start();
        joiner.Start();
        // Both have joined; then rank 1 disposes its group.
        joined.SignalAndWait();
        joined.SignalAndWait();
        leaver.Join();
        joiner.Join();
        using var _ = store;
        using var __ = group;
        using var values = ones(4);
        var error = Assert.Throws<TorchException>(() => group!.all_reduce(values));
        Assert.StartsWith("all_reduce(sum) of a float32 tensor [4] on rank 0 of 2 failed: ", error.Message);
    }

    [Fact]
    public void A_rank_that_never_joins_makes_the_group_fail_after_the_timeout()
    {
        using var store = new FileStore(Path.Combine(_folder, "store"), 2, TimeSpan.FromSeconds(1));
        var error = Assert.Throws<TorchException>(() => new ProcessGroupGloo(store, 0, 2, TimeSpan.FromSeconds(1), host: "127.0.0.1"));
        Assert.StartsWith("ProcessGroupGloo on rank 0 of 2 failed: ", error.Message);
    }

    [Fact]
    public void Two_ranks_meet_through_a_tcp_store_served_by_the_master()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var results = Ranks.OnThreads(Enumerable.Range(0, 2).Select(rank => (Func<float[]>)(() =>
        {
            using var store = new TCPStore("127.0.0.1", port, 2, is_master: rank == 0, Timeout);
            using var group = new ProcessGroupGloo(store, rank, 2, Timeout, host: "127.0.0.1");
            using var values = full([3], group.rank + 1.0);
            group.all_reduce(values);
            return values.data<float>().ToArray();
        })).ToArray());
        Assert.All(results, r => Assert.Equal([3f, 3f, 3f], r));
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_is_built()
    {
        using var store = new FileStore(Path.Combine(_folder, "store"), 1, Timeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessGroupGloo(store, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessGroupGloo(store, -1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FileStore(Path.Combine(_folder, "other"), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TCPStore("127.0.0.1", 70000, 1, is_master: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProcessGroupGloo(store, 0, 1, TimeSpan.Zero));

        // A group of one is its own peer: every collective leaves the tensor as it is.
        using var alone = new ProcessGroupGloo(store, 0, 1, Timeout, host: "127.0.0.1");
        using var values = tensor(new[] { 2f, 3f });
        alone.all_reduce(values);
        alone.broadcast(values, 0);
        alone.barrier();
        Assert.Equal([2f, 3f], values.data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => alone.broadcast(values, 1));
        alone.Dispose();
        Assert.Throws<ObjectDisposedException>(() => alone.barrier());
    }
}
