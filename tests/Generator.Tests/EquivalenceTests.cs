using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// The reference model declared in examples/QuickStart/reference.mtl (generated into this test
/// assembly by the build) and the same model written by hand in C# are the same thing: from the
/// same seed, the same initial weights and the same losses, bit for bit.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class EquivalenceTests
{
    private const int Steps = 20;

    [Fact]
    public void Generated_and_hand_written_models_start_with_the_same_weights()
    {
        using var generated = new ReferenceTrainer();
        manual_seed(42);
        using var hand = new HandWrittenReference();

        var expected = hand.state_dict();
        var actual = generated.Model.state_dict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, tensor) in expected)
        {
            Assert.True(tensor.equal(actual[name]), $"{name} differs");
        }
        Assert.Equal(ReferenceModel.ParameterCount, hand.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Generated_and_hand_written_trainers_take_the_same_steps()
    {
        using var data = Data(64);

        // One batch per epoch, so each epoch's loss is one step's.
        using var generated = new ReferenceTrainer(ReferenceTrainer.DefaultOptions() with { Epochs = Steps, BatchSize = 64, EarlyStop = null });
        var generatedLosses = generated.Fit(ReferenceDataset.From(new ReferenceInputs(data.Inputs["features"]), new ReferenceTargets(data.Targets["signal"], data.Targets["argmax"]))).Select(r => r.TrainLoss).ToList();

        manual_seed(42);
        using var model = new HandWrittenReference();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        var scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max: Steps, eta_min: 1e-4);
        TaskSpec[] tasks =
        [
            new("signal", TaskKind.Regression) { Metrics = ["mae", "r2"] },
            new("argmax", TaskKind.Classes, 10) { Weight = 0.5, Metrics = ["accuracy", "macro_f1"] },
        ];
        using var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions { Epochs = Steps, BatchSize = 64, Seed = 42, Scheduler = scheduler });
        var handLosses = trainer.Fit(data).Select(r => r.TrainLoss).ToList();

        Assert.Equal(Steps, handLosses.Count);
        Assert.Equal(handLosses, generatedLosses);
        Assert.True(handLosses[^1] < handLosses[0]);
        Assert.Equal(optimizer.param_groups[0].lr, generated.Optimizer.param_groups[0].lr);
    }

    private static MultiTaskDataset Data(long count)
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var x = randn(count, 64);
        var signal = x.narrow(1, 0, 1) * 0.5 + 0.1 * randn(count, 1);
        var argmax = x.narrow(1, 0, 10).argmax(1);
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["features"] = x },
            new Dictionary<string, Tensor> { ["signal"] = signal, ["argmax"] = argmax },
            ReferenceTrainer.Tasks);
    }

    /// <summary>The model as written by hand before the generator existed (examples/QuickStart, bench/).</summary>
    private sealed class HandWrittenReference : MultiTaskModule
    {
        private readonly Sequential trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU());
        private readonly Sequential signal = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1));
        private readonly Sequential argmax = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10));

        public HandWrittenReference() : base(nameof(HandWrittenReference)) => RegisterComponents();

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var shared = trunk.forward(inputs["features"]);
            return new MultiTaskOutput(new Dictionary<string, Tensor> { ["signal"] = signal.forward(shared), ["argmax"] = argmax.forward(shared) }, shared);
        }

        public override IEnumerable<nn.Module> SharedModules() => [trunk];
    }
}

/// <summary>Tests that seed libtorch's global generator run one at a time.</summary>
[CollectionDefinition(nameof(SeededCollection), DisableParallelization = true)]
public sealed class SeededCollection;
