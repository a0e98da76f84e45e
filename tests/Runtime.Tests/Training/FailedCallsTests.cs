using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>A call that fails leaves the objects it was given as they were.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class FailedCallsTests
{
    [Fact]
    public void An_evaluation_that_fails_in_forward_leaves_the_model_in_training_mode()
    {
        manual_seed(1);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8 });
        // The model declares no inputs, so five features instead of six fail inside its first layer.
        using var narrow = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = zeros(4, 5) },
            new Dictionary<string, Tensor> { ["value"] = zeros(4, 1), ["kind"] = tensor(new long[4]) },
            TwoTaskData.Tasks);
        model.train();
        Assert.ThrowsAny<Exception>(() => trainer.Evaluate(narrow));
        Assert.True(model.training);
    }

    [Fact]
    public void A_trainer_rejected_for_its_settings_leaves_the_optimizer_without_the_weighting_parameters()
    {
        manual_seed(1);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        using var weighting = TaskWeighting.Create("uncertainty", [1, 0.5]);
        var options = new TrainerOptions { Weighting = weighting, EarlyStop = new EarlyStopping("nonexistent.accuracy") };
        Assert.ThrowsAny<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, options));
        Assert.Single(optimizer.param_groups);

        // The same settings with a monitor that exists add the log-variances as a second group.
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, options with { EarlyStop = new EarlyStopping("kind.accuracy") });
        Assert.Equal(2, optimizer.param_groups.Count);
    }
}
