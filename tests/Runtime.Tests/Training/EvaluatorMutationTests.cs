using Mtl.Catalog;
using Mtl.Data;
using Mtl.Runtime.Tests.Distributed;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// The evaluator against values worked out by hand: a model that echoes its inputs as the tasks'
/// outputs, so each loss and metric is a known sum over the labelled rows.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class EvaluatorMutationTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-evaluator-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("reg", TaskKind.Regression) { Weight = 2, Metrics = ["mae"] },
        new TaskSpec("cls", TaskKind.Classes, 3) { Weight = 0.5, Metrics = ["accuracy"] },
    ];

    // The 600 rows of Data() in the evaluator's batches 0–255, 256–511, 512–599:
    // reg: output 0; target 1 on rows 0–255, 3 on rows ≥ 256 that are multiples of 10 (260 … 590:
    // 26 in the second batch, 8 in the third), missing elsewhere. Squared errors 256·1 + 34·9 = 562
    // over 290 labelled rows; absolute errors 256·1 + 34·3 = 358.
    private const double RegLoss = 562.0 / 290;
    private const double RegMae = 358.0 / 290;

    // cls: logits (1, 0, 0) on every row; class 0 on rows 0–255, class 1 on rows 256–299, missing
    // after. Cross-entropy ln(1 + 2/e) for class 0 and ln(e + 2) for class 1; the prediction is
    // class 0 everywhere, right on 256 of the 300 labelled rows.
    private static readonly double ClsLoss = (256 * Math.Log(1 + 2 / Math.E) + 44 * Math.Log(Math.E + 2)) / 300;
    private const double ClsAccuracy = 256.0 / 300;

    /// <summary>The 600 rows above; <paramref name="withCls"/> false leaves the classes task without targets.</summary>
    private static MultiTaskDataset Data(bool withCls = true, bool clsLabelled = true)
    {
        using var scope = NewDisposeScope();
        const int n = 600;
        var reg = new float[n];
        var cls = new long[n];
        for (var r = 0; r < n; r++)
        {
            reg[r] = r < 256 ? 1 : r % 10 == 0 ? 3 : float.NaN;
            cls[r] = !clsLabelled ? -1 : r < 256 ? 0 : r < 300 ? 1 : -1;
        }
        var logits = zeros([n, 3]);
        logits.select(1, 0).fill_(1.0);
        var inputs = new Dictionary<string, Tensor> { ["reg"] = zeros([n, 1]), ["cls"] = logits };
        var targets = new Dictionary<string, Tensor> { ["reg"] = tensor(reg, [n, 1]) };
        if (withCls) targets["cls"] = tensor(cls);
        return new MultiTaskDataset(inputs, targets, Tasks);
    }

    /// <summary>The values above; <paramref name="regDigits"/>: the decimal places reg.loss is exact to (a batch mean that is not an integer is rounded to float).</summary>
    private static void AssertHandValues(Dictionary<string, double> result, int regDigits = 12)
    {
        Assert.Equal(["cls.accuracy", "cls.loss", "loss", "reg.loss", "reg.mae"], result.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(RegLoss, result["reg.loss"], regDigits);
        Assert.Equal(RegMae, result["reg.mae"], 12);
        Assert.Equal(ClsLoss, result["cls.loss"], 6);
        Assert.Equal(ClsAccuracy, result["cls.accuracy"], 12);
        Assert.Equal(2 * RegLoss + 0.5 * ClsLoss, result["loss"], 6);
    }

    [Fact]
    public void Over_three_batches_the_losses_metrics_and_weighted_total_are_the_hand_computed_ones()
    {
        using var data = Data();
        using var losses = new TaskLosses(Tasks);
        using var model = new EchoModel();
        AssertHandValues(new Evaluator(model, Tasks, losses, 8).Evaluate(data));
        Assert.Equal([256L, 256L, 88L], model.Batches);
    }

    [Fact]
    public void The_evaluation_batch_is_the_training_batch_when_that_is_larger_than_256()
    {
        using var data = Data();
        using var losses = new TaskLosses(Tasks);
        using var model = new EchoModel();
        // Rows 0–299 hold 256 ones and four threes (260 … 290): a mean of 292 / 260, rounded to float.
        AssertHandValues(new Evaluator(model, Tasks, losses, 300).Evaluate(data), regDigits: 6);
        Assert.Equal([300L, 300L], model.Batches);
    }

    [Fact]
    public void A_task_without_targets_has_NaN_loss_and_metrics_and_the_total_is_the_other_task_alone()
    {
        using var data = Data(withCls: false);
        using var losses = new TaskLosses(Tasks);
        using var model = new EchoModel();
        var result = new Evaluator(model, Tasks, losses, 8).Evaluate(data);
        Assert.Equal(["cls.accuracy", "cls.loss", "loss", "reg.loss", "reg.mae"], result.Keys.Order(StringComparer.Ordinal));
        Assert.True(double.IsNaN(result["cls.loss"]));
        Assert.True(double.IsNaN(result["cls.accuracy"]));
        Assert.Equal(RegLoss, result["reg.loss"], 12);
        Assert.Equal(RegMae, result["reg.mae"], 12);
        Assert.Equal(2 * RegLoss, result["loss"], 12);
    }

    [Fact]
    public void Per_task_datasets_take_each_task_from_its_own_dataset_and_leave_an_unlabelled_one_out_of_the_total()
    {
        using var data = Data();
        using var unlabelled = Data(clsLabelled: false);
        using var losses = new TaskLosses(Tasks);
        using var model = new EchoModel();
        var evaluator = new Evaluator(model, Tasks, losses, 8);

        using (var both = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["cls"] = data.WithTargets("cls"), ["reg"] = data.WithTargets("reg") }))
        {
            AssertHandValues(evaluator.Evaluate(both));
        }

        using var clsUnlabelled = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["cls"] = unlabelled.WithTargets("cls"), ["reg"] = data.WithTargets("reg") });
        var result = evaluator.Evaluate(clsUnlabelled);
        Assert.Equal(["cls.accuracy", "cls.loss", "loss", "reg.loss", "reg.mae"], result.Keys.Order(StringComparer.Ordinal));
        Assert.True(double.IsNaN(result["cls.loss"]));
        Assert.True(double.IsNaN(result["cls.accuracy"]));
        Assert.Equal(RegLoss, result["reg.loss"], 12);
        Assert.Equal(2 * RegLoss, result["loss"], 12);

        // Only the cls dataset, fully labelled: the total is its weighted loss alone.
        using var clsOnly = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["cls"] = data.WithTargets("cls") });
        var alone = evaluator.Evaluate(clsOnly);
        Assert.Equal(["cls.accuracy", "cls.loss", "loss"], alone.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0.5 * ClsLoss, alone["loss"], 6);
    }

    [Fact]
    public void A_dataset_for_a_name_that_is_not_a_task_is_an_error_naming_it_and_the_tasks()
    {
        var other = new TaskSpec("other", TaskKind.Regression);
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["reg"] = zeros([2, 1]) },
            new Dictionary<string, Tensor> { ["other"] = ones([2, 1]) },
            [other]);
        using var datasets = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["other"] = data });
        using var losses = new TaskLosses(Tasks);
        using var model = new EchoModel();
        var error = Assert.Throws<ArgumentException>(() => new Evaluator(model, Tasks, losses, 8).Evaluate(datasets));
        Assert.Equal("data", error.ParamName);
        Assert.Equal("a dataset is given for 'other', which is not a task (tasks: reg, cls) (Parameter 'data')", error.Message);
        Assert.Empty(model.Batches);
    }

    [Fact]
    public void Two_ranks_each_evaluate_their_part_of_every_batch_and_both_get_the_hand_computed_values()
    {
        using var data = Data();
        using var losses = new TaskLosses(Tasks);
        var models = new[] { new EchoModel(), new EchoModel() };
        try
        {
            var ranks = Ranks.Run(Path.Combine(_folder, "store"), 2, Timeout,
                group => new Evaluator(models[group.rank], Tasks, losses, 8).Evaluate(data, group));
            Assert.Equal(600L, models.Sum(m => m.Batches.Sum()));
            // Batches of 256 · 2 rows (0–511, 512–599), each split in halves: rank 0 takes rows
            // 0–255 and 512–555, rank 1 rows 256–511 and 556–599.
            Assert.Equal([256L, 44L], models[0].Batches);
            Assert.Equal([256L, 44L], models[1].Batches);
            foreach (var result in ranks) AssertHandValues(result);

            // Per-task datasets over two ranks: the same values, and an unlabelled task left out.
            using var unlabelled = Data(clsLabelled: false);
            using var perTask = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["reg"] = data.WithTargets("reg"), ["cls"] = unlabelled.WithTargets("cls") });
            var perTaskRanks = Ranks.Run(Path.Combine(_folder, "store-per-task"), 2, Timeout,
                group => new Evaluator(models[group.rank], Tasks, losses, 8).Evaluate(perTask, group));
            foreach (var result in perTaskRanks)
            {
                Assert.Equal(RegLoss, result["reg.loss"], 12);
                Assert.Equal(RegMae, result["reg.mae"], 12);
                Assert.True(double.IsNaN(result["cls.loss"]));
                Assert.Equal(2 * RegLoss, result["loss"], 12);
            }
        }
        finally
        {
            foreach (var model in models) model.Dispose();
        }
    }

    [Fact]
    public void Per_task_datasets_keep_each_tasks_keys_even_when_one_task_name_begins_another()
    {
        // Tasks "a" and "ab": a's dataset (evaluated second) also yields ab's keys (NaN, it has no
        // ab targets), which must not replace those from ab's own dataset.
        TaskSpec[] tasks = [new TaskSpec("a", TaskKind.Regression) { Metrics = ["mae"] }, new TaskSpec("ab", TaskKind.Regression) { Weight = 3, Metrics = ["mae"] }];
        using var scope = NewDisposeScope();
        var inputs = new Dictionary<string, Tensor> { ["a"] = zeros([4, 1]), ["ab"] = zeros([4, 1]) };
        // a: errors 1, 1, 1, 3 (squares 1, 1, 1, 9); ab: errors 2 everywhere.
        using var data = new MultiTaskDataset(inputs, new Dictionary<string, Tensor> { ["a"] = tensor(new float[] { 1, 1, 1, 3 }, [4, 1]), ["ab"] = full([4L, 1L], 2f) }, tasks);
        using var datasets = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["ab"] = data.WithTargets("ab"), ["a"] = data.WithTargets("a") });
        using var losses = new TaskLosses(tasks);
        using var model = new EchoModel();
        var result = new Evaluator(model, tasks, losses, 8).Evaluate(datasets);
        Assert.Equal(["a.loss", "a.mae", "ab.loss", "ab.mae", "loss"], result.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3.0, result["a.loss"], 12);
        Assert.Equal(1.5, result["a.mae"], 12);
        Assert.Equal(4.0, result["ab.loss"], 12);
        Assert.Equal(2.0, result["ab.mae"], 12);
        Assert.Equal(3.0 + 3 * 4.0, result["loss"], 12);
    }
}
