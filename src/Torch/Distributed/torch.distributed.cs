using Mtl.Torch.Native;

namespace Mtl.Torch;

public static partial class torch
{
    /// <summary>
    /// Data-parallel collectives on libtorch's c10d, named as in PyTorch's <c>torch.distributed</c>:
    /// a rendezvous <see cref="Store"/> (<see cref="FileStore"/> on a shared file system,
    /// <see cref="TCPStore"/> over the network) through which N processes find each other, and a
    /// <see cref="ProcessGroupGloo"/> over it whose <c>all_reduce</c>, <c>broadcast</c> and
    /// <c>barrier</c> run on CPU tensors. Every failure (a peer gone, a timeout, a tensor of another
    /// shape on a peer) is a <see cref="TorchException"/> naming the op, the rank and the world size.
    /// </summary>
    public static class distributed
    {
        /// <summary>How <see cref="ProcessGroupGloo.all_reduce"/> combines the ranks' tensors (Gloo has no average: sum, then divide).</summary>
        public enum ReduceOp
        {
            SUM = 0,
            PRODUCT = 1,
            MIN = 2,
            MAX = 3,
        }

        /// <summary>The time a store or a collective waits for its peers before it fails (PyTorch's default is 30 minutes; ours is shorter so a dead peer is seen sooner).</summary>
        public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

        /// <summary>A key-value store the processes of a group meet through. Dispose it after the groups built on it.</summary>
        public abstract class Store : IDisposable
        {
            private nint _handle;

            private protected Store(nint handle, int worldSize) => (_handle, world_size) = (handle, worldSize);

            /// <summary>The number of processes that meet through this store.</summary>
            public int world_size { get; }

            internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(GetType().Name);

            public void Dispose()
            {
                var handle = Interlocked.Exchange(ref _handle, 0);
                if (handle != 0) NativeStatus.Check(NativeMethods.mtl_store_free(handle));
            }

            private protected static void CheckWorldSize(int worldSize)
            {
                if (worldSize < 1) throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "the world size must be at least 1");
            }
        }

        /// <summary>A store in a file every process can reach (a local or shared file system); for tests and single machines. The file must not exist before the first process opens it.</summary>
        public sealed class FileStore : Store
        {
            public FileStore(string path, int world_size, TimeSpan? timeout = null) : base(Create(path, world_size, timeout), world_size) => this.path = path;

            public string path { get; }

            private static nint Create(string path, int worldSize, TimeSpan? timeout)
            {
                ArgumentException.ThrowIfNullOrEmpty(path);
                CheckWorldSize(worldSize);
                var status = NativeMethods.mtl_file_store_new(path, worldSize, Milliseconds(timeout), out var handle);
                Failed(status, $"FileStore('{path}', world_size {worldSize})");
                return handle;
            }
        }

        /// <summary>
        /// A store served over TCP by the master process (<c>is_master</c>, the one at
        /// <c>host_name</c>:<c>port</c>); every process connects to it, and
        /// the constructor returns when all <c>world_size</c> have, or fails after the timeout.
        /// </summary>
        public sealed class TCPStore : Store
        {
            public TCPStore(string host_name, int port, int world_size, bool is_master, TimeSpan? timeout = null) : base(Create(host_name, port, world_size, is_master, timeout), world_size)
            {
                (this.host_name, this.port) = (host_name, port);
            }

            public string host_name { get; }

            public int port { get; }

            private static nint Create(string host, int port, int worldSize, bool isMaster, TimeSpan? timeout)
            {
                ArgumentException.ThrowIfNullOrEmpty(host);
                if (port is < 0 or > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(port), port, "a TCP port is in [0, 65535]");
                CheckWorldSize(worldSize);
                var status = NativeMethods.mtl_tcp_store_new(host, port, worldSize, isMaster ? (byte)1 : (byte)0, Milliseconds(timeout), out var handle);
                Failed(status, $"TCPStore({host}:{port}, world_size {worldSize}, {(isMaster ? "master" : "worker")})");
                return handle;
            }
        }

        /// <summary>
        /// Rank <see cref="rank"/> of <see cref="size"/> processes joined over <c>store</c>
        /// with libtorch's Gloo backend. The constructor returns when every rank has joined (or fails
        /// after the timeout). Collectives are blocking, and every rank must call the same ones in the
        /// same order with tensors of the same shape and dtype. <c>host</c> is the address
        /// this rank listens on for its peers (null: the machine's hostname, else the loopback address).
        /// </summary>
        public sealed class ProcessGroupGloo : IDisposable
        {
            private nint _handle;

            public ProcessGroupGloo(Store store, int rank, int size, TimeSpan? timeout = null, string? host = null)
            {
                ArgumentNullException.ThrowIfNull(store);
                if (size < 1) throw new ArgumentOutOfRangeException(nameof(size), size, "the world size must be at least 1");
                if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), rank, $"the rank must be in [0, {size})");
                (this.rank, this.size) = (rank, size);
                var status = NativeMethods.mtl_process_group_gloo_new(store.Handle, rank, size, host, Milliseconds(timeout), out _handle);
                Failed(status, $"ProcessGroupGloo on rank {rank} of {size}");
            }

            public int rank { get; }

            public int size { get; }

            /// <summary>Replaces <paramref name="tensor"/> on every rank by the ranks' tensors combined element by element (in place).</summary>
            public void all_reduce(Tensor tensor, ReduceOp op = ReduceOp.SUM)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                Failed(NativeMethods.mtl_all_reduce(Handle, tensor.Handle, (int)op), Op($"all_reduce({op.ToString().ToLowerInvariant()}) of {Describe(tensor)}"));
            }

            /// <summary>Copies <paramref name="tensor"/> of rank <paramref name="src"/> into the tensor every other rank passes (in place).</summary>
            public void broadcast(Tensor tensor, int src = 0)
            {
                ArgumentNullException.ThrowIfNull(tensor);
                if (src < 0 || src >= size) throw new ArgumentOutOfRangeException(nameof(src), src, $"the source rank must be in [0, {size})");
                Failed(NativeMethods.mtl_broadcast(Handle, tensor.Handle, src), Op($"broadcast from rank {src} of {Describe(tensor)}"));
            }

            /// <summary>Returns when every rank has called it.</summary>
            public void barrier() => Failed(NativeMethods.mtl_barrier(Handle), Op("barrier"));

            public void Dispose()
            {
                var handle = Interlocked.Exchange(ref _handle, 0);
                if (handle != 0) NativeStatus.Check(NativeMethods.mtl_process_group_free(handle));
            }

            private nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(ProcessGroupGloo));

            private string Op(string what) => $"{what} on rank {rank} of {size}";

            private static string Describe(Tensor tensor) => $"a {tensor.dtype.ToString().ToLowerInvariant()} tensor {Tensor.FormatShape(tensor.shape)}";
        }

        private static long Milliseconds(TimeSpan? timeout)
        {
            var value = timeout ?? DefaultTimeout;
            if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), value, "the timeout must be positive");
            return (long)Math.Ceiling(value.TotalMilliseconds);
        }

        /// <summary>A failed status becomes a <see cref="TorchException"/> that says which op failed where, then libtorch's message.</summary>
        private static void Failed(int status, string what)
        {
            if (status == 0) return;
            try
            {
                NativeStatus.Check(status);
            }
            catch (TorchException e)
            {
                throw new TorchException($"{what} failed: {e.Message}", e.Kind);
            }
        }
    }
}
