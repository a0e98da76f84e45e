using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>The guard on a step's gradient norm, on <see cref="ScalarTwoTaskModel"/> with numbers worked out by hand.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerGuardTests
{
    private static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("u", TaskKind.Regression),
        new TaskSpec("v", TaskKind.Regression) { Weight = 2 },
    ];

    [Fact]
    public void A_gradient_norm_that_overflows_while_the_loss_is_finite_stops_before_the_update_and_is_named()
    {
        // a = 1e-30, b = 1e30, c = 1, one example x = 1e5 with targets 0: h = a·x = 1e-25,
        // u = b·h = 1e5, L_u = 1e10 (finite), L_v = h² (0 in float32). ∂L_u/∂h = 2u·b = 2e35 and
        // ∂L/∂a = 2e35·x = 2e40, past float32's largest (3.4e38): the norm is inf, the loss is not.
        using var train = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1e5f }, [1, 1]) },
            new Dictionary<string, Tensor> { ["u"] = tensor(new float[] { 0 }, [1, 1]), ["v"] = tensor(new float[] { 0 }, [1, 1]) },
            Tasks);
        using var model = new ScalarTwoTaskModel();
        var parameters = model.parameters().ToArray();
        using (no_grad())
        {
            parameters[0].fill_(1e-30);
            parameters[1].fill_(1e30);
        }
        var before = model.Weights;
        Assert.Equal(1e-30, before.A, 1e-36);
        Assert.Equal(1e30, before.B, 1e24);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1 });
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(train));
        Assert.Equal("the gradient norm became inf at step 1 (epoch 1); no update was made. Lower the learning rate or clip gradients.", error.Message);
        Assert.Equal(before, model.Weights);
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void Clip_grad_norm_scales_the_step_to_the_given_norm()
    {
        // a = b = c = 1, one example x = 1 with targets 0: u = v = 1, L = (u − 0)² + 2(v − 0)² = 3.
        // ∂L/∂a = 2u·b·x + 2·2v·c·x = 6, ∂L/∂b = 2u·a·x = 2, ∂L/∂c = 4v·a·x = 4: norm √56.
        // Clipped to 1 (PyTorch's coefficient 1 / (√56 + 1e-6)), SGD with lr 0.1 moves each weight
        // by 0.1·g/(√56 + 1e-6); unclipped by 0.1·g.
        var coefficient = 1 / (Math.Sqrt(56) + 1e-6);
        foreach (var (clip, scale) in new (double?, double)[] { (1.0, coefficient), (null, 1.0), (100.0, 1.0) })
        {
            using var train = new MultiTaskDataset(
                new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1 }, [1, 1]) },
                new Dictionary<string, Tensor> { ["u"] = tensor(new float[] { 0 }, [1, 1]), ["v"] = tensor(new float[] { 0 }, [1, 1]) },
                Tasks);
            using var model = new ScalarTwoTaskModel();
            using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
            using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1, ClipGradNorm = clip });
            trainer.Fit(train);
            var (a, b, c) = model.Weights;
            Assert.Equal(1 - (0.1 * 6 * scale), a, 1e-6);
            Assert.Equal(1 - (0.1 * 2 * scale), b, 1e-6);
            Assert.Equal(1 - (0.1 * 4 * scale), c, 1e-6);
        }
    }

    [Fact]
    public void Famo_gets_the_losses_after_the_step_with_a_task_missing_its_label()
    {
        // One example, x = 1, u's target 0, v's label missing (NaN). FAMO's logits start at 0, so
        // z = (½, ½); after the step u's loss has dropped (δᵤ = ln Lᵤ − ln Lᵤ' > 0) and v has none
        // (δᵥ = 0): the logit gradient is z ⊙ (δ − z·δ) = (¼δᵤ, −¼δᵤ), and its Adam's first step
        // moves each logit by its lr against the sign (0.025 here; the decay acts on logits of 0).
        using var train = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(new float[] { 1 }, [1, 1]) },
            new Dictionary<string, Tensor> { ["u"] = tensor(new float[] { 0 }, [1, 1]), ["v"] = tensor(new float[] { float.NaN }, [1, 1]) },
            Tasks);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var famo = Mtl.Training.Weighting.TaskWeighting.Create("famo", [1.0, 1.0]);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1, Weighting = famo });
        trainer.Fit(train);
        var state = famo.state_dict();
        Assert.Equal(-0.025, state["logit.0"], 1e-6);
        Assert.Equal(0.025, state["logit.1"], 1e-6);
        Assert.True(model.Weights.A < 1, "u's step moved the shared weight");
    }
}
