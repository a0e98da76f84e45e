using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>What <see cref="Trainer.Dispose"/> frees, by the live tensor count.</summary>
[Collection(LiveHandleCollection.Name)]
public sealed class TrainerDisposeTests
{
    [Fact]
    public void Dispose_frees_the_task_losses_class_weights()
    {
        // u has class weights (one tensor held by its loss); the model and optimizer are the caller's.
        TaskSpec[] tasks =
        [
            new TaskSpec("u", TaskKind.Classes, 2) { ClassWeights = [1.0, 3.0] },
            new TaskSpec("v", TaskKind.Regression),
        ];
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        LiveHandleCollection.Settle();
        Trainer trainer;
        using (NewDisposeScope()) trainer = new Trainer(model, tasks, optimizer);
        var held = LiveHandleCollection.Settle();
        trainer.Dispose();
        Assert.Equal(held - 1, Tensor.LiveHandleCount);
    }

    [Fact]
    public void Dispose_frees_the_best_weights()
    {
        // Early stopping with RestoreBest keeps a copy of the best epoch's three weights.
        TaskSpec[] tasks = [new TaskSpec("u", TaskKind.Regression) { Metrics = ["mae"] }, new TaskSpec("v", TaskKind.Regression)];
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 4, EarlyStop = new EarlyStopping("u.mae", Patience: 2) });
        trainer.Fit(train, train);
        var held = LiveHandleCollection.Settle();
        trainer.Dispose();
        Assert.Equal(held - 3, Tensor.LiveHandleCount);
    }

    [Fact]
    public void Held_batches_outlive_their_scope_until_released()
    {
        // Alternate updates hold an update's micro-batches past their scopes for the second pass.
        using var own = tensor(new float[] { 5 });
        using var held = new HeldBatches();
        Tensor x, y;
        using (NewDisposeScope())
        {
            x = tensor(new float[] { 1, 2 });
            y = tensor(new float[] { 3, 4 });
            // A tensor the batch shares with its dataset (owned by no scope) is held, not disposed.
            held.Hold(new MultiTaskBatch(new Dictionary<string, Tensor> { ["x"] = x, ["own"] = own }, new Dictionary<string, Tensor> { ["y"] = y, ["x"] = x }, 2));
        }
        Assert.False(x.IsDisposed);
        Assert.False(y.IsDisposed);
        Assert.Equal(new float[] { 1, 2 }, x.data<float>().ToArray());
        Assert.Single(held.Batches);
        held.Release();
        Assert.True(x.IsDisposed);
        Assert.True(y.IsDisposed);
        Assert.False(own.IsDisposed);
        Assert.Empty(held.Batches);
    }
}
