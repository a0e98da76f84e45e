using System.Globalization;
using static Mtl.Torch.torch.distributed;

namespace Mtl.Training;

/// <summary>
/// This process as one rank of a data-parallel run started the way <c>torchrun</c> (or
/// <c>mtl-run</c>) starts one: the environment variables <c>RANK</c>, <c>WORLD_SIZE</c>,
/// <c>MASTER_ADDR</c> (default 127.0.0.1) and <c>MASTER_PORT</c> (default 29500) say where it
/// stands, rank 0 serves the <see cref="TCPStore"/>, and every rank joins a
/// <see cref="ProcessGroupGloo"/> over it. Put <see cref="Group"/> into
/// <see cref="TrainerOptions.Parallel"/>; dispose this after the trainer.
/// </summary>
public sealed class DistributedProcess : IDisposable
{
    private readonly Store _store;

    private DistributedProcess(Store store, ProcessGroupGloo group) => (_store, Group) = (store, group);

    public ProcessGroupGloo Group { get; }

    public int Rank => Group.rank;

    public int WorldSize => Group.size;

    /// <summary>
    /// Joins the run the environment describes, or returns null when it describes none
    /// (<c>WORLD_SIZE</c> unset). A malformed variable is an <see cref="InvalidOperationException"/>
    /// naming it and its value; a peer that does not come within <paramref name="timeout"/> is a
    /// <see cref="Torch.TorchException"/>.
    /// </summary>
    public static DistributedProcess? FromEnvironment(TimeSpan? timeout = null) => FromVariables(Environment.GetEnvironmentVariable, timeout);

    internal static DistributedProcess? FromVariables(Func<string, string?> variable, TimeSpan? timeout)
    {
        if (string.IsNullOrEmpty(variable("WORLD_SIZE"))) return null;
        var world = Integer(variable, "WORLD_SIZE", null, 1, int.MaxValue);
        var rank = Integer(variable, "RANK", null, 0, world - 1);
        var port = Integer(variable, "MASTER_PORT", 29500, 1, ushort.MaxValue);
        var host = variable("MASTER_ADDR") is { Length: > 0 } address ? address : "127.0.0.1";
        var store = new TCPStore(host, port, world, is_master: rank == 0, timeout);
        try
        {
            return new DistributedProcess(store, new ProcessGroupGloo(store, rank, world, timeout));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    private static int Integer(Func<string, string?> variable, string name, int? fallback, int low, int high)
    {
        var text = variable(name);
        if (string.IsNullOrEmpty(text))
        {
            return fallback ?? throw new InvalidOperationException($"{name} is not set, but WORLD_SIZE is: a data-parallel process needs both");
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < low || value > high)
        {
            throw new InvalidOperationException($"{name} is '{text}': it must be a whole number in [{low}, {high}]");
        }
        return value;
    }

    public void Dispose()
    {
        Group.Dispose();
        _store.Dispose();
    }
}
