using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>Per-example predictions from raw outputs, against sigmoid, softmax and argmax by hand.</summary>
public sealed class PredictionsTests
{
    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<float> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Binary_is_the_sigmoid_of_each_logit_and_its_label_the_side_of_one_half()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new[] { 0, Math.Log(3), -Math.Log(3), 20 }, [4, 1]);
        var predictions = Predictions.Binary(logits);
        AssertClose([0.5, 0.75, 0.25, 1 / (1 + Math.Exp(-20))], [.. predictions.Select(p => p.Probability)]);
        Assert.Equal([true, true, false, true], predictions.Select(p => p.Label));
        // a flat [N] output reads the same
        Assert.Equal(predictions, Predictions.Binary(logits.reshape(4)));
    }

    [Fact]
    public void Classes_are_the_softmax_of_each_row_and_its_most_likely_class()
    {
        using var scope = NewDisposeScope();
        // rows ∝ (1, 2, 5), (4, 1, 1) and a tie between classes 0 and 2
        var logits = tensor(new[] { 0, Math.Log(2), Math.Log(5), Math.Log(4) + 7, 7, 7, 1, 0, 1 }, [3, 3]);
        var predictions = Predictions.Classes(logits);
        Assert.Equal(3, predictions.Length);
        AssertClose([1 / 8.0, 2 / 8.0, 5 / 8.0], predictions[0].Probabilities);
        AssertClose([4 / 6.0, 1 / 6.0, 1 / 6.0], predictions[1].Probabilities);
        var e = Math.E;
        AssertClose([e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)], predictions[2].Probabilities);
        Assert.Equal([2, 0, 0], predictions.Select(p => p.Class));
    }

    [Fact]
    public void Multilabel_is_the_sigmoid_of_each_logit_with_labels_at_one_half()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0, 2, -2, -0.5f, 0.5f, 0 }, [2, 3]);
        var predictions = Predictions.Multilabel(logits);
        double S(double x) => 1 / (1 + Math.Exp(-x));
        AssertClose([S(0), S(2), S(-2)], predictions[0].Probabilities);
        AssertClose([S(-0.5), S(0.5), S(0)], predictions[1].Probabilities);
        Assert.Equal([true, true, false], predictions[0].Labels);
        Assert.Equal([false, true, true], predictions[1].Labels);
    }

    [Fact]
    public void Regression_values_are_read_per_example()
    {
        using var scope = NewDisposeScope();
        var values = Predictions.Regression(tensor(new[] { 1.5, -2, 0.25, 8, 9, 10 }, [3, 2]));
        Assert.Equal(3, values.Length);
        Assert.Equal([1.5f, -2f], values[0]);
        Assert.Equal([0.25f, 8f], values[1]);
        Assert.Equal([9f, 10f], values[2]);
        Assert.Equal([3.5f, -1f], Predictions.Scalar(tensor(new[] { 3.5f, -1f }, [2, 1])));
        Assert.Empty(Predictions.Regression(zeros([0, 2])));
        Assert.Empty(Predictions.Classes(zeros([0, 3])));
    }
}

/// <summary>Optimizer parameter groups by module, as a .mtl file's <c>group block(options)</c> builds them.</summary>
public sealed class ParameterGroupsTests
{
    private sealed class Net : nn.Module
    {
        public Net() : base(nameof(Net))
        {
            Trunk = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4));
            A = nn.Linear(4, 1);
            B = nn.Linear(4, 2);
            RegisterComponents();
        }

        public Sequential Trunk { get; }

        public Linear A { get; }

        public Linear B { get; }
    }

    private static void AssertSameParameters(IEnumerable<Parameter> expected, IReadOnlyList<Parameter> actual)
    {
        var e = expected.ToList();
        Assert.Equal(e.Count, actual.Count);
        for (var i = 0; i < e.Count; i++) Assert.Same(e[i], actual[i]);
    }

    [Fact]
    public void Each_listed_module_gets_its_group_after_a_group_of_the_rest()
    {
        using var net = new Net();
        var trunk = new Dictionary<string, double> { ["lr"] = 0.01 };
        var a = new Dictionary<string, double> { ["weight_decay"] = 0.5, ["beta1"] = 0.8 };
        var groups = ParameterGroups.Split(net, (net.Trunk, trunk), (net.A, a));
        Assert.Equal(3, groups.Count);
        AssertSameParameters(net.B.parameters(), groups[0].parameters);
        Assert.Empty(groups[0].options);
        AssertSameParameters(net.Trunk.parameters(), groups[1].parameters);
        Assert.Equal(trunk, groups[1].options);
        AssertSameParameters(net.A.parameters(), groups[2].parameters);
        Assert.Equal(a, groups[2].options);

        // The rest group takes the optimizer's own options; the others keep theirs.
        using var optimizer = optim.Adam(groups, lr: 0.002);
        Assert.Equal([0.002, 0.01, 0.002], optimizer.param_groups.Select(g => g.lr));
        Assert.Equal([0.0, 0.0, 0.5], optimizer.param_groups.Select(g => g.weight_decay));
        Assert.Equal([0.9, 0.9, 0.8], optimizer.param_groups.Select(g => g["beta1"]));
    }

    [Fact]
    public void A_parameter_lands_in_the_first_listed_module_that_holds_it_and_in_no_other_group()
    {
        using var net = new Net();
        var trunk = new Dictionary<string, double> { ["lr"] = 0.01 };
        var all = new Dictionary<string, double> { ["lr"] = 0.1 };
        // the whole net is listed after its trunk: it gets everything but the trunk, and no rest group is left
        var groups = ParameterGroups.Split(net, (net.Trunk, trunk), (net, all));
        Assert.Equal(2, groups.Count);
        AssertSameParameters(net.Trunk.parameters(), groups[0].parameters);
        AssertSameParameters(net.A.parameters().Concat(net.B.parameters()), groups[1].parameters);
        var every = groups.SelectMany(g => g.parameters).ToList();
        Assert.Equal(every.Count, every.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.Equal(net.parameters().Count(), every.Count);

        // no groups listed: one group of everything
        var single = Assert.Single(ParameterGroups.Split(net));
        AssertSameParameters(net.parameters(), single.parameters);
    }
}

/// <summary>Reading a generated model's named inputs.</summary>
public sealed class ModelInputsTests
{
    [Fact]
    public void Require_returns_the_input_or_names_the_missing_one_and_those_given()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2, 3);
        var inputs = new Dictionary<string, Tensor> { ["x"] = x, ["age"] = zeros(2) };
        Assert.Same(x, ModelInputs.Require(inputs, "x", "Census"));
        var error = Assert.Throws<KeyNotFoundException>(() => ModelInputs.Require(inputs, "income", "Census"));
        Assert.Equal("Census needs the input 'income', but the inputs given are 'x', 'age'", error.Message);
        var none = Assert.Throws<KeyNotFoundException>(() => ModelInputs.Require(new Dictionary<string, Tensor>(), "x", "Census"));
        Assert.Equal("Census needs the input 'x', but the inputs given are none", none.Message);
    }
}

/// <summary>bce's pos_weight with masking, and the check of a task spec against the language's tables.</summary>
public sealed class TaskLossTests
{
    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>−(p·y·log σ(x) + (1 − y)·log(1 − σ(x))) and its derivative σ(x)(p·y + 1 − y) − p·y.</summary>
    private static (double Loss, double Gradient) Bce(double x, double y, double p) =>
        (-(p * y * Math.Log(Sigmoid(x)) + (1 - y) * Math.Log(1 - Sigmoid(x))), Sigmoid(x) * (p * y + 1 - y) - p * y);

    public static TheoryData<string> Specs => new(["mse", "l1", "huber", "bce", "bce pos_weight", "multilabel", "cross_entropy", "cross_entropy smoothed weighted"]);

    /// <summary>A task that forbids missing labels skips the mask; on fully labelled data it computes exactly what the masked path computes.</summary>
    [Theory]
    [MemberData(nameof(Specs))]
    public void Without_missing_labels_the_loss_and_its_gradient_are_those_of_the_masked_path(string spec)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var task = spec switch
        {
            "mse" => new TaskSpec("t", TaskKind.Regression, 2),
            "l1" => new TaskSpec("t", TaskKind.Regression, 2) { Loss = LossKind.L1 },
            "huber" => new TaskSpec("t", TaskKind.Regression, 2) { Loss = LossKind.Huber, HuberDelta = 0.5 },
            "bce" => new TaskSpec("t", TaskKind.Binary),
            "bce pos_weight" => new TaskSpec("t", TaskKind.Binary) { PosWeight = 3 },
            "multilabel" => new TaskSpec("t", TaskKind.Multilabel, 3),
            "cross_entropy" => new TaskSpec("t", TaskKind.Classes, 4),
            _ => new TaskSpec("t", TaskKind.Classes, 4) { LabelSmoothing = 0.1, ClassWeights = [1, 2, 0.5, 1] },
        };
        var logits = randn([6, task.Kind == TaskKind.Binary ? 1 : task.Size], dtype: ScalarType.Float64);
        var target = task.Kind switch
        {
            TaskKind.Classes => randint(task.Size, [6]),
            TaskKind.Regression => randn([6, task.Size], dtype: ScalarType.Float64),
            _ => randint(2, [6, task.Size]).to(ScalarType.Float64),
        };
        (double Value, double[] Gradient) Run(TaskSpec spec)
        {
            using var loss = new TaskLoss(spec);
            var input = logits.detach().clone().requires_grad_();
            var value = loss.Compute(input, target)!;
            value.backward();
            return (value.item<double>(), input.grad!.data<double>());
        }

        var masked = Run(task with { MissingLabels = true });
        var unmasked = Run(task with { MissingLabels = false });

        Assert.Equal(masked.Value, unmasked.Value, 12);
        Assert.Equal(masked.Gradient.Length, unmasked.Gradient.Length);
        for (var i = 0; i < masked.Gradient.Length; i++) Assert.Equal(masked.Gradient[i], unmasked.Gradient[i], 12);
    }

    [Fact]
    public void Pos_weight_scales_the_loss_of_positive_labels_over_the_labelled_examples_only()
    {
        using var scope = NewDisposeScope();
        using var loss = new TaskLoss(new TaskSpec("churn", TaskKind.Binary) { PosWeight = 2.5 });
        double[] x = [0.5, -1, 2, 0.3];
        double[] y = [1, double.NaN, 0, 1];
        var logits = tensor(x, [4, 1], requires_grad: true);
        var value = loss.Compute(logits, tensor(y, [4, 1]))!;
        var labelled = new[] { 0, 2, 3 };
        Assert.Equal(labelled.Average(i => Bce(x[i], y[i], 2.5).Loss), value.item<double>(), 12);
        value.backward();
        var gradient = logits.grad!.data<double>();
        Assert.Equal(0, gradient[1]);
        foreach (var i in labelled) Assert.Equal(Bce(x[i], y[i], 2.5).Gradient / 3, gradient[i], 12);

        // a flat [N] output is read against [N, 1] targets
        Assert.Equal(value.item<double>(), loss.Compute(tensor(x), tensor(y, [4, 1]))!.item<double>(), 12);
        // no label at all: no loss
        Assert.Null(loss.Compute(tensor(x, [4, 1]), full([4, 1], double.NaN, dtype: ScalarType.Float64)));
    }

    [Fact]
    public void Pos_weight_applies_to_every_label_of_a_multilabel_task()
    {
        using var scope = NewDisposeScope();
        using var loss = new TaskLoss(new TaskSpec("tags", TaskKind.Multilabel, 2) { PosWeight = 0.5 });
        double[] x = [1, -2, 0.5, 3];
        double[] y = [1, 0, double.NaN, 1];
        var expected = new[] { 0, 1, 3 }.Average(i => Bce(x[i], y[i], 0.5).Loss);
        Assert.Equal(expected, loss.Compute(tensor(x, [2, 2]), tensor(y, [2, 2]))!.item<double>(), 12);

        using var unweighted = new TaskLoss(new TaskSpec("tags", TaskKind.Multilabel, 2));
        Assert.Equal(new[] { 0, 1, 3 }.Average(i => Bce(x[i], y[i], 1).Loss), unweighted.Compute(tensor(x, [2, 2]), tensor(y, [2, 2]))!.item<double>(), 12);
    }

    public static TheoryData<string, TaskSpec, string> BadSpecs() => new()
    {
        { "bce for regression", new TaskSpec("price", TaskKind.Regression) { Loss = LossKind.Bce }, "task 'price': loss bce does not fit a regression(1) task (it takes mse, l1, huber)" },
        { "mse for classes", new TaskSpec("kind", TaskKind.Classes, 3) { Loss = LossKind.Mse }, "task 'kind': loss mse does not fit a classes(3) task (it takes cross_entropy)" },
        { "cross_entropy for binary", new TaskSpec("churn", TaskKind.Binary) { Loss = LossKind.CrossEntropy }, "task 'churn': loss cross_entropy does not fit a binary task (it takes bce)" },
        { "r2 for binary", new TaskSpec("churn", TaskKind.Binary) { Metrics = ["accuracy", "r2"] }, "task 'churn': metric 'r2' does not fit a binary task (it reports accuracy, auc, macro_f1)" },
        { "auc for classes", new TaskSpec("kind", TaskKind.Classes, 3) { Metrics = ["auc"] }, "task 'kind': metric 'auc' does not fit a classes(3) task (it reports accuracy, macro_f1)" },
        { "negative weight", new TaskSpec("price", TaskKind.Regression) { Weight = -1 }, "task 'price': weight -1 must be finite and at least 0" },
        { "NaN weight", new TaskSpec("price", TaskKind.Regression) { Weight = double.NaN }, "task 'price': weight NaN must be finite and at least 0" },
        { "pos_weight 0", new TaskSpec("churn", TaskKind.Binary) { PosWeight = 0 }, "task 'churn': 'pos_weight' of 'bce' must be greater than 0; found 0" },
        { "pos_weight infinite", new TaskSpec("churn", TaskKind.Binary) { PosWeight = double.PositiveInfinity }, "task 'churn': 'pos_weight' of 'bce' must be finite" },
        { "label_smoothing 1", new TaskSpec("kind", TaskKind.Classes, 3) { LabelSmoothing = 1 }, "task 'kind': 'label_smoothing' of 'cross_entropy' must be in [0, 1); found 1" },
        { "huber delta 0", new TaskSpec("price", TaskKind.Regression) { Loss = LossKind.Huber, HuberDelta = 0 }, "task 'price': 'delta' of 'huber' must be greater than 0; found 0" },
        { "a class weight 0", new TaskSpec("kind", TaskKind.Classes, 3) { ClassWeights = [1, 0, 2] }, "task 'kind': 'class_weights' of 'cross_entropy' must be greater than 0; found 0" },
        { "pos_weight with mse", new TaskSpec("price", TaskKind.Regression) { PosWeight = 2 }, "task 'price': pos_weight is set, but the loss is mse" },
        { "label smoothing with bce", new TaskSpec("churn", TaskKind.Binary) { LabelSmoothing = 0.1 }, "task 'churn': label smoothing is set, but the loss is bce" },
        { "huber delta with l1", new TaskSpec("price", TaskKind.Regression) { Loss = LossKind.L1, HuberDelta = 2 }, "task 'price': a huber delta is set, but the loss is l1" },
        { "class weights with bce", new TaskSpec("tags", TaskKind.Multilabel, 3) { ClassWeights = [1, 1, 1] }, "task 'tags': 3 class weights need a classes(3) task with cross_entropy" },
        { "too few class weights", new TaskSpec("kind", TaskKind.Classes, 3) { ClassWeights = [1, 2] }, "task 'kind': 2 class weights need a classes(2) task with cross_entropy" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void Check_rejects_a_spec_the_language_would_reject_naming_the_task(string what, TaskSpec spec, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => TaskLoss.Check(spec));
        Assert.True(error.Message.StartsWith(message, StringComparison.Ordinal), $"{what}: {error.Message}");
        // building the loss makes the same check
        Assert.Equal(error.Message, Assert.Throws<ArgumentException>(() => new TaskLoss(spec)).Message);
    }

    [Fact]
    public void Check_accepts_every_loss_option_in_range_on_its_own_loss()
    {
        TaskSpec[] good =
        [
            new TaskSpec("a", TaskKind.Regression, 2) { Loss = LossKind.Huber, HuberDelta = 0.25, Metrics = ["r2", "mse"], Weight = 0 },
            new TaskSpec("b", TaskKind.Regression) { Loss = LossKind.L1 },
            new TaskSpec("c", TaskKind.Binary) { PosWeight = 1e-3, Metrics = ["macro_f1"] },
            new TaskSpec("d", TaskKind.Multilabel, 4) { PosWeight = 40, Metrics = ["auc"] },
            new TaskSpec("e", TaskKind.Classes, 3) { LabelSmoothing = 0.999, ClassWeights = [0.1, 1, 10], Metrics = [] },
        ];
        foreach (var spec in good)
        {
            TaskLoss.Check(spec);
            using var loss = new TaskLoss(spec);
            Assert.Same(spec, loss.Task);
        }
    }
}
