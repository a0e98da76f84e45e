using Mtl.Dsl.Model;
using Mtl.Training;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary><c>regularize mtrl</c> through the generated trainer: the file's relation reaches the options, and training logs Ω.</summary>
public sealed class RelationTests
{
    private static (IReadOnlyList<EpochRecord> History, TrainerOptions Options, List<object> Heads) Train(string name, TrainerOptions? given = null)
    {
        var generated = GeneratedAssembly.Compile(DocExamples.Declaring(name));
        var model = generated.Models.Single(m => m.Name == name);
        var trainerType = generated.Type(GeneratedNames.Trainer(model));
        var defaults = given ?? (TrainerOptions)trainerType.GetMethod("DefaultOptions")!.Invoke(null, null)!;
        using var trainer = (IDisposable)generated.Create(GeneratedNames.Trainer(model), defaults with { Epochs = 2, BatchSize = 16 });
        using var data = (IDisposable)generated.Dataset(model, 48, seed: 3);
        var history = (IReadOnlyList<EpochRecord>)GeneratedAssembly.Call(trainer, "Fit", data, null)!;
        var module = GeneratedAssembly.Get(trainer, "Model")!;
        var heads = model.Tasks.Select(t => GeneratedAssembly.Get(module, t.CSharpName.Pascal)!).ToList();
        return (history, (TrainerOptions)GeneratedAssembly.Get(trainer, "Options")!, heads);
    }

    [Fact]
    public void A_learned_relation_over_the_three_heads_is_updated_and_logged()
    {
        var (history, options, heads) = Train("Related");

        Assert.Equal(0.01, options.Relation!.Lambda);
        Assert.Null(options.Relation.Omega);
        Assert.Equal(3, options.Relation.Heads.Count);
        for (var i = 0; i < 3; i++) Assert.Same(heads[i], options.Relation.Heads[i]);
        Assert.Equal(1e-5, options.L2);
        Assert.All(history, r =>
        {
            Assert.Equal(3, r.Omega!.Count);
            Assert.Equal(1.0, r.Omega[0][0] + r.Omega[1][1] + r.Omega[2][2], 9);
        });
    }

    [Fact]
    public void A_declared_relation_is_the_files_matrix_for_every_epoch()
    {
        var (history, options, _) = Train("DeclaredRelations");

        Assert.Equal(0.1, options.Relation!.Lambda);
        Assert.All(history, r => Assert.Equal([[1.0, 0.8], [0.8, 1.0]], r.Omega!.Select(row => row.ToArray())));
    }
}
