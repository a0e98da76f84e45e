using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

public sealed class EvaluatorTests : IDisposable
{
    private readonly TwoTaskModel _model = new();

    public void Dispose() => _model.Dispose();

    private Dictionary<string, double> Evaluate(MultiTaskDataset data, IReadOnlyList<TaskSpec>? tasks = null, long batchSize = 32)
    {
        tasks ??= TwoTaskData.Tasks;
        using var losses = new TaskLosses(tasks);
        return new Evaluator(_model, tasks, losses, batchSize).Evaluate(data);
    }

    /// <summary>Each task's loss over the labelled rows of <paramref name="data"/>, computed in one piece.</summary>
    private (double value, double kind) Direct(MultiTaskDataset data)
    {
        using var scope = NewDisposeScope();
        using var mode = no_grad();
        _model.eval();
        var output = _model.forward(data.Inputs);
        var value = data.Targets["value"];
        var labelled = value.isnan().logical_not();
        var valueLoss = nn.functional.mse_loss(output.Tasks["value"][labelled], value[labelled]).item<float>();
        var kindLoss = nn.functional.cross_entropy(output.Tasks["kind"], data.Targets["kind"], ignore_index: -1).item<float>();
        _model.train();
        return (valueLoss, kindLoss);
    }

    [Fact]
    public void The_total_is_each_task_loss_times_its_declared_weight()
    {
        using var data = TwoTaskData.Make(100, seed: 1);
        var result = Evaluate(data);
        Assert.Equal(1.0 * result["value.loss"] + 0.5 * result["kind.loss"], result["loss"]);

        TaskSpec[] reweighted = [TwoTaskData.Tasks[0] with { Weight = 2 }, TwoTaskData.Tasks[1] with { Weight = 0.25 }];
        var again = Evaluate(data, reweighted);
        Assert.Equal(result["value.loss"], again["value.loss"]);
        Assert.Equal(2 * again["value.loss"] + 0.25 * again["kind.loss"], again["loss"]);
    }

    [Fact]
    public void Over_several_batches_each_task_loss_is_still_its_mean_over_labelled_examples()
    {
        // 600 rows make three evaluation batches (of 256, 256 and 88) with very different shares of
        // labels: a batch's mean must count by its labelled examples, not by its size.
        using var data = Unevenly(600, seed: 3);
        var result = Evaluate(data);
        var (value, kind) = Direct(data);
        Assert.Equal(value, result["value.loss"], 1e-5);
        Assert.Equal(kind, result["kind.loss"], 1e-5);
    }

    /// <summary>Labels for every row of the first batch, few in the second, none of the value task in the third.</summary>
    private static MultiTaskDataset Unevenly(long count, long seed)
    {
        using var scope = NewDisposeScope();
        using var full = TwoTaskData.Make(count, seed);
        var row = arange(count);
        var value = full.Targets["value"].clone();
        var hideValue = row.ge(256L).logical_and(row.remainder(10L).ne(0L)).logical_or(row.ge(512L)).unsqueeze(1);
        var kind = full.Targets["kind"].masked_fill(row.ge(256L).logical_and(row.remainder(3L).ne(0L)), -1L);
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = full.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = value.masked_fill(hideValue.expand_as(value), double.NaN), ["kind"] = kind },
            TwoTaskData.Tasks);
    }

    [Fact]
    public void Each_task_loss_is_its_mean_over_labelled_examples()
    {
        // One evaluation batch (at least 256 rows): labelled rows only, whatever the training batch size.
        using var data = TwoTaskData.Make(200, seed: 2, missingValue: 0.3, missingKind: 0.5);
        var result = Evaluate(data, batchSize: 8);
        var (value, kind) = Direct(data);
        Assert.Equal(value, result["value.loss"], 1e-6);
        Assert.Equal(kind, result["kind.loss"], 1e-6);
    }

    [Fact]
    public void Batches_of_fully_labelled_data_are_weighted_by_their_size()
    {
        // 300 rows: batches of 256 and 44 rows.
        using var data = TwoTaskData.Make(300, seed: 3);
        var result = Evaluate(data);
        var (value, kind) = Direct(data);
        Assert.Equal(value, result["value.loss"], 1e-6);
        Assert.Equal(kind, result["kind.loss"], 1e-6);
    }

    [Fact]
    public void A_task_without_labelled_examples_has_no_loss_or_metrics_and_is_left_out_of_the_total()
    {
        using var data = TwoTaskData.Make(60, seed: 4, missingKind: 1.0);
        var result = Evaluate(data);
        Assert.True(double.IsNaN(result["kind.loss"]));
        Assert.True(double.IsNaN(result["kind.accuracy"]));
        Assert.False(double.IsNaN(result["value.loss"]));
        Assert.Equal(result["value.loss"], result["loss"]);
    }

    [Fact]
    public void A_task_loss_that_is_NaN_makes_the_total_NaN_instead_of_being_left_out()
    {
        using var data = TwoTaskData.Make(64, seed: 3);
        using (no_grad()) _model.KindHead.parameters().First().fill_(double.NaN);
        var result = Evaluate(data);
        Assert.True(double.IsNaN(result["kind.loss"]));
        Assert.True(double.IsFinite(result["value.loss"]));
        Assert.True(double.IsNaN(result["loss"]), $"loss {result["loss"]}");
    }

    [Fact]
    public void Data_without_a_label_of_any_task_has_no_total_rather_than_zero()
    {
        using var data = TwoTaskData.Make(20, seed: 4, missingValue: 1.0, missingKind: 1.0);
        Assert.True(double.IsNaN(Evaluate(data)["loss"]));
        using var perTask = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["kind"] = data.WithTargets("kind") });
        using var losses = new TaskLosses(TwoTaskData.Tasks);
        Assert.True(double.IsNaN(new Evaluator(_model, TwoTaskData.Tasks, losses, 32).Evaluate(perTask)["loss"]));
    }

    [Fact]
    public void Evaluation_runs_in_eval_mode_and_gives_the_model_its_mode_back()
    {
        using var model = new TwoTaskModel(dropout: 0.5);
        using var data = TwoTaskData.Make(64, seed: 5);
        using var losses = new TaskLosses(TwoTaskData.Tasks);
        var evaluator = new Evaluator(model, TwoTaskData.Tasks, losses, 32);
        model.train();
        var first = evaluator.Evaluate(data);
        Assert.True(model.training);
        // Dropout is off while evaluating, so evaluating twice gives the same numbers.
        Assert.Equal(first, evaluator.Evaluate(data));
        model.eval();
        evaluator.Evaluate(data);
        Assert.False(model.training);
    }

    [Fact]
    public void Per_task_datasets_give_each_task_its_own_loss_and_metrics_and_the_weighted_total()
    {
        using var a = TwoTaskData.Make(80, seed: 6);
        using var b = TwoTaskData.Make(90, seed: 7);
        var onA = Evaluate(a);
        var onB = Evaluate(b);
        using var perTask = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = a.WithTargets("value"), ["kind"] = b.WithTargets("kind") });
        using var losses = new TaskLosses(TwoTaskData.Tasks);
        var result = new Evaluator(_model, TwoTaskData.Tasks, losses, 32).Evaluate(perTask);
        Assert.Equal(["kind.accuracy", "kind.loss", "kind.macro_f1", "loss", "value.loss", "value.mae", "value.r2"], result.Keys.Order(StringComparer.Ordinal));
        foreach (var key in new[] { "value.loss", "value.mae", "value.r2" }) Assert.Equal(onA[key], result[key]);
        foreach (var key in new[] { "kind.loss", "kind.accuracy", "kind.macro_f1" }) Assert.Equal(onB[key], result[key]);
        Assert.Equal(1.0 * onA["value.loss"] + 0.5 * onB["kind.loss"], result["loss"]);
    }
}

public sealed class TaskLossesTests
{
    [Fact]
    public void A_task_without_targets_or_labels_has_no_loss_and_a_missing_output_is_named()
    {
        using var scope = NewDisposeScope();
        using var losses = new TaskLosses(TwoTaskData.Tasks);
        var output = new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = zeros(2, 1), ["kind"] = zeros(2, 3) });
        var onlyValue = new MultiTaskBatch(new Dictionary<string, Tensor>(), new Dictionary<string, Tensor> { ["value"] = ones(2, 1) }, 2);
        var values = losses.Compute(output, onlyValue);
        Assert.Equal(1.0, values[0]!.item<float>());
        Assert.Null(values[1]);
        var unlabelled = new MultiTaskBatch(new Dictionary<string, Tensor>(), new Dictionary<string, Tensor> { ["value"] = ones(2, 1), ["kind"] = tensor(new long[] { -1, -1 }) }, 2);
        Assert.Null(losses.Compute(output, unlabelled)[1]);
        var partial = new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = zeros(2, 1) });
        var error = Assert.Throws<InvalidOperationException>(() => losses.Compute(partial, onlyValue));
        Assert.Equal("the model returned no output for task 'kind'", error.Message);
    }
}
