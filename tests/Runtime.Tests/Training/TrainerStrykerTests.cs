using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// What the mutants of <see cref="Trainer"/> left alive by the other tests changed: the L2 term
/// under accumulation, the divergence message's largest weight, and a weighting's own parameters
/// in alternate mode. On <see cref="ScalarTwoTaskModel"/> (u = b·(a·x), v = c·(a·x),
/// a = b = c = 1), with values worked out by hand.
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

    [Fact]
    public void In_alternate_mode_a_weightings_own_parameters_are_stepped_once_per_batch_with_the_heads()
    {
        // Uncertainty weighting with fixed weights 1 and 2: J = Σᵢ ½e^{−sᵢ}Lᵢ + ½sᵢ with
        // L₁ = (b·a·x)², L₂ = 2(c·a·x)² (targets 0), s = 0 to start; one example x = 2, SGD lr 0.1.
        // First half-step, at a = b = c = 1: u = v = 2, ∂J/∂a = ½·2u·b·x + ½·2·2v·c·x = 4 + 8 = 12,
        // so a = 1 − 1.2 = −0.2; the heads and s keep their values.
        // Second half-step, at a = −0.2: h = a·x = −0.4, u = v = −0.4, L₁ = 0.16, L₂ = 0.32;
        // ∂J/∂b = u·h = 0.16 → b = 0.984; ∂J/∂c = 2v·h = 0.32 → c = 0.968;
        // ∂J/∂sᵢ = −½Lᵢ + ½ = 0.42 and 0.34 → s = (−0.042, −0.034).
        // Stepped in both half-steps, s would move first by −0.1·(−½·4 + ½) = 0.15 and
        // −0.1·(−½·8 + ½) = 0.35, and end at (0.1069, 0.3113).
        using var train = Examples([2], [0], [0]);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var uncertainty = (UncertaintyWeighting)TaskWeighting.Create("uncertainty", [1.0, 2.0]);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1, Update = UpdateMode.Alternate, Weighting = uncertainty });
        trainer.Fit(train);
        Assert.Equal(2, trainer.Step);
        var (a, b, c) = model.Weights;
        Assert.Equal(-0.2, a, 6);
        Assert.Equal(0.984, b, 6);
        Assert.Equal(0.968, c, 6);
        var s = uncertainty.LogVariances.data<float>().ToArray();
        Assert.Equal(-0.042, s[0], 6);
        Assert.Equal(-0.034, s[1], 6);
    }
}
