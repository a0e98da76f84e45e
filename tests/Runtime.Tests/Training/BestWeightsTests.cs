using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

public sealed class BestWeightsTests
{
    private static float[][] Values(nn.Module model) => model.parameters().Select(p => p.data<float>().ToArray()).ToArray();

    private static void Perturb(nn.Module model)
    {
        using var mode = no_grad();
        foreach (var p in model.parameters()) p.add_(1.5);
    }

    [Fact]
    public void Restores_the_captured_weights_bit_for_bit_after_the_model_moved_on()
    {
        using var model = new TwoTaskModel();
        using var best = new BestWeights();
        Assert.False(best.RestoreInto(model));
        best.Capture(model);
        var captured = Values(model);
        Perturb(model);
        Assert.NotEqual(captured, Values(model));
        Assert.True(best.RestoreInto(model));
        Assert.Equal(captured, Values(model));
        // The copy is the model's state dict, but none of its tensors.
        Assert.Equal(model.state_dict().Keys, best.Tensors!.Keys);
        Assert.All(best.Tensors, p => Assert.False(ReferenceEquals(p.Value, model.state_dict()[p.Key])));
    }

    [Fact]
    public void A_new_capture_disposes_the_copy_it_replaces()
    {
        using var model = new TwoTaskModel();
        using var best = new BestWeights();
        best.Capture(model);
        var first = best.Tensors!.Values.ToList();
        Perturb(model);
        best.Capture(model);
        Assert.All(first, t => Assert.True(t.IsDisposed));
        Assert.All(best.Tensors!.Values, t => Assert.False(t.IsDisposed));
        var kept = best.Tensors!.Values.ToList();
        best.Dispose();
        Assert.Null(best.Tensors);
        Assert.All(kept, t => Assert.True(t.IsDisposed));
    }

    [Fact]
    public void Loading_copies_the_given_tensors_and_an_empty_set_means_none()
    {
        using var model = new TwoTaskModel();
        using var best = new BestWeights();
        var source = model.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().DetachFromDisposeScope());
        var expected = Values(model);
        best.Load(source);
        foreach (var tensor in source.Values) tensor.Dispose();
        Perturb(model);
        Assert.True(best.RestoreInto(model));
        Assert.Equal(expected, Values(model));

        var loaded = best.Tensors!.Values.ToList();
        best.Load(new Dictionary<string, Tensor>());
        Assert.Null(best.Tensors);
        Assert.All(loaded, t => Assert.True(t.IsDisposed));
        Assert.False(best.RestoreInto(model));
    }
}

[Collection(LiveHandleCollection.Name)]
public sealed class BestWeightsLifetimeTests
{
    private static TrainerOptions Options(string? checkpoint = null) => new()
    {
        Epochs = 4,
        BatchSize = 16,
        // Training loss on the training data falls every epoch: every epoch is a new best.
        EarlyStop = new EarlyStopping("loss", Patience: 10),
        CheckpointPath = checkpoint,
    };

    [Fact]
    public void Capturing_best_weights_every_epoch_leaves_nothing_to_the_garbage_collector()
    {
        manual_seed(1);
        using var data = TwoTaskData.Make(64, seed: 2);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        var before = LiveHandleCollection.Settle();
        using (var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, Options()))
        {
            trainer.Fit(data, data);
            Assert.True(trainer.History.Count(r => r.Epoch > 1 && r.Validation["loss"] < trainer.History[r.Epoch - 2].Validation["loss"]) >= 2);
        }
        // No GC here: a tensor left to the finalizer would still be counted.
        Assert.Equal(before, Tensor.LiveHandleCount);
    }

    [Fact]
    public void Loading_a_checkpoint_with_best_weights_leaves_nothing_to_the_garbage_collector()
    {
        var folder = Directory.CreateTempSubdirectory("mtl-best-").FullName;
        try
        {
            var path = Path.Combine(folder, "run.ckpt");
            manual_seed(1);
            using var data = TwoTaskData.Make(64, seed: 2);
            using var model = new TwoTaskModel();
            using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
            using (var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, Options(path))) trainer.Fit(data, data);
            var before = LiveHandleCollection.Settle();
            using (var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, Options()))
            {
                Checkpoint.Load(path, trainer);
                Assert.NotNull(trainer.Parts.BestWeights.Tensors);
            }
            Assert.Equal(before, Tensor.LiveHandleCount);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
