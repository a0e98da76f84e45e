using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;
using static Mtl.Torch.torch.distributed;

namespace Mtl.Training;

/// <summary>
/// Keeps N data-parallel ranks' parameters equal, as PyTorch's DistributedDataParallel does:
/// <see cref="BroadcastParameters"/> copies rank 0's values to every rank once at the start, and
/// <see cref="AverageGradients"/>, after each rank's backward on its own shard of the batch,
/// replaces every gradient by its mean over the ranks. Parameters are packed into buckets of
/// consecutive parameters of one dtype, up to <see cref="BucketBytes"/> each (PyTorch's default
/// 25 MiB), so a step makes a few large all-reduces rather than one per tensor. With each rank's
/// loss the mean over its B examples, the averaged gradient is the gradient of the mean over the
/// N·B examples of all ranks: N ranks step as one process with an N times larger batch.
/// </summary>
public sealed class GradientBuckets
{
    /// <summary>PyTorch's default bucket size (DistributedDataParallel's <c>bucket_cap_mb</c>, 25).</summary>
    public const long DefaultBucketBytes = 25L * 1024 * 1024;

    private readonly ProcessGroupGloo _group;
    private readonly IReadOnlyList<IReadOnlyList<Parameter>> _buckets;

    public GradientBuckets(ProcessGroupGloo group, IEnumerable<Parameter> parameters, long bucketBytes = DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(parameters);
        if (bucketBytes < 1) throw new ArgumentOutOfRangeException(nameof(bucketBytes), bucketBytes, "a bucket holds at least one byte");
        _group = group;
        BucketBytes = bucketBytes;
        _buckets = Pack(parameters.ToList(), bucketBytes);
    }

    public long BucketBytes { get; }

    /// <summary>The buckets, in parameter order: each all-reduced as one flat tensor.</summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> Buckets => _buckets;

    /// <summary>Copies rank 0's parameter values to every rank (call once, before the first step).</summary>
    public void BroadcastParameters()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var bucket in _buckets)
        {
            var flat = cat(bucket.Select(p => p.detach().flatten()).ToList());
            _group.broadcast(flat, src: 0);
            Unpack(flat, bucket, (p, _) => p);
        }
    }

    /// <summary>
    /// Replaces each parameter's gradient by its mean over the ranks. A parameter without a
    /// gradient on this rank (no path from this rank's loss) counts as zeros there; one without a
    /// gradient on every rank keeps none, so the optimizer leaves it alone as it would in one
    /// process (each bucket carries one flag per parameter: how many ranks have its gradient).
    /// </summary>
    public void AverageGradients()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var bucket in _buckets)
        {
            var grads = bucket.Select(p => p.grad).ToList();
            var present = tensor(grads.Select(g => g is null ? 0.0 : 1.0).ToArray(), [bucket.Count]).to(bucket[0].dtype);
            var flat = cat(grads.Select((g, i) => (g ?? zeros_like(bucket[i])).flatten()).Append(present).ToList());
            _group.all_reduce(flat);
            var total = flat.numel() - bucket.Count;
            var holders = flat.narrow(0, total, bucket.Count).to(ScalarType.Float64).data<double>().ToArray();
            flat.div_(_group.size);
            Unpack(flat, bucket, (p, i) =>
            {
                if (holders[i] == 0) return null;
                if (grads[i] is { } grad) return grad;
                p.grad = zeros_like(p);
                return p.grad;
            });
        }
    }

    /// <summary>Copies consecutive pieces of <paramref name="flat"/> into the tensor <paramref name="target"/> gives for each parameter (none: skipped).</summary>
    private static void Unpack(Tensor flat, IReadOnlyList<Parameter> bucket, Func<Parameter, int, Tensor?> target)
    {
        long offset = 0;
        for (var i = 0; i < bucket.Count; i++)
        {
            var p = bucket[i];
            var count = p.numel();
            target(p, i)?.copy_(flat.narrow(0, offset, count).view(p.shape));
            offset += count;
        }
    }

    private static List<IReadOnlyList<Parameter>> Pack(IReadOnlyList<Parameter> parameters, long bucketBytes)
    {
        var buckets = new List<IReadOnlyList<Parameter>>();
        var current = new List<Parameter>();
        long bytes = 0;
        foreach (var p in parameters)
        {
            var size = p.numel() * ScalarTypeInfo.ElementSize(p.dtype);
            if (current.Count > 0 && (bytes + size > bucketBytes || current[0].dtype != p.dtype))
            {
                buckets.Add(current);
                (current, bytes) = (new List<Parameter>(), 0);
            }
            current.Add(p);
            bytes += size;
        }
        if (current.Count > 0) buckets.Add(current);
        return buckets;
    }
}
