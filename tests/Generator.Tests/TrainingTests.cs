using Mtl.Data;
using Mtl.Dsl.Model;
using Mtl.Training;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>The generated trainer of every model in docs/language.md trains: a few epochs on random data lower its loss.</summary>
public sealed class TrainingTests
{
    public static TheoryData<int> Examples => new(Enumerable.Range(0, DocExamples.Blocks.Count));

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_model_of_the_language_reference_trains_through_its_generated_trainer(int example)
    {
        var generated = GeneratedAssembly.Compile(DocExamples.Blocks[example]);
        foreach (var model in generated.Models)
        {
            using var initFiles = new InitFiles(model);
            WriteInitFiles(generated, model);
            var trainerType = generated.Type(GeneratedNames.Trainer(model));
            var defaults = (TrainerOptions)trainerType.GetMethod("DefaultOptions")!.Invoke(null, null)!;
            var options = defaults with { Epochs = 6, BatchSize = 16, EarlyStop = null };
            using var trainer = (IDisposable)generated.Create(GeneratedNames.Trainer(model), options);
            using var data = (IDisposable)generated.Dataset(model, 64, seed: 5);

            // A model that standardises evaluates once its statistics are fitted (Fit fits them from
            // its training data): fit them here from the same data, so the loss before is comparable.
            var module = (MultiTaskModule)GeneratedAssembly.Get(trainer, "Model")!;
            var examples = (MultiTaskDataset)GeneratedAssembly.Get(data, "Data")!;
            foreach (var (name, standardizer) in module.InputStandardizers) standardizer.Fit(examples.Inputs[name]);
            foreach (var (name, standardizer) in module.TargetStandardizers) standardizer.Fit(examples.Targets[name]);

            var before = (double)GeneratedAssembly.Get(GeneratedAssembly.Call(trainer, "Evaluate", data)!, "Loss")!;
            var history = (IReadOnlyList<EpochRecord>)GeneratedAssembly.Call(trainer, "Fit", data, null)!;
            var after = (double)GeneratedAssembly.Get(GeneratedAssembly.Call(trainer, "Evaluate", data)!, "Loss")!;

            Assert.Equal(6, history.Count);
            Assert.All(history, r => Assert.True(double.IsFinite(r.TrainLoss), $"{model.Name}: epoch {r.Epoch} loss {r.TrainLoss}"));
            Assert.True(after < before, $"{model.Name}: the loss went from {before} to {after}");
        }
    }

    /// <summary>Deletes the files of a model's init statements when the test is done with them.</summary>
    private sealed class InitFiles(MtlModel model) : IDisposable
    {
        public void Dispose()
        {
            foreach (var init in model.Inits) File.Delete(init.Path);
        }
    }

    /// <summary>
    /// The files a model's init statements read (relative to the current directory, where the
    /// test writes them): each block of a model built without them, under the statement's prefix.
    /// </summary>
    private static void WriteInitFiles(GeneratedAssembly generated, MtlModel model)
    {
        if (model.Inits.Count == 0) return;
        using var built = generated.Model(model);
        foreach (var init in model.Inits)
        {
            var pascal = model.SharedBlocks.Select(b => (b.Name, b.CSharpName)).Concat(model.Tasks.Select(t => (t.Name, t.CSharpName))).Single(b => b.Name == init.Block).CSharpName.Pascal;
            BlockWeights.Save((Mtl.Torch.torch.nn.Module)GeneratedAssembly.Get(built, pascal)!, init.Path, init.Prefix);
        }
    }
}
