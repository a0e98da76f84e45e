using static Mtl.Torch.torch.distributed;

namespace Mtl.Runtime.Tests.Distributed;

/// <summary>Ranks of a process group as threads of the test process, as separate processes would be.</summary>
internal static class Ranks
{
    /// <summary>Runs each body on a thread of its own, all at once (each blocks in native collectives until its peers come); rethrows the first failure.</summary>
    public static T[] OnThreads<T>(params Func<T>[] bodies)
    {
        var results = new T[bodies.Length];
        var errors = new Exception?[bodies.Length];
        var threads = bodies.Select((body, i) => new Thread(() =>
        {
            try
            {
                results[i] = body();
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (errors.FirstOrDefault(e => e is not null) is { } error) throw new InvalidOperationException("a rank failed", error);
        return results;
    }

    /// <summary>Runs <paramref name="body"/> as ranks 0 … world − 1 at once, each with its own group over its own handle of the file store at <paramref name="path"/>; each rank's result.</summary>
    public static T[] Run<T>(string path, int world, TimeSpan timeout, Func<ProcessGroupGloo, T> body) =>
        OnThreads(Enumerable.Range(0, world).Select(rank => (Func<T>)(() =>
        {
            using var store = new FileStore(path, world, timeout);
            using var group = new ProcessGroupGloo(store, rank, world, timeout, host: "127.0.0.1");
            return body(group);
        })).ToArray());
}
