using Xunit;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

[Collection(LiveHandleCollection.Name)]
public sealed class SeedTests
{
    [Fact]
    public void Manual_seed_reproduces_random_tensors_exactly()
    {
        using var scope = NewDisposeScope();
        manual_seed(123);
        var a = randn(100);
        var b = rand(5, 5);
        manual_seed(123);
        Assert.True(randn(100).equal(a));
        Assert.True(rand(5, 5).equal(b));
        manual_seed(124);
        Assert.False(randn(100).equal(a));
    }

    [Fact]
    public void Manual_seed_reproduces_a_training_run_exactly()
    {
        static float[] Train()
        {
            manual_seed(7);
            using var model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 1));
            using var optimizer = optim.SGD(model.parameters(), lr: 0.05, momentum: 0.9);
            for (var i = 0; i < 50; i++)
            {
                using var step = NewDisposeScope();
                var x = randn(4, 6);
                var loss = nn.functional.mse_loss(model.forward(x), x.sum(1, keepdim: true));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            return model.parameters().SelectMany(p => p.data<float>()).ToArray();
        }

        Assert.Equal(Train(), Train());
    }
}
