using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// A file with stages, through the generated trainer: the stages run in order with the file's
/// tasks, optimizers and frozen blocks, and a group of a head its stage holds fixed is left out.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class StageTests
{
    private const string Mtl = """
        model Staged
        input x: float[6]
        shared trunk = x -> linear(16) -> batchnorm -> relu
        task a: regression(1) = trunk -> linear(1)
        task b: classes(3) = trunk -> linear(8) -> relu -> linear(3)
        optimizer adam(lr: 0.01) {
          group b(lr: 0.001)
        }
        train {
          batch_size 16
          stage first {
            epochs 2
            tasks a
          }
          stage second {
            epochs 3
            optimizer sgd(lr: 0.05)
            freeze trunk
          }
        }
        """;

    [Fact]
    public void The_stages_of_the_file_run_in_order_with_their_tasks_optimizers_and_frozen_blocks()
    {
        var generated = GeneratedAssembly.Compile(Mtl);
        var staged = generated.Models.Single();
        using var trainer = (IDisposable)generated.Create("StagedTrainer", new object?[] { null });
        using var data = (IDisposable)generated.Dataset(staged, 64, seed: 5);
        var model = (MultiTaskModule)GeneratedAssembly.Get(trainer, "Model")!;
        var trunk = (torch.nn.Module)GeneratedAssembly.Get(model, "Trunk")!;
        // The first stage holds b's head, so its optimizer has no group for it: the model's parameters less b's.
        var first = (Optimizer)GeneratedAssembly.Get(trainer, "Optimizer")!;
        Assert.IsType<Adam>(first);
        Assert.Equal(model.parameters().Count() - 4, first.param_groups.Sum(g => g.parameters.Count));
        Assert.Equal(["b"], model.FrozenModules.Select(m => ReferenceEquals(m, GeneratedAssembly.Get(model, "B")) ? "b" : "?"));

        var history = (IReadOnlyList<EpochRecord>)GeneratedAssembly.Call(trainer, "Fit", data, null)!;

        Assert.Equal(["first", "first", "second", "second", "second"], history.Select(r => r.Stage));
        Assert.Equal(["a"], history[1].TaskLosses.Keys);
        Assert.Equal(["a", "b"], history[2].TaskLosses.Keys);
        Assert.IsType<SGD>(GeneratedAssembly.Get(trainer, "Optimizer"));
        Assert.Equal([trunk], model.FrozenModules);
        Assert.False(trunk.training);
    }
}
