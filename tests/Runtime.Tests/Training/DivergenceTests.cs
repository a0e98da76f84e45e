using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>Training that diverges stops, says what diverged and keeps the last good checkpoint and best weights.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class DivergenceTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-diverge-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// 64 rows in batches of 64: one step per epoch, so the step whose learning rate blew up (the
    /// third: MultiStepLR multiplies 0.01 by 1e39 at step 2) is its epoch's last, and its loss and
    /// gradient norm, computed before its update, are finite. With the inputs as they are, the
    /// update leaves huge but finite weights whose outputs overflow; with inputs 100 times larger
    /// the gradient is large enough that the update itself overflows to inf.
    /// </summary>
    [Theory]
    [InlineData(1.0, @"^the loss of task 'value' on the epoch's last batch became (NaN|inf) after the update of step 3 \(epoch 3\): the weights diverged \(the largest is [0-9.]+E\+3\d in parameter '[\w.]+'\)")]
    [InlineData(100.0, @"^parameter 'trunk\.0\.weight' holds inf after step 3 \(epoch 3\)")]
    public void A_learning_rate_that_blows_up_on_the_last_step_of_an_epoch_is_caught_before_the_checkpoint(double inputScale, string expected)
    {
        var path = Path.Combine(_folder, "run.ckpt");
        manual_seed(5);
        using var raw = TwoTaskData.Make(64, seed: 3);
        MultiTaskDataset data;
        using (var scope = NewDisposeScope()) data = new MultiTaskDataset(new Dictionary<string, Tensor> { ["x"] = raw.Inputs["x"] * inputScale }, raw.Targets, TwoTaskData.Tasks);
        using var owned = data;
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
        {
            Epochs = 4,
            BatchSize = 64,
            CheckpointPath = path,
            EarlyStop = new EarlyStopping("loss", Patience: 5),
            Scheduler = optim.lr_scheduler.MultiStepLR(optimizer, [2], 1e39),
        });
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data, data));
        Assert.Matches(expected, error.Message);
        Assert.DoesNotContain("n/a", error.Message);
        Assert.Equal(2, trainer.History.Count);
        Assert.All(trainer.Parts.BestWeights.Tensors!.Values, t => Assert.True(t.data<float>().ToArray().All(float.IsFinite)));

        // The checkpoint left is epoch 2's, with finite weights ...
        using var check = new TwoTaskModel();
        using var checkOptimizer = optim.SGD(check.parameters(), lr: 0.01);
        using var restored = new Trainer(check, TwoTaskData.Tasks, checkOptimizer, new TrainerOptions
        {
            EarlyStop = new EarlyStopping("loss", Patience: 5),
            Scheduler = optim.lr_scheduler.MultiStepLR(checkOptimizer, [2], 1e39),
        });
        Checkpoint.Load(path, restored);
        Assert.Equal(2, restored.Epoch);
        Assert.Equal(2, restored.Step);
        Assert.All(check.parameters(), p => Assert.True(p.data<float>().ToArray().All(float.IsFinite)));
        // ... and that still give a finite loss, unlike the diverged weights.
        Assert.True(double.IsFinite(restored.Evaluate(data)["loss"]));
        Assert.False(double.IsFinite(trainer.Evaluate(data)["loss"]));
    }

    [Fact]
    public void Non_finite_optimizer_state_is_caught_before_the_checkpoint_and_named()
    {
        var path = Path.Combine(_folder, "state.ckpt");
        manual_seed(6);
        using var data = TwoTaskData.Make(64, seed: 3);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        using (var first = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 64, CheckpointPath = path })) first.Fit(data);
        var good = File.ReadAllBytes(path);
        // An infinite second moment makes Adam's update m / (sqrt(v) + eps) zero: the weights stay
        // finite, so only the optimizer's state can tell that the run has diverged.
        using (var poisoned = optimizer.state_dict())
        {
            poisoned.state[0].tensors["exp_avg_sq"].fill_(double.PositiveInfinity);
            optimizer.load_state_dict(poisoned);
        }
        using var more = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 64, CheckpointPath = path });
        var error = Assert.Throws<TrainingDivergedException>(() => more.Fit(data));
        Assert.True(model.parameters().All(p => p.data<float>().ToArray().All(float.IsFinite)), "the weights should have stayed finite");
        Assert.Contains($"optimizer state 'exp_avg_sq' of parameter '{model.named_parameters().First().name}' holds inf after step 1 (epoch 1)", error.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_NaN_loss_message_names_NaN_as_NaN()
    {
        manual_seed(5);
        using var data = TwoTaskData.Make(64, seed: 3);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using (no_grad()) model.KindHead.parameters().First().fill_(double.NaN);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 32 });
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(data));
        Assert.Contains("the loss of task 'kind' became NaN at step 1 (epoch 1)", error.Message);
        Assert.DoesNotContain("n/a", error.Message);
    }
}
