using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>The two-task model, declaring its input as a generated model does: x, float32, 6 per example.</summary>
internal sealed class DeclaringTwoTaskModel : MultiTaskModule
{
    private readonly TwoTaskModel inner;

    public DeclaringTwoTaskModel() : base(nameof(DeclaringTwoTaskModel))
    {
        inner = new TwoTaskModel();
        RegisterComponents();
    }

    public override IReadOnlyList<InputDeclaration> DeclaredInputs { get; } = [new InputDeclaration("x", ScalarType.Float32, [6])];

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs) => inner.forward(inputs);

    public override IEnumerable<nn.Module> SharedModules() => inner.SharedModules();
}

[Collection(GlobalGeneratorCollection.Name)]
public sealed class DeclaredInputsTests
{
    /// <summary>96 examples whose input x is built by <paramref name="x"/> (from the good [96, 6] float32 one), with the usual targets.</summary>
    private static MultiTaskDataset With(Func<Tensor, Tensor> x, IReadOnlyList<TaskSpec>? tasks = null)
    {
        using var good = TwoTaskData.Make(96, seed: 2);
        using var scope = NewDisposeScope();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = x(good.Inputs["x"]) },
            good.Targets.ToDictionary(p => p.Key, p => p.Value.clone()),
            tasks ?? TwoTaskData.Tasks);
    }

    private static Trainer NewTrainer(MultiTaskModule model, Optimizer optimizer, IReadOnlyList<TaskSpec>? tasks = null) =>
        new(model, tasks ?? TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 32 });

    public static TheoryData<string, string> WrongInputs => new()
    {
        { "width", "torch.float32 [96, 5]" },
        { "rank", "torch.float32 [96, 6, 1]" },
        { "dtype", "torch.float64 [96, 6]" },
    };

    private static Tensor Wrong(string kind, Tensor x) => kind switch
    {
        "width" => x.narrow(1, 0, 5).clone(),
        "rank" => x.unsqueeze(2).clone(),
        _ => x.to(ScalarType.Float64),
    };

    [Theory]
    [MemberData(nameof(WrongInputs))]
    public void Fit_names_the_input_expected_and_found_before_the_first_step(string kind, string found)
    {
        manual_seed(1);
        using var data = With(x => Wrong(kind, x));
        using var model = new DeclaringTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(data));
        Assert.Equal($"the training data does not fit DeclaringTwoTaskModel: input 'x' must be torch.float32 [N, 6], not {found}", error.Message);
        Assert.Equal(0, trainer.Step);
        Assert.Empty(trainer.History);
    }

    [Fact]
    public void Wrong_validation_data_is_reported_before_the_first_epoch_trains()
    {
        manual_seed(1);
        using var train = With(x => x.clone());
        using var validation = With(x => x.narrow(1, 0, 5).clone());
        using var model = new DeclaringTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(train, validation));
        Assert.StartsWith("the validation data does not fit DeclaringTwoTaskModel: input 'x' must be torch.float32 [N, 6], not torch.float32 [96, 5]", error.Message);
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void A_missing_input_is_named_with_the_inputs_the_data_has()
    {
        manual_seed(1);
        using var good = TwoTaskData.Make(32, seed: 2);
        using var scope = NewDisposeScope();
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["features"] = good.Inputs["x"].clone() },
            good.Targets.ToDictionary(p => p.Key, p => p.Value.clone()),
            TwoTaskData.Tasks);
        using var model = new DeclaringTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(data));
        Assert.Equal("the training data does not fit DeclaringTwoTaskModel: input 'x' is missing (the data has 'features')", error.Message);
    }

    [Fact]
    public void Evaluate_and_predict_check_the_declared_inputs()
    {
        manual_seed(1);
        using var data = With(x => x.to(ScalarType.Float64));
        using var model = new DeclaringTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var evaluation = Assert.Throws<InvalidDataException>(() => trainer.Evaluate(data));
        Assert.Equal("the evaluation data does not fit DeclaringTwoTaskModel: input 'x' must be torch.float32 [N, 6], not torch.float64 [96, 6]", evaluation.Message);
        var prediction = Assert.Throws<InvalidDataException>(() => trainer.Predict(data.Inputs));
        Assert.Equal("the inputs do not fit DeclaringTwoTaskModel: input 'x' must be torch.float32 [N, 6], not torch.float64 [96, 6]", prediction.Message);
    }

    [Fact]
    public void Fit_and_evaluate_on_task_datasets_name_the_task_whose_data_does_not_fit()
    {
        manual_seed(1);
        using var good = With(x => x.clone());
        using var bad = With(x => x.narrow(1, 0, 5).clone());
        using var train = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = good.WithTargets("value"), ["kind"] = bad.WithTargets("kind") });
        using var model = new DeclaringTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var fit = Assert.Throws<InvalidDataException>(() => trainer.Fit(train));
        Assert.Equal("the training data of task 'kind' does not fit DeclaringTwoTaskModel: input 'x' must be torch.float32 [N, 6], not torch.float32 [96, 5]", fit.Message);
        var evaluate = Assert.Throws<InvalidDataException>(() => trainer.Evaluate(train));
        Assert.StartsWith("the evaluation data of task 'kind' does not fit", evaluate.Message);
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void Data_that_fits_the_declaration_trains_as_before()
    {
        manual_seed(1);
        using var data = With(x => x.clone());
        using var model = new DeclaringTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var history = trainer.Fit(data, data);
        Assert.Single(history);
        Assert.True(double.IsFinite(history[0].TrainLoss));
        Assert.True(double.IsFinite(trainer.Evaluate(data)["loss"]));
    }

    [Fact]
    public void A_model_that_declares_nothing_declares_no_inputs() =>
        Assert.Empty(new TwoTaskModel().DeclaredInputs);

    [Fact]
    public void Targets_checked_against_other_task_specs_are_checked_again_against_the_trainers()
    {
        manual_seed(1);
        // The data says kind has 5 classes (labels 0..4 pass); the trainer trains classes(3).
        TaskSpec[] wider = [TwoTaskData.Tasks[0], new TaskSpec("kind", TaskKind.Classes, 5)];
        using var good = TwoTaskData.Make(32, seed: 2);
        using var scope = NewDisposeScope();
        var kinds = good.Targets["kind"].clone();
        kinds[7].fill_(4L);
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = good.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = good.Targets["value"].clone(), ["kind"] = kinds },
            wider);
        using var model = new DeclaringTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(data));
        Assert.Equal("the training data does not fit DeclaringTwoTaskModel: task 'kind': row 7 holds class 4, outside [0, 3) (-1 marks a missing label)", error.Message);
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void Targets_of_a_different_shape_than_the_trainers_task_are_named()
    {
        manual_seed(1);
        TaskSpec[] twoValues = [new TaskSpec("value", TaskKind.Regression, 2), TwoTaskData.Tasks[1]];
        using var good = TwoTaskData.Make(32, seed: 2);
        using var scope = NewDisposeScope();
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = good.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = good.Targets["value"].repeat(1, 2), ["kind"] = good.Targets["kind"].clone() },
            twoValues);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = NewTrainer(model, optimizer);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(data));
        Assert.Equal("the training data does not fit TwoTaskModel: task 'value': targets must have shape [N, 1], not [32, 2]", error.Message);
    }
}

[Collection(GlobalGeneratorCollection.Name)]
public sealed class Int32ClassTargetTests
{
    private static MultiTaskDataset Make(ScalarType classes)
    {
        using var good = TwoTaskData.Make(96, seed: 2);
        using var scope = NewDisposeScope();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = good.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = good.Targets["value"].clone(), ["kind"] = good.Targets["kind"].to(classes) },
            TwoTaskData.Tasks);
    }

    private static IReadOnlyList<EpochRecord> Train(MultiTaskDataset data)
    {
        manual_seed(3);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.05);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 32 });
        return trainer.Fit(data, data).ToList();
    }

    [Fact]
    public void Int32_class_targets_are_widened_once_and_train_exactly_as_int64_ones()
    {
        using var narrow = Make(ScalarType.Int32);
        using var wide = Make(ScalarType.Int64);
        Assert.Equal(ScalarType.Int64, narrow.Targets["kind"].dtype);
        Assert.True(narrow.Targets["kind"].equal(wide.Targets["kind"]));
        var a = Train(narrow);
        var b = Train(wide);
        Assert.Equal(b.Select(r => r.TrainLoss), a.Select(r => r.TrainLoss));
        Assert.Equal(b[^1].Validation["kind.accuracy"], a[^1].Validation["kind.accuracy"]);
    }

    [Fact]
    public void Int32_class_targets_out_of_range_are_still_reported_with_row_and_value()
    {
        using var good = TwoTaskData.Make(16, seed: 2);
        using var scope = NewDisposeScope();
        var kinds = good.Targets["kind"].to(ScalarType.Int32);
        kinds[5].fill_(3L);
        var error = Assert.Throws<InvalidDataException>(() => new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = good.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = good.Targets["value"].clone(), ["kind"] = kinds },
            TwoTaskData.Tasks));
        Assert.Equal("task 'kind': row 5 holds class 3, outside [0, 3) (-1 marks a missing label)", error.Message);
    }
}

[Collection(LiveHandleCollection.Name)]
public sealed class Int32ClassTargetLifetimeTests
{
    [Fact]
    public void A_dataset_built_from_int32_classes_frees_both_tensors_when_disposed()
    {
        using var good = TwoTaskData.Make(16, seed: 2);
        var before = LiveHandleCollection.Settle();
        using (var scope = NewDisposeScope())
        {
            var data = new MultiTaskDataset(
                new Dictionary<string, Tensor> { ["x"] = good.Inputs["x"].clone() },
                new Dictionary<string, Tensor> { ["value"] = good.Targets["value"].clone(), ["kind"] = good.Targets["kind"].to(ScalarType.Int32) },
                TwoTaskData.Tasks);
            data.Dispose();
        }
        Assert.Equal(before, Tensor.LiveHandleCount);
    }
}

[Collection(GlobalGeneratorCollection.Name)]
public sealed class TargetDtypeTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Float64_targets_for_a_float32_output_name_the_task_before_any_update(bool missingLabels)
    {
        manual_seed(1);
        TaskSpec[] tasks = [TwoTaskData.Tasks[0] with { MissingLabels = missingLabels }, TwoTaskData.Tasks[1]];
        using var good = TwoTaskData.Make(32, seed: 2);
        using var scope = NewDisposeScope();
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = good.Inputs["x"].clone() },
            new Dictionary<string, Tensor> { ["value"] = good.Targets["value"].to(ScalarType.Float64), ["kind"] = good.Targets["kind"].clone() },
            tasks);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 16 });
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(data));
        Assert.Equal("task 'value': the targets are torch.float64 but the model's output for the task is torch.float32; give the targets as torch.float32 (for example with .to(ScalarType.Float32))", error.Message);
        Assert.Equal(0, trainer.Step);
    }
}
