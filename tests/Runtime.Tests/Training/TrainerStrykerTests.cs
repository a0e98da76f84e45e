using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// What the mutants of <see cref="Trainer"/> left alive by the other tests changed: the L2 term
/// under accumulation, and the divergence message's largest weight. On <see cref="ScalarTwoTaskModel"/> (u = b·(a·x), v = c·(a·x), a = b = c = 1),
/// with values worked out by hand.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerStrykerTests
{
    private static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("u", TaskKind.Regression),
        new TaskSpec("v", TaskKind.Regression) { Weight = 2 },
    ];

    private static MultiTaskDataset Examples(float[] x, float[] u, float[] v) => new(
        new Dictionary<string, Tensor> { ["x"] = tensor(x, [x.Length, 1]) },
        new Dictionary<string, Tensor> { ["u"] = tensor(u, [u.Length, 1]), ["v"] = tensor(v, [v.Length, 1]) },
        Tasks);

    [Fact]
    public void The_L2_term_with_accumulation_adds_its_gradient_once_per_step_and_its_value_to_each_batchs_loss()
    {
        // Two one-example batches accumulated into one step, λ = 0.1, SGD with lr 0.1.
        // x = 1 (u's target 0, v's 1) and x = 2 (u's target 0, v's 2): v's residual is 0 in both,
        // L_u is 1 and 4. Each micro-batch's losses and its penalty λ(a² + b² + c²) = 0.3 are
        // scaled by ½, so the step's gradient is the mean of the two batches' plus the penalty's
        // 2λθ = 0.2 once: ∂L_u/∂a = ∂L_u/∂b = 2u·x·1 = 2 and 8 (mean 5), ∂L_v = 0.
        // a = b = 1 − 0.1·5.2 = 0.48, c = 1 − 0.1·0.2 = 0.98 (the penalty's gradient counted
        // 1/scale² = 4 times over would give c = 0.92). The reported train loss is each batch's
        // unscaled loss plus the whole penalty, averaged: ((1 + 0.3) + (4 + 0.3)) / 2 = 2.8.
        using var train = Examples([1, 2], [0, 0], [1, 2]);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1, Accumulate = 2, L2 = 0.1 });
        var record = trainer.Fit(train).Single();
        Assert.Equal(1, record.Step);
        Assert.Equal(2.8, record.TrainLoss, 6);
        Assert.Equal(2.5, record.TaskLosses["u"], 6);
        Assert.Equal(0.0, record.TaskLosses["v"], 6);
        var (a, b, c) = model.Weights;
        Assert.Equal(0.48, a, 6);
        Assert.Equal(0.48, b, 6);
        Assert.Equal(0.98, c, 6);
    }

    [Fact]
    public void Weights_that_overflow_the_last_batchs_loss_are_named_by_the_largest_of_them()
    {
        // One example x = 1 with targets 0: u = v = 1, L = L_u + 2·L_v = 3, gradients
        // ∂L/∂a = 2u·b + 4v·c = 6, ∂L/∂b = 2u·a = 2, ∂L/∂c = 4v·a = 4 (norm √56, finite). SGD with
        // lr 1e18 moves them to a = −6e18, b = −2e18, c = −4e18 (float32), all finite; the check
        // after the update finds u = b·a = 1.2e37 and L_u = u² = 1.44e74, past float32's largest:
        // inf. The largest weight is |a| = 6E+18 in 'shared.weight' (the smallest, b, is in 'u.weight').
        using var train = Examples([1], [0], [0]);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 1e18);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1 });
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(train));
        Assert.Equal(
            "the loss of task 'u' on the epoch's last batch became inf after the update of step 1 (epoch 1): the weights diverged "
            + "(the largest is 6E+18 in parameter 'shared.weight'); nothing of this epoch was kept (checkpoint, log and best weights "
            + "are those of the epoch before). Lower the learning rate or clip gradients.",
            error.Message);
        Assert.Equal(1, trainer.Step);
        Assert.Empty(trainer.History);
    }
}
