using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>Each construct binds to the expected semantic model, defaults included.</summary>
public sealed class ModelTests
{
    [Fact]
    public void Design_example_binds_to_the_expected_model()
    {
        var model = TestCompiler.Model(TestCompiler.ReadExample("design.mtl"));

        Assert.Equal("Census", model.Name);
        Assert.Equal(new CSharpName("Census", "census"), model.CSharpName);
        Assert.Null(model.Namespace);
        Assert.Equal(["features", "tokens"], model.Inputs.Select(i => i.Name));
        Assert.Equal(new TensorType(DType.Long, Shape.Of(64)), model.Inputs[1].Type);
        Assert.Equal(["trunk", "text", "fused"], model.SharedBlocks.Select(b => b.Name));
        Assert.Equal(["trunk", "text", "fused", "income", "marital"], model.Order);
        Assert.Equal([3040L, 160000L, 4160L], model.SharedBlocks.Select(b => b.ParameterCount));
        Assert.Equal([1057L, 647L], model.Tasks.Select(t => t.ParameterCount));
        Assert.Equal(3040L + 160000 + 4160 + 1057 + 647, model.ParameterCount);

        var income = model.Tasks[0];
        Assert.Equal((TaskKind.Binary, 1), (income.Kind, income.Size));
        Assert.Equal("bce", income.Loss.Name);
        Assert.Equal(["accuracy", "auc"], income.Metrics);
        Assert.Equal(new TensorType(DType.Float, Shape.Of(1)), income.Target);
        var marital = model.Tasks[1];
        Assert.Equal((TaskKind.Classes, 7, 0.5), (marital.Kind, marital.Size, marital.Weight));
        Assert.Equal("cross_entropy", marital.Loss.Name);
        Assert.Equal(new TensorType(DType.Long, Shape.Of()), marital.Target);

        Assert.Equal("uncertainty", model.Weighting.Name);
        Assert.Equal("adam", model.Optimizer.Setting.Name);
        Assert.Equal((1e-3, 1e-4, 1e-8), (model.Optimizer.Setting.Number("lr"), model.Optimizer.Setting.Number("weight_decay"), model.Optimizer.Setting.Number("eps")));
        var group = Assert.Single(model.Optimizer.Groups);
        Assert.Equal("trunk", group.Block);
        Assert.Equal([new Option("lr", new NumberValue(5e-4), IsDefault: false)], group.Options);
        Assert.Equal(["warmup", "cosine"], model.Schedule.Select(s => s.Name));
        Assert.Equal(200, model.Schedule[0].Integer("steps"));
        Assert.Null(model.Schedule[1]["steps"]);
        Assert.Equal(1e-5, model.Schedule[1].Number("min_lr"));

        var training = model.Training;
        Assert.Equal((20, 256, 1.0, 1, 42L), (training.Epochs, training.BatchSize, training.ClipGradNorm, training.Accumulate, training.Seed));
        Assert.Equal(new EarlyStop("marital", "accuracy", 3, MonitorMode.Max, 0), training.EarlyStop);
        Assert.Equal(UpdateMode.Joint, training.Update);
        Assert.Equal(new Sampling(SamplingKind.Proportional, 0), training.Sampling);
        Assert.Empty(training.Ties);
        Assert.Equal(0, model.L2);
    }

    [Fact]
    public void Defaults_are_applied_and_marked()
    {
        var model = TestCompiler.Model("model M\ninput x: float[3, 8, 8]\ntask t: binary = x -> maxpool2d(2) -> conv2d(4, 3, padding: 1) -> flatten -> linear(1)\n");

        var pool = model.Tasks[0].Pipeline.Layers[0].Setting;
        Assert.Equal(new Option("kernel", new IntegerValue(2), IsDefault: false), pool.Options[0]);
        Assert.Equal(new Option("stride", new IntegerValue(2), IsDefault: true), pool.Options[1]);
        var conv = model.Tasks[0].Pipeline.Layers[1].Setting;
        Assert.Equal(["out", "kernel", "stride", "padding", "dilation", "groups", "bias"], conv.Options.Select(o => o.Name));
        Assert.Equal([false, false, true, false, true, true, true], conv.Options.Select(o => o.IsDefault));
        Assert.True(conv.Boolean("bias"));
    }

    [Fact]
    public void Settings_default_when_absent()
    {
        var model = TestCompiler.Model(TestCompiler.Header + TestCompiler.Task);

        Assert.Equal(new Setting("fixed", EquatableArray<Option>.Empty), model.Weighting);
        Assert.Equal("adam", model.Optimizer.Setting.Name);
        Assert.All(model.Optimizer.Setting.Options, o => Assert.True(o.IsDefault));
        Assert.Equal("[0.9, 0.999]", model.Optimizer.Setting["betas"]!.ToString());
        Assert.Empty(model.Schedule);
        Assert.Equal(new Training(10, 32, null, 1, 42, null, UpdateMode.Joint, new Sampling(SamplingKind.Proportional, 0), EquatableArray<Tie>.Empty, EquatableArray<string>.Empty), model.Training);
        Assert.True(model.Tasks[0].MissingLabels);
        Assert.Equal(1.0, model.Tasks[0].Weight);
    }

    [Theory]
    [InlineData("regression(3)", "linear(3)", TaskKind.Regression, 3, "mse", "mae,rmse", "float[3]")]
    [InlineData("binary", "linear(1)", TaskKind.Binary, 1, "bce", "accuracy,auc", "float[1]")]
    [InlineData("classes(4)", "linear(4)", TaskKind.Classes, 4, "cross_entropy", "accuracy,macro_f1", "long[]")]
    [InlineData("multilabel(5)", "linear(5)", TaskKind.Multilabel, 5, "bce", "accuracy,macro_f1", "float[5]")]
    public void Task_kinds_set_size_loss_metrics_and_target(
        string kind, string head, TaskKind expected, int size, string loss, string metrics, string target)
    {
        var task = TestCompiler.Model($"{TestCompiler.Header}task t: {kind} = x -> {head}\n").Tasks[0];

        Assert.Equal((expected, size, loss), (task.Kind, task.Size, task.Loss.Name));
        Assert.Equal(metrics, string.Join(",", task.Metrics));
        Assert.Equal(target, task.Target.ToString());
    }

    [Fact]
    public void Task_body_statements_bind()
    {
        var task = TestCompiler.Model(TestCompiler.Header + "task t: classes(3) = x -> linear(3) {\n  loss cross_entropy(label_smoothing: 0.1, class_weights: [1, 2, 3])\n  weight 0.25\n  metrics macro_f1\n  missing labels forbidden\n}\n").Tasks[0];

        Assert.Equal(0.1, task.Loss.Number("label_smoothing"));
        Assert.Equal("[1, 2, 3]", task.Loss["class_weights"]!.ToString());
        Assert.Equal(0.25, task.Weight);
        Assert.Equal(["macro_f1"], task.Metrics);
        Assert.False(task.MissingLabels);
    }

    [Fact]
    public void Tasks_can_feed_later_blocks_and_order_follows_dependencies()
    {
        var model = TestCompiler.Model("model M\ninput x: float[4]\ntask fine: classes(6) = both -> linear(6)\nshared both = concat(x, coarse)\ntask coarse: classes(2) = x -> linear(2)\n");

        Assert.Equal(["coarse", "both", "fine"], model.Order);
        Assert.Equal(["coarse", "fine"], model.Tasks.Select(t => t.Name));
        var merge = Assert.IsType<MergeSource>(model.SharedBlocks[0].Pipeline.Source);
        Assert.Equal(new ReferenceSource("coarse", SourceKind.Task, new TensorType(DType.Float, Shape.Of(2))), merge.Branches[1].Source);
        Assert.Equal("[6]", merge.Output.Shape.ToString());
    }

    [Fact]
    public void Census_example_binds_every_setting()
    {
        var model = TestCompiler.Model(TestCompiler.ReadExample("census.mtl"));

        Assert.Equal("Census.Models", model.Namespace);
        Assert.Equal("Predicts income band, marital status and age from census records.", model.Doc);
        Assert.Equal("The 14 numeric columns, standardised.", model.Inputs[0].Doc);
        Assert.Equal(new CSharpName("IncomeBand", "incomeBand"), model.Tasks.Single(t => t.Name == "income_band").CSharpName);
        Assert.Equal(("dwa", 2.0), (model.Weighting.Name, model.Weighting.Number("temperature")));
        Assert.Equal(("adamw", 1e-4), (model.Optimizer.Setting.Name, model.Optimizer.Setting.Number("weight_decay")));
        Assert.Equal(["trunk", "income"], model.Optimizer.Groups.Select(g => g.Block));
        Assert.Equal(1e-5, model.L2);
        Assert.Equal(["warmup", "cosine", "plateau"], model.Schedule.Select(s => s.Name));
        Assert.Equal("marital.accuracy", model.Schedule[2].Word("monitor"));
        Assert.Equal(new Option("mode", new NameValue("max"), IsDefault: false), model.Schedule[2].Options[1]);
        var training = model.Training;
        Assert.Equal((4, UpdateMode.Alternate), (training.Accumulate, training.Update));
        Assert.Equal(new Sampling(SamplingKind.Temperature, 2.0), training.Sampling);
        Assert.Equal([new Tie("tower_a", "tower_b", 0.01)], training.Ties);
        Assert.False(model.Tasks.Single(t => t.Name == "income").MissingLabels);
        Assert.Equal(LayerKind.Residual, model.SharedBlocks.Single(b => b.Name == "fused").Pipeline.Layers[1].Kind);
        Assert.Equal(2, model.SharedBlocks.Single(b => b.Name == "fused").Pipeline.Layers[1].Body.Count);
    }

    [Fact]
    public void Early_stop_mode_follows_the_metric()
    {
        var model = TestCompiler.Model(TestCompiler.Header + "task r: regression(1) = x -> linear(1)\ntrain {\n  early_stop(monitor: r.rmse)\n}\n");

        Assert.Equal(new EarlyStop("r", "rmse", 3, MonitorMode.Min, 0), model.Training.EarlyStop);
        var total = TestCompiler.Model(TestCompiler.Header + TestCompiler.Task + "train {\n  early_stop(monitor: loss, mode: max, patience: 1)\n}\n");
        Assert.Equal(new EarlyStop(null, "loss", 1, MonitorMode.Max, 0), total.Training.EarlyStop);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("train {\n  relatedness\n}\n", TrainCatalog.RelatednessEvery)]
    [InlineData("train {\n  relatedness(every: 5)\n}\n", 5)]
    [InlineData("train {\n  relatedness(1)\n}\n", 1)]
    public void Relatedness_binds_its_sampling_rate_with_the_catalog_default(string train, int? every)
    {
        var model = TestCompiler.Model(TestCompiler.Header + TestCompiler.Task + train);

        Assert.Equal(every, model.Training.Relatedness);
        Assert.Equal(new IntegerValue(TrainCatalog.RelatednessEvery), TrainCatalog.Relatedness.Option("every")!.Default);
    }

    [Theory]
    [InlineData("plateau", "loss", "min")]
    [InlineData("plateau(monitor: t.auc)", "t.auc", "max")]
    [InlineData("plateau(monitor: t.loss, patience: 2)", "t.loss", "min")]
    public void Plateau_mode_follows_the_monitor(string schedule, string monitor, string mode)
    {
        var plateau = Assert.Single(TestCompiler.Model(TestCompiler.Header + TestCompiler.Task + "schedule " + schedule + "\n").Schedule);

        Assert.Equal(monitor, plateau.Word("monitor"));
        Assert.Equal(new Option("mode", new NameValue(mode), IsDefault: true), plateau.Options[1]);
    }

    [Fact]
    public void Several_models_share_the_namespace()
    {
        var result = TestCompiler.Compile("namespace N\nmodel A\n" + "input x: float[4]\n" + TestCompiler.Task + "model B\ninput x: float[4]\n" + TestCompiler.Task);

        Assert.Empty(result.Diagnostics);
        Assert.Equal([("A", "N"), ("B", "N")], result.Models.Select(m => (m.Name, m.Namespace!)));
    }

    [Fact]
    public void A_model_with_errors_is_left_out_but_others_are_kept()
    {
        var result = TestCompiler.Compile("model A\ninput x: float[4]\ntask t: binary = x -> linear(2)\nmodel B\ninput x: float[4]\n" + TestCompiler.Task);

        Assert.Equal("MTL0205", Assert.Single(result.Diagnostics).Id);
        Assert.Equal("B", Assert.Single(result.Models).Name);
    }

    [Theory]
    [InlineData("model A\ninput x: float[4] $\ntask t: binary = x -> linear(1)\n", "MTL0001")]
    [InlineData("model A\ninput x: float[4]\ntask t: binary = x \u2192 linear(1)\n", "MTL0001")]
    [InlineData("model A\ninput x\u200B: float[4]\ntask t: binary = x -> linear(1)\n", "MTL0001")]
    [InlineData("model A\ninput gr\u00F6\u00DFe: float[4]\ntask t: binary = gr\u00F6\u00DFe -> linear(1)\n", "MTL0011")]
    [InlineData("model\nA\ninput x: float[4]\ntask t: binary = x -> linear(1)\n", "MTL0004")]
    [InlineData("model A\ninput\n  x: float[4]\ntask t: binary = x -> linear(1)\n", "MTL0004")]
    public void A_model_with_syntax_errors_is_left_out_even_when_they_were_recovered_from(string model, string code)
    {
        var result = TestCompiler.Compile(model + "model B\ninput x: float[4]\n" + TestCompiler.Task);

        Assert.Contains(result.Diagnostics, d => d.Id == code);
        Assert.True(result.HasErrors);
        Assert.Equal("B", Assert.Single(result.Models).Name);
    }

    [Fact]
    public void Syntax_errors_before_the_first_model_leave_every_model_out()
    {
        var result = TestCompiler.Compile("namespace\n  N\nmodel A\ninput x: float[4]\n" + TestCompiler.Task + "model B\ninput x: float[4]\n" + TestCompiler.Task);

        Assert.Equal("MTL0004", Assert.Single(result.Diagnostics).Id);
        Assert.Empty(result.Models);
    }

    [Fact]
    public void Models_compare_by_value_and_ignore_formatting()
    {
        var text = TestCompiler.ReadExample("census.mtl");
        var reformatted = text.Replace(" -> ", "  ->  ").Replace("\n  ", "\n      ").Replace("\n\n", "\n\n/* spacer */\n\n") + "\n// trailing\n";

        var first = TestCompiler.Compile(text);
        var second = TestCompiler.Compile(reformatted);

        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.NotEqual(first, TestCompiler.Compile(text.Replace("epochs 20", "epochs 21")));
    }

    [Fact]
    public void Keywords_become_escaped_camel_names()
    {
        var model = TestCompiler.Model("model my_model\ninput class: float[4]\ntask new_: binary = class -> linear(1)\n");

        Assert.Equal(new CSharpName("MyModel", "myModel"), model.CSharpName);
        Assert.Equal(new CSharpName("Class", "@class"), model.Inputs[0].CSharpName);
        Assert.Equal(new CSharpName("New", "@new"), model.Tasks[0].CSharpName);
    }
}
