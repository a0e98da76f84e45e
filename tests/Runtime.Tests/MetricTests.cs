using Mtl.Torch;
using Mtl.Training;
using Mtl.Training.Metrics;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

public sealed class MetricTests
{
    private static double Run(Metric metric, params (Tensor outputs, Tensor targets)[] batches)
    {
        foreach (var (outputs, targets) in batches) metric.Update(outputs, targets);
        return metric.Compute();
    }

    [Fact]
    public void Accuracy_for_classes_binary_and_multilabel_skips_missing_labels()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new double[,] { { 2, 1, 0 }, { 0, 3, 1 }, { 1, 0, 5 }, { 4, 0, 0 } });
        // predictions 0, 1, 2, 0; the third label is missing
        Assert.Equal(2.0 / 3, Run(new Accuracy(TaskKind.Classes), (logits, tensor(new long[] { 0, 2, -1, 0 }))), 12);
        // binary: logit > 0 means 1; predictions 1, 0, (skipped: NaN target), 0 against 1, 1, 1
        Assert.Equal(1.0 / 3, Run(new Accuracy(TaskKind.Binary), (tensor(new[] { 1.5, -0.5, 0.2, -3.0 }), tensor(new[] { 1.0, 1.0, double.NaN, 1.0 }))), 12);
        // multilabel: every labelled element counts
        Assert.Equal(3.0 / 4, Run(new Accuracy(TaskKind.Multilabel),
            (tensor(new double[,] { { 1, -1 }, { 2, 2 } }), tensor(new double[,] { { 1, 0 }, { double.NaN, 0 } })),
            (tensor(new double[,] { { -1, -1 } }), tensor(new double[,] { { 0, double.NaN } }))), 12);
    }

    [Fact]
    public void Accuracy_streams_over_batches_and_resets()
    {
        using var scope = NewDisposeScope();
        var metric = new Accuracy(TaskKind.Binary);
        metric.Update(tensor(new[] { 1.0, 1.0 }), tensor(new[] { 1.0, 0.0 }));
        metric.Update(tensor(new[] { -1.0 }), tensor(new[] { 0.0 }));
        Assert.Equal(2.0 / 3, metric.Compute(), 12);
        metric.Reset();
        Assert.True(double.IsNaN(metric.Compute()));
    }

    [Fact]
    public void Macro_f1_matches_the_per_class_formula()
    {
        using var scope = NewDisposeScope();
        // targets 0 0 1 1 2, predictions 0 1 1 1 0:
        // class 0: tp 1, fp 1, fn 1 → 2/4; class 1: tp 2, fp 1, fn 0 → 4/5; class 2: tp 0, fp 0, fn 1 → 0
        var logits = tensor(new double[,] { { 9, 0, 0 }, { 0, 9, 0 }, { 0, 9, 0 }, { 0, 9, 0 }, { 9, 0, 0 } });
        var expected = (2.0 / 4 + 4.0 / 5 + 0) / 3;
        Assert.Equal(expected, Run(new MacroF1(TaskKind.Classes, 3), (logits, tensor(new long[] { 0, 0, 1, 1, 2 }))), 12);
        // a class absent from targets and predictions is left out (here class 3 of 4)
        Assert.Equal(expected, Run(new MacroF1(TaskKind.Classes, 4), (tensor(new double[,] { { 9, 0, 0, 0 }, { 0, 9, 0, 0 }, { 0, 9, 0, 0 }, { 0, 9, 0, 0 }, { 9, 0, 0, 0 } }), tensor(new long[] { 0, 0, 1, 1, 2 }))), 12);
        // binary: both classes. targets 1 1 0 0, predictions 1 0 0 1: class 1 → 2/4, class 0 → 2/4
        Assert.Equal(0.5, Run(new MacroF1(TaskKind.Binary), (tensor(new[] { 1.0, -1, -1, 1 }), tensor(new[] { 1.0, 1, 0, 0 }))), 12);
        // multilabel: label 0 tp 1 fn 1 → 2/3; label 1 no positives at all → 0
        Assert.Equal((2.0 / 3 + 0) / 2, Run(new MacroF1(TaskKind.Multilabel), (tensor(new double[,] { { 1, -1 }, { -1, -1 } }), tensor(new double[,] { { 1, 0 }, { 1, 0 } }))), 12);
    }

    [Fact]
    public void Macro_f1_skips_missing_targets_and_what_was_predicted_for_them()
    {
        using var scope = NewDisposeScope();
        // binary: the last three targets are missing; the labelled rows give
        // (p 1, t 1), (p 0, t 1), (p 1, t 0), (p 0, t 0), (p 0, t 0):
        // class 1: tp 1, fp 1, fn 1 → 2/4; class 0: tp 2, fp 1, fn 1 → 4/6
        Assert.Equal((2.0 / 4 + 4.0 / 6) / 2, Run(new MacroF1(TaskKind.Binary),
            (tensor(new[] { 2.0, -1, 1, -1, -2, 1, -1, 3 }), tensor(new[] { 1.0, 1, 0, 0, 0, double.NaN, double.NaN, double.NaN }))), 12);
        // classes: rows 1 and 2 are missing (-1) and predict class 2, which no labelled row has or predicts,
        // so class 2 is left out. Labelled: (p 0, t 0), (p 1, t 1), (p 0, t 1):
        // class 0: tp 1, fp 1 → 2/3; class 1: tp 1, fn 1 → 2/3
        var logits = tensor(new double[,] { { 9, 0, 0 }, { 0, 0, 9 }, { 0, 0, 9 }, { 0, 9, 0 }, { 9, 0, 0 } });
        Assert.Equal(2.0 / 3, Run(new MacroF1(TaskKind.Classes, 3), (logits, tensor(new long[] { 0, -1, -1, 1, 1 }))), 12);
        // multilabel: a NaN element is skipped, whatever was predicted for it.
        // label 0: (p 1, t 1), (p 0, t 1) → tp 1, fn 1 → 2/3; label 1: (p 1, t 0) → fp 1 → 0
        Assert.Equal((2.0 / 3 + 0) / 2, Run(new MacroF1(TaskKind.Multilabel),
            (tensor(new double[,] { { 1, 1 }, { -1, 1 }, { 1, -1 } }), tensor(new double[,] { { 1, double.NaN }, { 1, 0 }, { double.NaN, double.NaN } }))), 12);
        // nothing labelled at all: NaN, not 0
        Assert.True(double.IsNaN(Run(new MacroF1(TaskKind.Binary), (tensor(new[] { 1.0, -1 }), tensor(new[] { double.NaN, double.NaN })))));
    }

    [Fact]
    public void Macro_f1_streams_over_batches_resets_and_reads_a_zero_logit_as_negative()
    {
        using var scope = NewDisposeScope();
        var binary = new MacroF1(TaskKind.Binary);
        // (p 1, t 1), (p 0, t 1): class 1 tp 1, fn 1 → 2/3; class 0 fp 1 → 0
        binary.Update(tensor(new[] { 1.0, -1 }), tensor(new[] { 1.0, 1 }));
        Assert.Equal(1.0 / 3, binary.Compute(), 12);
        binary.Reset();
        Assert.True(double.IsNaN(binary.Compute()));
        // a logit of exactly 0 predicts 0: (p 0, t 0), (p 1, t 1) → both classes 1
        binary.Update(tensor(new[] { 0.0, 2 }), tensor(new[] { 0.0, 1 }));
        Assert.Equal(1.0, binary.Compute(), 12);

        // classes without a declared count take it from the logits, over several batches:
        // (p 2, t 2), then (p 0, t 2): class 2 tp 1, fn 1 → 2/3; class 0 fp 1 → 0
        var classes = new MacroF1(TaskKind.Classes);
        classes.Update(tensor(new double[,] { { 0, 1, 5 } }), tensor(new long[] { 2 }));
        classes.Update(tensor(new double[,] { { 5, 1, 0 } }), tensor(new long[] { 2 }));
        Assert.Equal((2.0 / 3 + 0) / 2, classes.Compute(), 12);

        // multilabel: a zero logit is a negative prediction. label 0: (p 0, t 1) → fn; label 1: (p 1, t 1) → tp
        var multilabel = new MacroF1(TaskKind.Multilabel, 2);
        multilabel.Update(tensor(new double[,] { { 0, 1 } }), tensor(new double[,] { { 1, 1 } }));
        Assert.Equal((0 + 1.0) / 2, multilabel.Compute(), 12);
        multilabel.Reset();
        // after a reset every label counts again, as 0 when it has no positive target or prediction
        multilabel.Update(tensor(new double[,] { { -1, -1 } }), tensor(new double[,] { { 0, 0 } }));
        Assert.Equal(0, multilabel.Compute(), 12);
    }

    [Fact]
    public void Macro_f1_refuses_a_regression_task_naming_the_metrics_that_fit()
    {
        var error = Assert.Throws<ArgumentException>(() => new MacroF1(TaskKind.Regression));
        Assert.StartsWith("macro_f1 does not apply to regression tasks: use mae, mse, rmse or r2", error.Message);
        Assert.Equal("kind", error.ParamName);
    }

    [Fact]
    public void Auc_is_exact_with_ties()
    {
        using var scope = NewDisposeScope();
        // positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4)=1, (0.8>0.1)=1, (0.4=0.4)=0.5, (0.4>0.1)=1 → 3.5/4
        var auc = Run(new Auc(TaskKind.Binary), (tensor(new[] { 0.8, 0.4 }), tensor(new[] { 1.0, 1.0 })), (tensor(new[] { 0.4, 0.1, 7.0 }), tensor(new[] { 0.0, 0.0, double.NaN })));
        Assert.Equal(3.5 / 4, auc, 12);
        Assert.Equal(1.0, Auc.Exact([(0.1, false), (0.9, true)]));
        Assert.Equal(0.5, Auc.Exact([(0.3, false), (0.3, true)]));
        Assert.True(double.IsNaN(Auc.Exact([(0.3, true)])));
        // multilabel: label 0 perfect (1), label 1 reversed (0) → mean 0.5
        Assert.Equal(0.5, Run(new Auc(TaskKind.Multilabel), (tensor(new double[,] { { 2, -2 }, { -2, 2 } }), tensor(new double[,] { { 1, 1 }, { 0, 0 } }))), 12);
    }

    [Fact]
    public void Auc_for_classes_is_one_vs_rest_over_softmax()
    {
        using var scope = NewDisposeScope();
        // logits that rank every class perfectly against the rest → 1
        var logits = tensor(new double[,] { { 3, 0, 0 }, { 0, 3, 0 }, { 0, 0, 3 } });
        Assert.Equal(1.0, Run(new Auc(TaskKind.Classes), (logits, tensor(new long[] { 0, 1, 2 }))), 12);
        // shifted labels: for each class the one positive scores below one negative and ties the other → (0 + 0.5) / 2
        Assert.Equal(0.25, Run(new Auc(TaskKind.Classes), (logits, tensor(new long[] { 1, 2, 0 }))), 12);
    }

    [Fact]
    public void Regression_metrics_per_column_then_averaged()
    {
        using var scope = NewDisposeScope();
        var outputs = tensor(new double[,] { { 1, 10 }, { 2, 20 }, { 4, 30 } });
        var targets = tensor(new double[,] { { 1, 12 }, { 3, double.NaN }, { 5, 33 } });
        // column 0 errors 0, -1, -1; column 1 errors -2, (missing), -3
        Assert.Equal((2.0 / 3 + 5.0 / 2) / 2, Run(new MeanAbsoluteError(TaskKind.Regression), (outputs, targets)), 12);
        Assert.Equal((2.0 / 3 + 13.0 / 2) / 2, Run(new MeanSquaredError(TaskKind.Regression), (outputs, targets)), 12);
        Assert.Equal((Math.Sqrt(2.0 / 3) + Math.Sqrt(13.0 / 2)) / 2, Run(new RootMeanSquaredError(TaskKind.Regression), (outputs, targets)), 12);
        // R²: column 0 targets 1,3,5 mean 3, SS_tot 8, SS_res 2 → 0.75; column 1 targets 12,33 mean 22.5, SS_tot 220.5, SS_res 13
        var r2 = Run(new R2Score(TaskKind.Regression), (outputs, targets));
        Assert.Equal((0.75 + (1 - 13 / 220.5)) / 2, r2, 12);
    }

    [Fact]
    public void R2_of_constant_targets_follows_force_finite()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(1.0, Run(new R2Score(TaskKind.Regression), (tensor(new double[,] { { 2 }, { 2 } }), tensor(new double[,] { { 2 }, { 2 } }))));
        Assert.Equal(0.0, Run(new R2Score(TaskKind.Regression), (tensor(new double[,] { { 1 }, { 2 } }), tensor(new double[,] { { 2 }, { 2 } }))));
    }

    [Fact]
    public void Metrics_name_what_does_not_fit()
    {
        using var scope = NewDisposeScope();
        Assert.Contains("regression", Assert.Throws<ArgumentException>(() => new Accuracy(TaskKind.Regression)).Message);
        Assert.Contains("regression tasks only", Assert.Throws<ArgumentException>(() => new MeanAbsoluteError(TaskKind.Classes)).Message);
        Assert.Contains("unknown metric 'acc'", Assert.Throws<ArgumentException>(() => Metric.Create("acc", TaskKind.Binary)).Message);
        var outOfRange = Assert.Throws<ArgumentException>(() => new Accuracy(TaskKind.Classes).Update(zeros(2, 3), tensor(new long[] { 0, 3 })));
        Assert.Contains("target 3 at row 1 is not a class in [0, 3)", outOfRange.Message);
        var shapes = Assert.Throws<ArgumentException>(() => new MeanSquaredError(TaskKind.Regression).Update(zeros(2, 3), zeros(2, 2)));
        Assert.Contains("[2, 3]", shapes.Message);
        Assert.Contains("[2, 2]", shapes.Message);
        Assert.IsType<MacroF1>(Metric.Create("macro_f1", TaskKind.Classes, 4));
    }
}
