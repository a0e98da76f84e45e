using Xunit;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

[Collection(LiveHandleCollection.Name)]
public sealed class LeakTests
{
    [Fact]
    public void Ten_thousand_training_steps_keep_the_live_handle_count_constant()
    {
        manual_seed(1);
        using var model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.1), nn.Linear(32, 4));
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        using var x = randn(8, 16);
        using var y = randint(4, [8]);

        void Step()
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(x);
            var loss = nn.functional.cross_entropy(logits, y) + 1e-4 * logits.pow(2).mean();
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), 1.0);
            optimizer.step();
            _ = loss.item<float>();
        }

        Step();
        var baseline = LiveHandleCollection.Settle();
        var counts = new List<long>();
        for (var i = 1; i <= 10_000; i++)
        {
            Step();
            if (i % 1000 == 0) counts.Add(Tensor.LiveHandleCount);
        }
        Assert.All(counts, c => Assert.Equal(baseline, c));
    }

    [Fact]
    public void Disposing_a_module_and_optimizer_releases_their_tensors()
    {
        var before = LiveHandleCollection.Settle();
        using (var scope = NewDisposeScope())
        {
            using var model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Linear(4, 1));
            using var optimizer = optim.AdamW(model.parameters());
            var loss = model.forward(randn(3, 4)).sum();
            loss.backward();
            optimizer.step();
        }
        Assert.Equal(before, Tensor.LiveHandleCount);
    }
}
