using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>What Fit checks before the first step: data, output folders, a disposed optimizer.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class FitChecksTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-fitchecks-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Weights(nn.Module model) => model.parameters().SelectMany(p => p.data<float>()).ToArray();

    [Fact]
    public void An_empty_training_or_validation_dataset_is_an_error_naming_it_before_the_first_step()
    {
        manual_seed(1);
        using var empty = TwoTaskData.Make(0, seed: 1);
        using var data = TwoTaskData.Make(32, seed: 2);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8 });
        var train = Assert.Throws<ArgumentException>(() => trainer.Fit(empty));
        Assert.Equal("train", train.ParamName);
        Assert.StartsWith("the training dataset is empty", train.Message);
        var before = Weights(model);
        var validation = Assert.Throws<ArgumentException>(() => trainer.Fit(data, empty));
        Assert.Equal("validation", validation.ParamName);
        Assert.StartsWith("the validation dataset is empty", validation.Message);
        Assert.Equal(0, trainer.Step);
        Assert.Equal(before, Weights(model));
    }

    [Fact]
    public void A_task_without_labels_is_warned_about_by_name_and_its_losses_are_absent_not_zero()
    {
        manual_seed(2);
        using var train = TwoTaskData.Make(64, seed: 3, missingKind: 1.0);
        using var validation = TwoTaskData.Make(32, seed: 4, missingKind: 1.0);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        var log = Path.Combine(_folder, "log.jsonl");
        var progress = new StringWriter();
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 16, LogPath = log, Progress = progress });
        var history = trainer.Fit(train, validation);
        var lines = progress.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The warnings come before the first epoch's line.
        Assert.StartsWith("warning: task 'kind' has no labelled example in the training dataset", lines[0]);
        Assert.StartsWith("warning: task 'kind' has no labelled example in the validation dataset", lines[1]);
        Assert.StartsWith("epoch 1/2", lines[2]);
        Assert.Contains("kind -", lines[2]);
        Assert.DoesNotContain("n/a", progress.ToString());
        foreach (var record in history)
        {
            Assert.Equal(["value"], record.TaskLosses.Keys);
            Assert.DoesNotContain(record.Validation.Keys, k => k.StartsWith("kind.", StringComparison.Ordinal));
            Assert.Equal(record.Validation["value.loss"], record.Validation["loss"]);
            Assert.True(record.Validation["loss"] > 0);
        }
        Assert.All(TrainingLog.Read(log), r => Assert.False(r.TaskLosses.ContainsKey("kind")));
        Assert.DoesNotContain("\"kind\":", File.ReadAllLines(log)[0].Split("\"weights\"")[0]);
    }

    [Fact]
    public void Data_without_any_label_is_an_error()
    {
        using var unlabelled = TwoTaskData.Make(16, seed: 3, missingValue: 1.0, missingKind: 1.0);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1 });
        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(unlabelled));
        Assert.StartsWith("the training dataset has no labelled example of any task (value, kind)", error.Message);
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void Per_task_datasets_are_checked_the_same_way()
    {
        manual_seed(3);
        using var a = TwoTaskData.Make(32, seed: 5);
        using var b = TwoTaskData.Make(32, seed: 6, missingKind: 1.0);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        var progress = new StringWriter();
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8, Progress = progress });

        using var unlabelledKind = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = a.WithTargets("value"), ["kind"] = b.WithTargets("kind") });
        var history = trainer.Fit(unlabelledKind, unlabelledKind);
        Assert.StartsWith("warning: task 'kind' has no labelled example in its training dataset", progress.ToString());
        Assert.Contains("warning: task 'kind' has no labelled example in its validation dataset", progress.ToString());
        Assert.Equal(["value"], history[0].TaskLosses.Keys);
        Assert.DoesNotContain(history[0].Validation.Keys, k => k.StartsWith("kind.", StringComparison.Ordinal));
        Assert.Equal(history[0].Validation["value.loss"], history[0].Validation["loss"]);

        // An empty per-task dataset is refused when the datasets are put together, naming the task.
        using var empty = TwoTaskData.Make(0, seed: 7);
        var error = Assert.Throws<ArgumentException>(() => new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = a.WithTargets("value"), ["kind"] = empty }));
        Assert.StartsWith("the dataset for task 'kind' is empty", error.Message);

        // A task without a dataset is not trained: a warning names it.
        var more = new StringWriter();
        using var fresh = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8, Progress = more });
        using var valueOnly = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = a.WithTargets("value") });
        fresh.Fit(valueOnly);
        Assert.StartsWith("warning: task 'kind' has no training dataset; it is not trained", more.ToString());
    }

    [Fact]
    public void Missing_output_folders_are_created_before_training_and_an_impossible_one_fails_before_the_first_step()
    {
        manual_seed(4);
        using var data = TwoTaskData.Make(32, seed: 2);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        var checkpoint = Path.Combine(_folder, "new", "deeper", "run.ckpt");
        var report = Path.Combine(_folder, "reports", "report.html");
        using (var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8, CheckpointPath = checkpoint, ReportPath = report }))
        {
            trainer.Fit(data);
        }
        Assert.True(File.Exists(checkpoint));
        Assert.True(File.Exists(report));

        // A file where the folder should be: nothing can be created there.
        var blocker = Path.Combine(_folder, "blocker");
        File.WriteAllText(blocker, "not a folder");
        foreach (var options in new[]
        {
            new TrainerOptions { Epochs = 1, BatchSize = 8, CheckpointPath = Path.Combine(blocker, "run.ckpt") },
            new TrainerOptions { Epochs = 1, BatchSize = 8, LogPath = Path.Combine(blocker, "log.jsonl") },
            new TrainerOptions { Epochs = 1, BatchSize = 8, ReportPath = Path.Combine(blocker, "report.html") },
        })
        {
            var before = Weights(model);
            using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, options);
            var error = Assert.Throws<IOException>(() => trainer.Fit(data));
            Assert.Contains(Path.Combine(blocker, ""), error.Message);
            Assert.Contains(options.CheckpointPath is not null ? "CheckpointPath" : options.LogPath is not null ? "LogPath" : "ReportPath", error.Message);
            Assert.Equal(0, trainer.Step);
            Assert.Equal(before, Weights(model));
        }
    }

    [Fact]
    public void Fit_with_a_disposed_optimizer_throws_ObjectDisposedException_before_the_first_step()
    {
        manual_seed(5);
        using var data = TwoTaskData.Make(32, seed: 2);
        using var model = new TwoTaskModel();
        var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8 });
        optimizer.Dispose();
        var before = Weights(model);
        Assert.Throws<ObjectDisposedException>(() => trainer.Fit(data));
        Assert.Equal(0, trainer.Step);
        Assert.Equal(before, Weights(model));
        Assert.True(optimizer.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => optimizer.step());
        Assert.Throws<ObjectDisposedException>(() => optimizer.zero_grad());
        Assert.Throws<ObjectDisposedException>(() => optimizer.state_dict());
    }
}
