using Mtl.Catalog;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>The checks before training and evaluation, called directly: whole warnings, whole error messages, and what is left out.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class DataChecksMutationTests : IDisposable
{
    private readonly TwoTaskModel _model = new();
    private readonly TaskLosses _losses = new(TwoTaskData.Tasks);

    public void Dispose()
    {
        _losses.Dispose();
        _model.Dispose();
    }

    private DataChecks.FitChecks BeforeFit(MultiTaskDataset train, MultiTaskDataset? validation) =>
        DataChecks.BeforeFit(train, validation, _model, TwoTaskData.Tasks, _losses);

    private DataChecks.FitChecks BeforeFit(TaskDatasets train, TaskDatasets? validation) =>
        DataChecks.BeforeFit(train, validation, _model, TwoTaskData.Tasks, _losses);

    private static TaskDatasets PerTask(params (string Task, MultiTaskDataset Data)[] datasets) =>
        new(datasets.ToDictionary(p => p.Task, p => p.Data.WithTargets(p.Task)));

    [Fact]
    public void Tasks_without_labels_in_training_and_validation_are_warned_about_in_that_order_and_only_the_validation_ones_are_unvalidated()
    {
        using var train = TwoTaskData.Make(16, seed: 1, missingKind: 1.0);
        using var validation = TwoTaskData.Make(16, seed: 2, missingValue: 1.0);
        var checks = BeforeFit(train, validation);
        Assert.Equal(
        [
            "warning: task 'kind' has no labelled example in the training dataset; it is not trained and it has no training loss",
            "warning: task 'value' has no labelled example in the validation dataset; it has no validation loss or metrics",
        ], checks.Warnings);
        Assert.Equal(["value"], checks.Unvalidated);

        // Without validation data: only the training warning, nothing unvalidated.
        var alone = BeforeFit(train, null);
        Assert.Equal(["warning: task 'kind' has no labelled example in the training dataset; it is not trained and it has no training loss"], alone.Warnings);
        Assert.Empty(alone.Unvalidated);

        // A single labelled example of a task is enough: no warning.
        using var scope = NewDisposeScope();
        var kinds = full([16L], -1L);
        kinds[5].fill_(0L);
        using var oneLabel = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = train.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = train.Targets["value"].clone(), ["kind"] = kinds },
            TwoTaskData.Tasks);
        var labelled = BeforeFit(oneLabel, oneLabel);
        Assert.Empty(labelled.Warnings);
        Assert.Empty(labelled.Unvalidated);
    }

    [Fact]
    public void A_task_without_targets_is_warned_about_like_one_without_labels()
    {
        using var data = TwoTaskData.Make(16, seed: 8);
        using var valueTargets = data.WithTargets("value");
        using var kindTargets = data.WithTargets("kind");
        var checks = BeforeFit(valueTargets, kindTargets);
        Assert.Equal(
        [
            "warning: task 'kind' has no labelled example in the training dataset; it is not trained and it has no training loss",
            "warning: task 'value' has no labelled example in the validation dataset; it has no validation loss or metrics",
        ], checks.Warnings);
        Assert.Equal(["value"], checks.Unvalidated);
    }

    [Fact]
    public void Null_data_is_an_argument_null_error_before_anything_is_read()
    {
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => DataChecks.Require("training data", (MultiTaskDataset)null!, _model, TwoTaskData.Tasks)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => DataChecks.Require("training data", (TaskDatasets)null!, _model, TwoTaskData.Tasks)).ParamName);
        Assert.Equal("train", Assert.Throws<ArgumentNullException>(() => BeforeFit((MultiTaskDataset)null!, null)).ParamName);
        Assert.Equal("train", Assert.Throws<ArgumentNullException>(() => BeforeFit((TaskDatasets)null!, null)).ParamName);
    }

    [Fact]
    public void Empty_or_wholly_unlabelled_data_is_an_error_naming_the_dataset_and_the_parameter()
    {
        using var empty = TwoTaskData.Make(0, seed: 1);
        using var unlabelled = TwoTaskData.Make(8, seed: 2, missingValue: 1.0, missingKind: 1.0);
        using var good = TwoTaskData.Make(8, seed: 3);

        var train = Assert.Throws<ArgumentException>(() => BeforeFit(empty, good));
        Assert.Equal("the training dataset is empty: it has no examples to train or validate on (Parameter 'train')", train.Message);
        var validation = Assert.Throws<ArgumentException>(() => BeforeFit(good, empty));
        Assert.Equal("the validation dataset is empty: it has no examples to train or validate on (Parameter 'validation')", validation.Message);

        var trainLabels = Assert.Throws<ArgumentException>(() => BeforeFit(unlabelled, good));
        Assert.Equal("the training dataset has no labelled example of any task (value, kind): every label is missing (Parameter 'train')", trainLabels.Message);
        var validationLabels = Assert.Throws<ArgumentException>(() => BeforeFit(good, unlabelled));
        Assert.Equal("the validation dataset has no labelled example of any task (value, kind): every label is missing (Parameter 'validation')", validationLabels.Message);
    }

    [Fact]
    public void Per_task_datasets_warn_about_a_task_without_labels_or_without_a_training_dataset()
    {
        using var labelled = TwoTaskData.Make(16, seed: 1);
        using var unlabelledKind = TwoTaskData.Make(16, seed: 2, missingKind: 1.0);

        using var train = PerTask(("value", labelled), ("kind", unlabelledKind));
        using var validation = PerTask(("value", labelled), ("kind", unlabelledKind));
        var checks = BeforeFit(train, validation);
        Assert.Equal(
        [
            "warning: task 'kind' has no labelled example in its training dataset; it is not trained and it has no training loss",
            "warning: task 'kind' has no labelled example in its validation dataset; it has no validation loss or metrics",
        ], checks.Warnings);
        Assert.Equal(["kind"], checks.Unvalidated);

        // No training dataset for kind: not trained. No validation dataset for it: no warning, and
        // nothing to leave out (per-task evaluation gives only the tasks it has datasets of).
        using var valueOnly = PerTask(("value", labelled));
        var missing = BeforeFit(valueOnly, valueOnly);
        Assert.Equal(["warning: task 'kind' has no training dataset; it is not trained and it has no training loss"], missing.Warnings);
        Assert.Empty(missing.Unvalidated);

        using var both = PerTask(("value", labelled), ("kind", labelled));
        var none = BeforeFit(both, valueOnly);
        Assert.Empty(none.Warnings);
        Assert.Empty(none.Unvalidated);
        Assert.Empty(BeforeFit(both, null).Unvalidated);
    }

    [Fact]
    public void Per_task_datasets_for_a_name_that_is_not_a_task_or_without_any_label_are_errors()
    {
        var otherTask = new TaskSpec("other", TaskKind.Regression);
        using var scope = NewDisposeScope();
        using var otherData = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = zeros([4, 6]) },
            new Dictionary<string, Tensor> { ["other"] = ones([4, 1]) },
            [otherTask]);
        using var labelled = TwoTaskData.Make(16, seed: 1);
        using var unlabelled = TwoTaskData.Make(16, seed: 2, missingValue: 1.0, missingKind: 1.0);
        using var good = PerTask(("value", labelled), ("kind", labelled));
        using var other = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = labelled.WithTargets("value"), ["other"] = otherData });

        var train = Assert.Throws<ArgumentException>(() => BeforeFit(other, good));
        Assert.Equal("a dataset is given for 'other', which is not a task (tasks: value, kind) (Parameter 'train')", train.Message);
        var validation = Assert.Throws<ArgumentException>(() => BeforeFit(good, other));
        Assert.Equal("a dataset is given for 'other', which is not a task (tasks: value, kind) (Parameter 'validation')", validation.Message);

        using var none = PerTask(("value", unlabelled), ("kind", unlabelled));
        var trainLabels = Assert.Throws<ArgumentException>(() => BeforeFit(none, good));
        Assert.Equal("the training datasets have no labelled example of any task (value, kind) (Parameter 'train')", trainLabels.Message);
        var validationLabels = Assert.Throws<ArgumentException>(() => BeforeFit(good, none));
        Assert.Equal("the validation datasets have no labelled example of any task (value, kind) (Parameter 'validation')", validationLabels.Message);

        // A training dataset of kind only, unlabelled: value has no dataset, kind no label.
        using var kindOnly = PerTask(("kind", unlabelled));
        var noTraining = Assert.Throws<ArgumentException>(() => BeforeFit(kindOnly, null));
        Assert.Equal("the training datasets have no labelled example of any task (value, kind) (Parameter 'train')", noTraining.Message);
    }

    [Fact]
    public void Without_unvalidated_removes_exactly_the_keys_of_those_tasks()
    {
        var checks = new DataChecks.FitChecks([], ["a", "c"]);
        var metrics = new Dictionary<string, double> { ["a.loss"] = 1, ["a.mae"] = 2, ["ab.loss"] = 3, ["b.a.loss"] = 4, ["loss"] = 5, ["c.accuracy"] = 6, ["b.loss"] = 7 };
        var result = checks.WithoutUnvalidated(metrics);
        Assert.Same(metrics, result);
        Assert.Equal(["ab.loss", "b.a.loss", "b.loss", "loss"], result.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, result["ab.loss"]);
        Assert.Equal(4, result["b.a.loss"]);
    }

    /// <summary>Data built for <paramref name="declared"/> (every target valid for it) checked against the trainer's tasks.</summary>
    private InvalidDataException RequireFails(TaskSpec declared, Tensor targets)
    {
        using var good = TwoTaskData.Make(targets.size(0), seed: 4);
        var tasks = declared.Name == "kind" ? new[] { TwoTaskData.Tasks[0], declared } : [declared, TwoTaskData.Tasks[1]];
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = good.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { [declared.Name] = targets },
            tasks);
        return Assert.Throws<InvalidDataException>(() => DataChecks.Require("training data", data, _model, TwoTaskData.Tasks));
    }

    [Fact]
    public void Targets_checked_against_another_missing_label_rule_ignore_index_or_kind_are_checked_again()
    {
        using var scope = NewDisposeScope();
        // The data allows missing kinds; the trainer's kind does not.
        var strict = new[] { TwoTaskData.Tasks[0], TwoTaskData.Tasks[1] with { MissingLabels = false } };
        using (var data = TwoTaskData.Make(8, seed: 5, missingKind: 1.0))
        {
            var error = Assert.Throws<InvalidDataException>(() => DataChecks.Require("training data", data, _model, strict));
            Assert.Equal("the training data does not fit TwoTaskModel: task 'kind': row 0 holds class -1, outside [0, 3) (missing labels are not allowed for this task)", error.Message);
            Assert.IsType<InvalidDataException>(error.InnerException);
        }

        // The data marks a missing kind with -5; the trainer's kind with -1.
        var kinds = tensor(new long[] { 0, 1, 2, -5 });
        var ignore = RequireFails(TwoTaskData.Tasks[1] with { IgnoreIndex = -5 }, kinds);
        Assert.Equal("the training data does not fit TwoTaskModel: task 'kind': row 3 holds class -5, outside [0, 3) (-1 marks a missing label)", ignore.Message);

        // The data calls value a regression(1) with 2.5 in row 1; the trainer takes it as binary.
        TaskSpec[] binary = [new TaskSpec("value", TaskKind.Binary), TwoTaskData.Tasks[1]];
        using (var data = TwoTaskData.Make(4, seed: 6))
        {
            using var regression = new MultiTaskDataset(
                new Dictionary<string, Tensor> { ["x"] = data.Inputs["x"].clone() },
                new Dictionary<string, Tensor> { ["value"] = tensor(new float[] { 1, 2.5f, 0, 1 }, [4, 1]) },
                TwoTaskData.Tasks);
            var kind = Assert.Throws<InvalidDataException>(() => DataChecks.Require("validation data", regression, _model, binary));
            Assert.Equal("the validation data does not fit TwoTaskModel: task 'value': row 1 holds 2.5; labels must be 0 or 1 (NaN marks a missing label)", kind.Message);
        }
    }

    [Fact]
    public void Targets_of_a_task_the_trainer_does_not_declare_are_not_read()
    {
        // Targets for kind that no classes(3) task could take; the trainer trains value only.
        using var data = TwoTaskData.Make(8, seed: 7);
        using var scope = NewDisposeScope();
        using var wide = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = data.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = data.Targets["value"].clone(), ["kind"] = full([8L], 9L) },
            [TwoTaskData.Tasks[0], new TaskSpec("kind", TaskKind.Classes, 10)]);
        TaskSpec[] valueOnly = [TwoTaskData.Tasks[0]];
        using var losses = new TaskLosses(valueOnly);
        var checks = DataChecks.BeforeFit(wide, wide, _model, valueOnly, losses);
        Assert.Empty(checks.Warnings);
        Assert.Empty(checks.Unvalidated);
        // The same targets for a trainer that declares kind as classes(3) are refused.
        var error = Assert.Throws<InvalidDataException>(() => DataChecks.Require("training data", wide, _model, TwoTaskData.Tasks));
        Assert.Equal("the training data does not fit TwoTaskModel: task 'kind': row 0 holds class 9, outside [0, 3) (-1 marks a missing label)", error.Message);
    }

    [Fact]
    public void Targets_are_compared_with_the_datas_own_spec_of_that_task_not_another_tasks()
    {
        // The data declares a as classes(5) and b as classes(3); the trainer declares both classes(3).
        // a's spec differs from the trainer's (b's would not), so a's class 4 is checked and refused.
        TaskSpec[] declared = [new TaskSpec("a", TaskKind.Classes, 5), new TaskSpec("b", TaskKind.Classes, 3)];
        TaskSpec[] trainer = [new TaskSpec("a", TaskKind.Classes, 3), new TaskSpec("b", TaskKind.Classes, 3)];
        using var scope = NewDisposeScope();
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = zeros([3, 6]) },
            new Dictionary<string, Tensor> { ["a"] = tensor(new long[] { 0, 4, 1 }), ["b"] = tensor(new long[] { 2, 1, 0 }) },
            declared);
        var error = Assert.Throws<InvalidDataException>(() => DataChecks.Require("training data", data, _model, trainer));
        Assert.Equal("the training data does not fit TwoTaskModel: task 'a': row 1 holds class 4, outside [0, 3) (-1 marks a missing label)", error.Message);
    }

    [Fact]
    public void Per_task_validation_data_is_checked_against_the_model_naming_its_task()
    {
        using var model = new DeclaringTwoTaskModel();
        using var scope = NewDisposeScope();
        using var good = TwoTaskData.Make(8, seed: 9);
        using var narrow = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = zeros([4, 5]) },
            new Dictionary<string, Tensor> { ["kind"] = tensor(new long[] { 0, 1, 2, 0 }) },
            TwoTaskData.Tasks);
        using var train = PerTask(("value", good), ("kind", good));
        using var validation = PerTask(("value", good), ("kind", narrow));
        var error = Assert.Throws<InvalidDataException>(() => DataChecks.BeforeFit(train, validation, model, TwoTaskData.Tasks, _losses));
        Assert.Equal("the validation data of task 'kind' does not fit DeclaringTwoTaskModel: input 'x' must be torch.float32 [N, 6], not torch.float32 [4, 5]", error.Message);
    }

    [Fact]
    public void Per_task_validation_data_read_with_another_vocabulary_is_refused_naming_both_datasets()
    {
        static MultiTaskDataset Read(params string[] islands) => CsvTable.Read(
            new StringReader("island,mass\n" + string.Concat(islands.Select((island, i) => $"{island},{i + 1}\n"))),
            "islands.csv", IslandModel.Schema, IslandModel.Tasks).Data;
        using var model = new IslandModel();
        using var losses = new TaskLosses(IslandModel.Tasks);
        using var biscoe = Read("Dream", "Biscoe");
        using var torgersen = Read("Torgersen", "Biscoe");
        using var train = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["mass"] = biscoe.WithTargets("mass"), ["size"] = biscoe.WithTargets("size") });
        using var validation = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["mass"] = torgersen.WithTargets("mass") });
        var error = Assert.Throws<ArgumentException>(() => DataChecks.BeforeFit(train, validation, model, IslandModel.Tasks, losses));
        Assert.Equal("input 'island': the validation dataset of task 'mass' was read with the categories [Biscoe, Torgersen], not with those learned from the training dataset of task 'size' [Biscoe, Dream]; read it with CsvOptions.Categories = the training data's Categories", error.Message);
        Assert.Empty(model.LearnedCategories);
    }
}
