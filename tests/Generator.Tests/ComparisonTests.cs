using System.Reflection;
using Mtl.Data;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated <c>CompareWithSingleTask</c>: each run is a fresh generated trainer (the file's
/// weighting built afresh, the file's ties over the run's own model), equal bit for bit to one
/// built with the run's options and fitted by hand; the trainer's own model is untouched.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class ComparisonTests
{
    private const string Mtl = """
        model Compared
        input x: float[6]
        shared trunk = x -> linear(8) -> relu
        shared tower_a = trunk -> linear(8) -> relu
        shared tower_b = trunk -> linear(8) -> relu
        task a: regression(1) = tower_a -> linear(1)
        task b: classes(3) = tower_b -> linear(3)
        weighting uncertainty
        optimizer adam(lr: 0.01)
        train {
          epochs 2
          batch_size 16
          seed 3
          tie tower_a, tower_b l2(0.01)
        }
        """;

    private static float[] Weights(MultiTaskModule model) => model.parameters().SelectMany(p => p.data<float>()).ToArray();

    private static Trainer Inner(object trainer) =>
        (Trainer)trainer.GetType().GetField("_trainer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(trainer)!;

    [Fact]
    public void Each_run_is_a_fresh_generated_trainer_fitted_by_hand_and_the_trainers_own_model_is_untouched()
    {
        var generated = GeneratedAssembly.Compile(Mtl);
        var compared = generated.Models.Single();
        using var train = (IDisposable)generated.Dataset(compared, 64, seed: 5);
        using var validation = (IDisposable)generated.Dataset(compared, 32, seed: 6);
        // A new object on every call: each trainer owns (and disposes) the weighting method of its options.
        TrainerOptions Defaults() => (TrainerOptions)generated.Type("ComparedTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)!;
        using var trainer = (IDisposable)generated.Create("ComparedTrainer", new object?[] { null });
        var model = (MultiTaskModule)GeneratedAssembly.Get(trainer, "Model")!;
        var before = Weights(model);

        var comparison = (SingleTaskComparison)GeneratedAssembly.Call(trainer, "CompareWithSingleTask", train, validation, 2)!;

        Assert.Equal(before, Weights(model));
        Assert.Equal(0L, GeneratedAssembly.Get(trainer, "Step"));
        Assert.Equal([3L, 4L], comparison.Seeds);
        Assert.Equal([(null, 3L), ("a", 3L), ("b", 3L), (null, 4L), ("a", 4L), ("b", 4L)], comparison.Runs.Select(r => (r.Task, r.Seed)));
        var data = (MultiTaskDataset)GeneratedAssembly.Get(validation, "Data")!;
        foreach (var run in comparison.Runs)
        {
            using var alone = (IDisposable)generated.Create("ComparedTrainer", Defaults() with { Seed = run.Seed, Tasks = run.Task is null ? null : [run.Task] });
            GeneratedAssembly.Call(alone, "Fit", train, validation);
            Assert.Equal(Inner(alone).Evaluate(data), run.Validation);
            Assert.Equal(Inner(alone).Step, run.Steps);
        }
        Assert.Equal(["a.mae", "a.rmse", "a.loss", "b.accuracy", "b.macro_f1", "b.loss"], comparison.Metrics.Select(m => m.Key));
        Assert.NotEqual(comparison["a.loss"].SingleTask[0], comparison["a.loss"].SingleTask[1]);
    }

    [Fact]
    public void A_task_relation_in_each_run_is_over_that_runs_own_heads()
    {
        // The trainer's options carry its relation over its own model's heads; each run must build
        // its own, or the runs would pull (and learn Ω from) the heads of a model they do not train.
        var related = Mtl.Replace("task b: classes(3) = tower_b -> linear(3)", "task b: regression(1) = tower_b -> linear(1)", StringComparison.Ordinal)
            .Replace("weighting uncertainty", "weighting uncertainty\nregularize mtrl(0.5)", StringComparison.Ordinal);
        var generated = GeneratedAssembly.Compile(related);
        var compared = generated.Models.Single();
        using var train = (IDisposable)generated.Dataset(compared, 64, seed: 5);
        using var validation = (IDisposable)generated.Dataset(compared, 32, seed: 6);
        TrainerOptions Defaults() => (TrainerOptions)generated.Type("ComparedTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)!;
        using var trainer = (IDisposable)generated.Create("ComparedTrainer", new object?[] { null });

        var comparison = (SingleTaskComparison)GeneratedAssembly.Call(trainer, "CompareWithSingleTask", train, validation, 1)!;

        var data = (MultiTaskDataset)GeneratedAssembly.Get(validation, "Data")!;
        Assert.Equal(3, comparison.Runs.Count);
        foreach (var run in comparison.Runs)
        {
            using var alone = (IDisposable)generated.Create("ComparedTrainer", Defaults() with { Seed = run.Seed, Tasks = run.Task is null ? null : [run.Task] });
            GeneratedAssembly.Call(alone, "Fit", train, validation);
            Assert.Equal(Inner(alone).Evaluate(data), run.Validation);
        }
    }

    [Fact]
    public void A_weighting_other_than_the_files_is_refused_and_a_staged_file_has_no_comparison()
    {
        var generated = GeneratedAssembly.Compile(Mtl);
        var compared = generated.Models.Single();
        using var train = (IDisposable)generated.Dataset(compared, 32, seed: 5);
        var defaults = (TrainerOptions)generated.Type("ComparedTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)!;
        using var trainer = (IDisposable)generated.Create("ComparedTrainer", defaults with { Weighting = TaskWeighting.Create("dwa", [1.0, 1.0]) });

        var error = Assert.Throws<TargetInvocationException>(() => GeneratedAssembly.Call(trainer, "CompareWithSingleTask", train, train, 1));

        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal("the trainer's weighting is 'dwa', not the file's 'uncertainty': a comparison builds the file's weighting afresh for each run", error.InnerException!.Message);

        var staged = GeneratedAssembly.Compile(Mtl.Replace("  tie tower_a, tower_b l2(0.01)", "  stage only {\n    epochs 1\n  }"));
        Assert.Null(staged.Type("ComparedTrainer").GetMethod("CompareWithSingleTask"));
    }
}
