using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;
using static Mtl.Torch.torch.distributed;

namespace Mtl.Runtime.Tests.Distributed;

/// <summary>
/// <see cref="GradientBuckets"/>: two ranks, each with half of every batch, step exactly as one
/// process with the whole batch, and agree bit for bit on their weights after every step.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class GradientBucketsTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-buckets-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Sequential Model(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.Tanh(), nn.Linear(3, 1));
    }

    private static float[] Weights(nn.Module model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    /// <summary>Three Adam steps on <paramref name="x"/>, <paramref name="y"/> (rows first..first+count of each batch), averaging gradients over <paramref name="buckets"/> when given; the weights after each step.</summary>
    private static List<float[]> Train(Sequential model, Tensor[] x, Tensor[] y, long first, long count, Func<GradientBuckets>? buckets)
    {
        using var optimizer = optim.Adam(model.parameters(), lr: 0.05);
        var parallel = buckets?.Invoke();
        parallel?.BroadcastParameters();
        var after = new List<float[]> { Weights(model) };
        for (var step = 0; step < x.Length; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var prediction = model.forward(x[step].narrow(0, first, count));
            var loss = (prediction - y[step].narrow(0, first, count)).pow(2).mean();
            loss.backward();
            parallel?.AverageGradients();
            optimizer.step();
            after.Add(Weights(model));
        }
        return after;
    }

    private List<float[]>[] TwoRanks(Tensor[] x, Tensor[] y, long bucketBytes)
    {
        // Different initial weights per rank: the broadcast must make them rank 0's.
        var models = new[] { Model(1), Model(2) };
        var results = Ranks.Run(Path.Combine(_folder, $"store-{bucketBytes}"), 2, Timeout,
            group => Train(models[group.rank], x, y, group.rank * 16, 16, () => new GradientBuckets(group, models[group.rank].parameters(), bucketBytes)));
        foreach (var model in models) model.Dispose();
        return results;
    }

    [Theory]
    [InlineData(GradientBuckets.DefaultBucketBytes)]
    [InlineData(64)]
    public void Two_ranks_with_half_batches_step_as_one_process_with_the_whole_batch(long bucketBytes)
    {
        manual_seed(9);
        var x = Enumerable.Range(0, 3).Select(_ => randn(32, 4)).ToArray();
        var y = x.Select(t => t.sum(1, keepdim: true).sin()).ToArray();

        var ranks = TwoRanks(x, y, bucketBytes);
        using var single = Model(1);
        var whole = Train(single, x, y, 0, 32, null);

        for (var step = 0; step < whole.Count; step++)
        {
            // The ranks agree exactly: the same averaged gradient, the same update.
            Assert.Equal(ranks[0][step], ranks[1][step]);
            for (var i = 0; i < whole[step].Length; i++) Assert.Equal(whole[step][i], ranks[0][step][i], 5e-6f);
        }
        // The weights moved: the check compares something.
        Assert.NotEqual(whole[0], whole[^1]);
        foreach (var t in x.Concat(y)) t.Dispose();
    }

    [Fact]
    public void Buckets_hold_consecutive_parameters_up_to_the_size()
    {
        using var model = Model(1);
        using var store = new FileStore(Path.Combine(_folder, "store"), 1, Timeout);
        using var group = new ProcessGroupGloo(store, 0, 1, Timeout, host: "127.0.0.1");
        // Parameters: 32 + 8, 24 + 3, 3 + 1 floats = 128, 32, 96, 12, 12, 4 bytes.
        Assert.Equal([6], new GradientBuckets(group, model.parameters()).Buckets.Select(b => b.Count));
        Assert.Equal([2, 4], new GradientBuckets(group, model.parameters(), 160).Buckets.Select(b => b.Count));
        Assert.Equal([1, 2, 3], new GradientBuckets(group, model.parameters(), 128).Buckets.Select(b => b.Count));
        // A parameter larger than the size has a bucket of its own.
        Assert.Equal([1, 1, 1, 3], new GradientBuckets(group, model.parameters(), 100).Buckets.Select(b => b.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientBuckets(group, model.parameters(), 0));
    }
}
