using System.Collections;
using System.Reflection;
using Mtl.Catalog;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Metrics;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// The seam between the language and the runtime: Mtl.Catalog holds one table per concept that
/// both read, and the runtime's own names, defaults and accepted values must be the catalog's.
/// Optimizers against the factories of <c>torch.optim</c>, losses, metrics and task kinds against
/// <see cref="LossKind"/>, <see cref="TaskSpec"/> and <see cref="Metric"/>, training settings
/// against <see cref="TrainerOptions"/>, and schedules against <see cref="LearningRateSchedule"/>.
/// (Weighting methods are pinned by WeightingCatalogTests.)
/// </summary>
public sealed class CatalogSeamTests
{
    /// <summary>An option value or a .NET value as a double, bool, string or list of doubles, so either can be compared.</summary>
    private static object? Plain(object? value) => value switch
    {
        null => null,
        NumberValue number => number.Value,
        IntegerValue integer => (double)integer.Value,
        BooleanValue flag => flag.Value,
        NameValue word => word.Value,
        ListValue list => list.Items.Select(i => (double)Plain(i)!).ToList(),
        string or bool => value,
        IEnumerable items => items.Cast<object>().Select(i => (double)Plain(i)!).ToList(),
        _ => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>The .mtl word of an enum value: <c>RoundRobin</c> is <c>round_robin</c>.</summary>
    private static string Word(Enum value) =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    // ---- optimizers ------------------------------------------------------------------------------

    private static readonly Dictionary<string, string> Factories = new()
    {
        ["sgd"] = nameof(optim.SGD),
        ["adam"] = nameof(optim.Adam),
        ["adamw"] = nameof(optim.AdamW),
        ["rmsprop"] = nameof(optim.RMSprop),
    };

    /// <summary>Runtime options the language does not offer, each with its reason.</summary>
    private static readonly Dictionary<string, string> RuntimeOnly = new()
    {
        ["maximize"] = "gradient ascent: a .mtl loss is always minimized",
    };

    public static TheoryData<string> Optimizers() => [.. OptimizerCatalog.All.Keys];

    /// <summary>The factory's parameters for a catalog option: <c>betas</c> is <c>beta1</c> and <c>beta2</c>.</summary>
    private static string[] RuntimeNames(string option) => option == "betas" ? ["beta1", "beta2"] : [option];

    /// <summary>Both overloads of the factory: over parameters and over parameter groups.</summary>
    private static MethodInfo[] Overloads(string optimizer)
    {
        var methods = typeof(optim).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name == Factories[optimizer]).ToArray();
        Assert.Equal(2, methods.Length);
        return methods;
    }

    [Fact]
    public void Every_catalog_optimizer_has_a_runtime_factory()
    {
        Assert.Equal(OptimizerCatalog.All.Keys.Order(StringComparer.Ordinal), Factories.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(OptimizerCatalog.Default, OptimizerCatalog.All.Keys);
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void Every_option_is_a_factory_parameter_with_the_catalog_default(string optimizer)
    {
        var spec = OptimizerCatalog.All[optimizer];
        foreach (var method in Overloads(optimizer))
        {
            var parameters = method.GetParameters().Skip(1).ToDictionary(p => p.Name!);
            var covered = new HashSet<string>();
            foreach (var option in spec.Options)
            {
                var names = RuntimeNames(option.Name);
                for (var k = 0; k < names.Length; k++)
                {
                    Assert.True(parameters.TryGetValue(names[k], out var parameter), $"optim.{method.Name} has no parameter '{names[k]}' for {optimizer}'s '{option.Name}'");
                    covered.Add(names[k]);
                    Assert.Equal(option.Type == OptionType.Boolean ? typeof(bool) : typeof(double), parameter.ParameterType);
                    var expected = option.Default is ListValue list ? list.Items[k] : option.Default;
                    if (parameter.HasDefaultValue)
                    {
                        Assert.True(Equals(Plain(expected), Plain(parameter.DefaultValue)), $"optim.{method.Name}({names[k]}) defaults to {parameter.DefaultValue}, the catalog's {optimizer} to {expected}");
                    }
                    else
                    {
                        // Only SGD's learning rate is required at runtime, as in PyTorch before 2.2.
                        Assert.Equal(("sgd", "lr"), (optimizer, names[k]));
                    }
                }
            }
            Assert.Equal(parameters.Keys.Except(covered).Order(), RuntimeOnly.Keys.Order());
        }
    }

    /// <summary>Values the option's range accepts: its ends where they are included, points inside, both bools.</summary>
    private static List<OptionValue> Accepted(OptionSpec option)
    {
        if (option.Type == OptionType.Boolean) return [new BooleanValue(false), new BooleanValue(true)];
        var range = option.Range!;
        var candidates = new List<double> { 1e-12, 1e-3, 0.5, 0.9, 0.999999, 1, 10, 1000 };
        if (range.Min is { } min) candidates.Add(min);
        if (range.Max is { } max) candidates.Add(max);
        var numbers = candidates.Where(range.Contains).Distinct().Order().Select(v => (OptionValue)new NumberValue(v)).ToList();
        if (option.Type == OptionType.NumberList)
        {
            numbers = [.. numbers.Select(v => (OptionValue)new ListValue(EquatableArray.Create(v, v)))];
        }
        Assert.All(numbers, v => Assert.Null(option.Check(v)));
        return numbers;
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void A_value_the_catalog_accepts_the_runtime_accepts(string optimizer)
    {
        var spec = OptimizerCatalog.All[optimizer];
        var method = Overloads(optimizer).Single(m => m.GetParameters()[0].ParameterType == typeof(IEnumerable<ParamGroup>));
        var parameters = method.GetParameters();
        using var scope = NewDisposeScope();
        var weight = new Parameter(zeros(2));
        foreach (var option in spec.Options)
        {
            foreach (var value in Accepted(option))
            {
                var arguments = parameters.Select(p => p.HasDefaultValue ? p.DefaultValue : p.Name == "lr" ? spec.Option("lr")!.Default!.AsNumber() : null).ToArray();
                arguments[0] = new[] { new ParamGroup([weight]) };
                var names = RuntimeNames(option.Name);
                for (var k = 0; k < names.Length; k++)
                {
                    var index = Array.FindIndex(parameters, p => p.Name == names[k]);
                    arguments[index] = value switch
                    {
                        BooleanValue flag => flag.Value,
                        ListValue list => list.Items[k].AsNumber(),
                        _ => value.AsNumber(),
                    };
                }
                // PyTorch's rule across options, which the catalog does not express: Nesterov momentum needs a momentum.
                if (option.Name == "nesterov" && value is BooleanValue { Value: true }) arguments[Array.FindIndex(parameters, p => p.Name == "momentum")] = 0.9;

                using var built = (Optimizer)method.Invoke(null, arguments)!;
                for (var k = 0; k < names.Length; k++)
                {
                    object actual = value is BooleanValue
                        ? built.GetType().GetProperty(names[k])!.GetValue(built)!
                        : built.param_groups[0][names[k]];
                    Assert.Equal(Plain(arguments[Array.FindIndex(parameters, p => p.Name == names[k])]), Plain(actual));
                }

                // A number is also accepted as a parameter group's option (a .mtl group block's).
                if (value is BooleanValue) continue;
                var groupOptions = names.Select((n, k) => (n, v: (double)arguments[Array.FindIndex(parameters, p => p.Name == n)]!)).ToDictionary(p => p.n, p => p.v);
                using var grouped = (Optimizer)method.Invoke(null, [.. parameters.Select((p, i) => i == 0 ? new[] { new ParamGroup([weight], options: groupOptions) } : p.HasDefaultValue ? p.DefaultValue : 0.1)])!;
                foreach (var (name, v) in groupOptions) Assert.Equal(v, grouped.param_groups[0][name]);
            }
        }
    }

    // ---- losses, task kinds and metrics ------------------------------------------------------------

    public static TheoryData<TaskKind> Kinds() => [.. Enum.GetValues<TaskKind>()];

    /// <summary>The smallest size the language allows for the kind (its first option; binary has none: 1).</summary>
    private static int SmallestSize(TaskKind kind) =>
        TaskCatalog.Kinds.Values.Single(k => k.Kind == kind).Spec.Options.FirstOrDefault() is { } size ? (int)size.Range!.Min!.Value : 1;

    [Fact]
    public void Every_loss_name_maps_to_a_LossKind_and_back()
    {
        Assert.Equal(LossCatalog.All.Keys.Order(StringComparer.Ordinal), Enum.GetValues<LossKind>().Select(k => k.Name()).Order(StringComparer.Ordinal));
        foreach (var name in LossCatalog.All.Keys) Assert.Equal(name, LossKinds.Parse(name).Name());
        foreach (var kind in Enum.GetValues<LossKind>()) Assert.Equal(kind, LossKinds.Parse(kind.Name()));
        // the enum's names are the .mtl names
        foreach (var kind in Enum.GetValues<LossKind>()) Assert.Equal(kind.Name(), Word(kind));
        Assert.Contains("unknown loss 'focal': expected mse, l1, huber, bce, cross_entropy", Assert.Throws<ArgumentException>(() => LossKinds.Parse("focal")).Message);
    }

    [Fact]
    public void Every_task_kind_is_in_the_catalog_under_its_name()
    {
        Assert.Equal(Enum.GetValues<TaskKind>().Order(), TaskCatalog.Kinds.Values.Select(k => k.Kind).Order());
        foreach (var (name, (kind, spec)) in TaskCatalog.Kinds)
        {
            Assert.Equal(name, TaskCatalog.Name(kind));
            Assert.Equal(name, Word(kind));
            Assert.Equal(name, spec.Name);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_TaskSpec_takes_the_catalog_defaults_and_sizes(TaskKind kind)
    {
        var size = SmallestSize(kind);
        var spec = new TaskSpec("t", kind, size);
        Assert.Equal(TaskCatalog.DefaultLoss(kind), spec.Loss.Name());
        Assert.Equal(LossCatalog.For(kind)[0], spec.Loss.Name());
        Assert.Equal(MetricCatalog.DefaultFor(kind), spec.Metrics);
        Assert.Equal(TaskCatalog.DefaultMetrics(kind), spec.Metrics);
        Assert.Equal(Plain(TaskCatalog.Weight.Default), spec.Weight);
        Assert.Equal(TaskCatalog.MissingLabelsAllowed, spec.MissingLabels);
        Assert.Equal(Plain(LossCatalog.All[LossCatalog.Huber].Option("delta")!.Default), spec.HuberDelta);
        Assert.Equal(Plain(LossCatalog.All[LossCatalog.CrossEntropy].Option("label_smoothing")!.Default), spec.LabelSmoothing);
        Assert.Null(LossCatalog.All[LossCatalog.Bce].Option("pos_weight")!.Default);
        Assert.Null(spec.PosWeight);
        Assert.Null(LossCatalog.All[LossCatalog.CrossEntropy].Option("class_weights")!.Default);
        Assert.Null(spec.ClassWeights);
        Assert.Null(spec.PosWeights);
        // The class kinds, and only they, take 'ignore'; its default is the TaskSpec's.
        var ignore = TaskCatalog.Kinds[TaskCatalog.Name(kind)].Spec.Option("ignore");
        Assert.Equal(TaskCatalog.HasClassTargets(kind), ignore is not null);
        Assert.Equal(TaskCatalog.IgnoreIndex, spec.IgnoreIndex);
        if (ignore is not null) Assert.Equal(new IntegerValue(spec.IgnoreIndex), ignore.Default);
        TaskLoss.Check(spec);

        // The sizes TaskSpec takes are those the catalog allows.
        Assert.Null(TaskCatalog.CheckSize(kind, size));
        Assert.NotNull(TaskCatalog.CheckSize(kind, size - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TaskSpec("t", kind, size - 1));
        if (kind == TaskKind.Binary) Assert.Throws<ArgumentOutOfRangeException>(() => new TaskSpec("t", kind, 2));
        else Assert.Equal(size + 4, new TaskSpec("t", kind, size + 4).Size);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TaskLoss_takes_exactly_the_losses_and_metrics_the_catalog_fits_to_the_kind(TaskKind kind)
    {
        // 3: entity_f1 needs an odd class count, cosine and mean_angle at least 2 values.
        var size = Math.Max(3, SmallestSize(kind));
        if (kind == TaskKind.Binary) size = 1;
        foreach (var loss in LossCatalog.All.Keys)
        {
            var spec = new TaskSpec("t", kind, size) { Loss = LossKinds.Parse(loss) };
            if (LossCatalog.For(kind).Contains(loss)) TaskLoss.Check(spec);
            else Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => TaskLoss.Check(spec)).Message);
        }
        foreach (var metric in MetricCatalog.All)
        {
            var spec = new TaskSpec("t", kind, size) { Metrics = [metric] };
            if (MetricCatalog.For(kind).Contains(metric)) TaskLoss.Check(spec);
            else Assert.Contains("does not fit", Assert.Throws<ArgumentException>(() => TaskLoss.Check(spec)).Message);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Metric_Create_accepts_exactly_the_catalogs_metrics_for_the_kind(TaskKind kind)
    {
        Assert.Subset(MetricCatalog.All.ToHashSet(), MetricCatalog.For(kind).ToHashSet());
        Assert.Subset(MetricCatalog.For(kind).ToHashSet(), MetricCatalog.DefaultFor(kind).ToHashSet());
        Assert.DoesNotContain(MetricCatalog.Loss, MetricCatalog.All);
        foreach (var name in MetricCatalog.All)
        {
            if (MetricCatalog.For(kind).Contains(name))
            {
                var metric = Metric.Create(name, kind, 3);
                Assert.Equal(name, metric.Name);
                Assert.Equal(kind, metric.Kind);
                Assert.Equal(!MetricCatalog.LowerIsBetter(name), metric.HigherIsBetter);
            }
            else
            {
                Assert.Contains($"metric '{name}' does not fit a {TaskCatalog.Name(kind)} task", Assert.Throws<ArgumentException>(() => Metric.Create(name, kind, 3)).Message);
            }
        }
        Assert.Contains("unknown metric 'f1'", Assert.Throws<ArgumentException>(() => Metric.Create("f1", kind, 3)).Message);
        Assert.True(MetricCatalog.LowerIsBetter(MetricCatalog.Loss));
    }

    /// <summary>Targets and two sets of outputs per kind: perfect ones and poor ones.</summary>
    private static (Tensor Targets, Tensor Good, Tensor Poor) Outcomes(TaskKind kind) => kind switch
    {
        TaskKind.Regression => (tensor(new float[] { 1, 2, 3, 4 }, [4, 1]), tensor(new float[] { 1, 2, 3, 4 }, [4, 1]), tensor(new float[] { 4, 1, 0, 2 }, [4, 1])),
        TaskKind.Binary => (tensor(new float[] { 1, 0, 1, 0 }, [4, 1]), tensor(new float[] { 3, -3, 2, -2 }, [4, 1]), tensor(new float[] { -1, 1, 2, -2 }, [4, 1])),
        TaskKind.Classes => (tensor(new long[] { 0, 1, 2, 1 }),
            tensor(new float[] { 5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 5, 0 }, [4, 3]),
            tensor(new float[] { 0, 5, 0, 0, 5, 0, 5, 0, 0, 0, 0, 5 }, [4, 3])),
        // [1, 3, 2, 2]: per-pixel classes 0, 1, 2, 1; the poor logits predict 1, 0, 0, 2.
        TaskKind.PixelClasses => (tensor(new long[] { 0, 1, 2, 1 }, [1, 2, 2]),
            tensor(new float[] { 5, 0, 0, 0, 0, 5, 0, 5, 0, 0, 5, 0 }, [1, 3, 2, 2]),
            tensor(new float[] { 0, 5, 5, 0, 5, 0, 0, 0, 0, 0, 0, 5 }, [1, 3, 2, 2])),
        // [1, 4, 3]: tokens O B-0 I-0 B-0 (2 entities); the poor logits predict B-0 B-0 O I-0.
        TaskKind.TokenClasses => (tensor(new long[] { 0, 1, 2, 1 }, [1, 4]),
            tensor(new float[] { 5, 0, 0, 0, 5, 0, 0, 0, 5, 0, 5, 0 }, [1, 4, 3]),
            tensor(new float[] { 0, 5, 0, 0, 5, 0, 5, 0, 0, 0, 0, 5 }, [1, 4, 3])),
        // [1, 3, 1, 2]: two positive 3-vectors.
        TaskKind.PixelRegression => (tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [1, 3, 1, 2]),
            tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [1, 3, 1, 2]),
            tensor(new float[] { 6, 1, 2, 9, 0.5f, 3 }, [1, 3, 1, 2])),
        _ => (tensor(new float[] { 1, 0, 0, 1, 1, 1, 0, 0 }, [4, 2]),
            tensor(new float[] { 3, -3, -3, 3, 3, 3, -3, -3 }, [4, 2]),
            tensor(new float[] { -1, 1, -3, 3, 3, -3, 1, -1 }, [4, 2])),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void HigherIsBetter_agrees_with_what_each_metric_computes(TaskKind kind)
    {
        using var scope = NewDisposeScope();
        var (targets, good, poor) = Outcomes(kind);
        foreach (var name in MetricCatalog.For(kind))
        {
            double Score(Tensor outputs)
            {
                var metric = Metric.Create(name, kind, 3);
                metric.Update(outputs, targets);
                return metric.Compute();
            }
            var (perfect, worse) = (Score(good), Score(poor));
            Assert.True(perfect != worse, $"{name}: the same value {perfect} for perfect and poor outputs");
            Assert.True((perfect > worse) == !MetricCatalog.LowerIsBetter(name), $"{name}: perfect {perfect}, poor {worse}, but LowerIsBetter is {MetricCatalog.LowerIsBetter(name)}");
        }
    }

    // ---- training settings -------------------------------------------------------------------------

    [Fact]
    public void TrainerOptions_defaults_are_the_catalogs()
    {
        var options = new TrainerOptions();
        var values = TrainCatalog.Values;
        Assert.Equal(Plain(values["epochs"].Default), (double)options.Epochs);
        Assert.Equal(Plain(values["batch_size"].Default), (double)options.BatchSize);
        Assert.Equal(Plain(values["accumulate"].Default), (double)options.Accumulate);
        Assert.Equal(Plain(values["seed"].Default), (double)options.Seed);
        Assert.Equal(Plain(values["update"].Default), Word(options.Update));
        Assert.Null(values["clip_grad_norm"].Default);
        Assert.Null(options.ClipGradNorm);
        Assert.Equal((TrainCatalog.Epochs, TrainCatalog.BatchSize, TrainCatalog.Accumulate, TrainCatalog.Seed, TrainCatalog.Update),
            (options.Epochs, (int)options.BatchSize, options.Accumulate, options.Seed, options.Update));
        // every update mode is a word of the catalog, in order
        Assert.Equal(values["update"].Choices, Enum.GetValues<UpdateMode>().Select(m => Word(m)));
    }

    [Fact]
    public void Relatedness_is_off_by_default_and_its_rate_is_the_catalogs()
    {
        var spec = TrainCatalog.Relatedness.Option("every")!;
        Assert.Equal(Plain(spec.Default), (double)TrainCatalog.RelatednessEvery);
        Assert.Null(new TrainerOptions().Relatedness);
        // The catalog's range (at least 1) is what the runtime accepts.
        Assert.NotNull(spec.Check(new IntegerValue(0)));
        Assert.Null(spec.Check(new IntegerValue(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelatednessProbe(0, ["a", "b"]));
        Assert.True(new RelatednessProbe(1, ["a", "b"]).Samples(1));
    }

    [Fact]
    public void EarlyStopping_defaults_are_the_catalogs()
    {
        var stop = new EarlyStopping("loss");
        var spec = TrainCatalog.EarlyStop;
        Assert.Equal(Plain(spec.Option("patience")!.Default), (double)stop.Patience);
        Assert.Equal(TrainCatalog.EarlyStopPatience, stop.Patience);
        Assert.Equal(Plain(spec.Option("min_delta")!.Default), stop.MinDelta);
        Assert.Null(spec.Option("mode")!.Default);
        Assert.Null(stop.Maximize);
        Assert.True(spec.Option("monitor")!.Required);
    }

    [Fact]
    public void TaskDatasets_sample_as_the_catalog_says_by_default()
    {
        using var scope = NewDisposeScope();
        var task = new TaskSpec("a", TaskKind.Regression);
        using var data = new MultiTaskDataset(new Dictionary<string, Tensor> { ["x"] = zeros(3, 1) }, new Dictionary<string, Tensor> { ["a"] = zeros(3, 1) }, [task]);
        var datasets = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["a"] = data });
        Assert.Equal(TrainCatalog.Sampling, datasets.Sampler.Kind);
        Assert.Equal(TrainCatalog.Proportional, TrainCatalog.Word(datasets.Sampler.Kind));
        Assert.Equal(TrainCatalog.SamplingWords, Enum.GetValues<SamplingKind>().Select(k => Word(k)));
        Assert.Equal(TrainCatalog.SamplingWords, Enum.GetValues<SamplingKind>().Select(TrainCatalog.Word));
        Assert.Equal(TrainCatalog.RoundRobin, TrainCatalog.Word(SamplingKind.RoundRobin));
        Assert.Equal(TrainCatalog.Temperature.Name, TrainCatalog.Word(SamplingKind.Temperature));
    }

    // ---- schedules ---------------------------------------------------------------------------------

    public static TheoryData<string> Schedules() => [.. ScheduleCatalog.All.Keys];

    public static TheoryData<string, string> ScheduleOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, spec) in ScheduleCatalog.All)
        {
            foreach (var option in spec.Options) data.Add(name, option.Name);
        }
        return data;
    }

    private const long TotalSteps = 20;

    private static LRScheduler First(LearningRateSchedule.Built built) => built.Steps is SequentialLR sequence ? sequence.schedulers[0] : built.Steps!;

    private static T Only<T>(LearningRateSchedule.Built built) => Assert.IsType<T>(First(built));

    /// <summary>Where each schedule option lands in what the runtime builds.</summary>
    private static readonly Dictionary<(string Schedule, string Option), Func<LearningRateSchedule, LearningRateSchedule.Built, object>> Reads = new()
    {
        [("warmup", "steps")] = (_, b) => Enumerable.Range(1, 1000).First(e => ((ScaledLRScheduler)First(b)).factor(e) >= 1),
        [("warmup", "start_factor")] = (_, b) => ((ScaledLRScheduler)First(b)).factor(0),
        [("linear", "start_factor")] = (_, b) => Only<LinearLR>(b).start_factor,
        [("linear", "end_factor")] = (_, b) => Only<LinearLR>(b).end_factor,
        [("linear", "steps")] = (_, b) => Only<LinearLR>(b).total_iters,
        [("cosine", "steps")] = (_, b) => Only<CosineAnnealingLR>(b).T_max,
        [("cosine", "min_lr")] = (_, b) => Only<CosineAnnealingLR>(b).eta_min,
        [("onecycle", "max_lr")] = (_, b) => Only<OneCycleLR>(b).max_lrs[0],
        [("onecycle", "steps")] = (_, b) => Only<OneCycleLR>(b).total_steps,
        [("onecycle", "pct_start")] = (_, b) => Only<OneCycleLR>(b).pct_start,
        [("onecycle", "anneal")] = (_, b) => Only<OneCycleLR>(b).anneal_strategy,
        [("onecycle", "div_factor")] = (_, b) => Only<OneCycleLR>(b).div_factor,
        [("onecycle", "final_div_factor")] = (_, b) => Only<OneCycleLR>(b).final_div_factor,
        [("step", "step_size")] = (_, b) => Only<StepLR>(b).step_size,
        [("step", "gamma")] = (_, b) => Only<StepLR>(b).gamma,
        [("multistep", "milestones")] = (_, b) => Only<MultiStepLR>(b).milestones,
        [("multistep", "gamma")] = (_, b) => Only<MultiStepLR>(b).gamma,
        [("exponential", "gamma")] = (_, b) => Only<ExponentialLR>(b).gamma,
        [("plateau", "monitor")] = (s, _) => s.PlateauMonitor!,
        [("plateau", "mode")] = (_, b) => b.Plateau!.mode,
        [("plateau", "factor")] = (_, b) => b.Plateau!.factor,
        [("plateau", "patience")] = (_, b) => b.Plateau!.patience,
        [("plateau", "min_lr")] = (_, b) => b.Plateau!.min_lrs[0],
    };

    /// <summary>The value a required option gets when it is not the one under test.</summary>
    private static object RequiredValue(OptionSpec option) => option.Type switch
    {
        OptionType.Integer => 10L,
        OptionType.IntegerList => new long[] { 2, 5 },
        _ => 0.5,
    };

    /// <summary>A valid value other than the default (and other than <see cref="RequiredValue"/>).</summary>
    private static object OtherValue(OptionSpec option)
    {
        switch (option.Type)
        {
            case OptionType.Integer:
                return (option.Default is IntegerValue i ? i.Value : 6L) + 1;
            case OptionType.IntegerList:
                return new long[] { 3, 8 };
            case OptionType.Choice:
                return option.Choices!.First(c => !Equals(c, Plain(option.Default)));
            case OptionType.Monitor:
                return "t.auc";
            default:
                var d = option.Default?.AsNumber() ?? 0.5;
                return new[] { d / 2, d * 2, 0.25, 0.75, 2 }.First(v => v != d && v != 0.5 && option.Check(new NumberValue(v)) is null);
        }
    }

    private static Dictionary<string, object> Required(string schedule) =>
        ScheduleCatalog.All[schedule].Options.Where(o => o.Required).ToDictionary(o => o.Name, RequiredValue);

    /// <summary>Builds a one-phase schedule for a run of <see cref="TotalSteps"/> steps over a fresh optimizer at lr 1e-3.</summary>
    private static (LearningRateSchedule Schedule, LearningRateSchedule.Built Built, Optimizer Optimizer) Build(string schedule, Dictionary<string, object> options, bool maximize)
    {
        var phases = new LearningRateSchedule([new SchedulePhase(schedule, options)]);
        var optimizer = optim.SGD([new Parameter(zeros(2))], lr: 1e-3);
        return (phases, phases.Build(optimizer, TotalSteps, _ => maximize), optimizer);
    }

    [Fact]
    public void Every_schedule_option_is_read_by_the_runtime()
    {
        var options = ScheduleCatalog.All.SelectMany(s => s.Value.Options.Select(o => (s.Key, o.Name))).Order().ToList();
        Assert.Equal(options, Reads.Keys.Select(k => (k.Schedule, k.Option)).Order());
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Every_schedule_builds_with_only_its_required_options_and_takes_the_catalog_defaults(string name)
    {
        using var scope = NewDisposeScope();
        var (schedule, built, optimizer) = Build(name, Required(name), maximize: false);
        using (optimizer)
        {
            if (name == "plateau")
            {
                Assert.Null(built.Steps);
                Assert.NotNull(built.Plateau);
                Assert.Equal(0, built.StepsEnd);
                Assert.Equal("min", built.Plateau.mode);
            }
            else
            {
                Assert.NotNull(built.Steps);
                Assert.Null(built.Plateau);
                // a schedule with a length (given, defaulted or the rest of training) ends; the others never do
                Assert.Equal(ScheduleCatalog.All[name].Option("steps") is null, built.StepsEnd == long.MaxValue);
            }
            foreach (var option in ScheduleCatalog.All[name].Options)
            {
                var actual = Plain(Reads[(name, option.Name)](schedule, built));
                if (option.Required) Assert.Equal(Plain(RequiredValue(option)), actual);
                else if (option.Default is { } value) Assert.Equal(Plain(value), actual);
                // cosine and onecycle without steps run for the rest of training
                else if (option.Name == "steps") Assert.Equal((double)TotalSteps, actual);
            }
        }
        // without mode, a plateau's mode follows its monitor
        if (name == "plateau")
        {
            var (_, up, other) = Build(name, Required(name), maximize: true);
            using (other) Assert.Equal("max", up.Plateau!.mode);
        }
    }

    [Theory]
    [MemberData(nameof(ScheduleOptions))]
    public void Every_schedule_option_reaches_the_runtime(string name, string option)
    {
        using var scope = NewDisposeScope();
        var spec = ScheduleCatalog.All[name].Option(option)!;
        var value = OtherValue(spec);
        var options = Required(name);
        options[option] = value;
        var (schedule, built, optimizer) = Build(name, options, maximize: true);
        using (optimizer)
        {
            Assert.Equal(Plain(value), Plain(Reads[(name, option)](schedule, built)));
        }
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void An_unknown_schedule_option_is_rejected(string name)
    {
        var options = Required(name);
        options["bogus"] = 1;
        var error = Assert.Throws<ArgumentException>(() => new LearningRateSchedule([new SchedulePhase(name, options)]));
        Assert.Contains($"'{name}' has no option 'bogus'", error.Message);
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void A_schedule_may_be_followed_exactly_when_the_catalog_says_it_ends(string name)
    {
        var follower = new SchedulePhase("exponential", new Dictionary<string, object> { ["gamma"] = 0.5 });
        var hasStepsOption = ScheduleCatalog.All[name].Option("steps") is not null;
        foreach (var withSteps in hasStepsOption ? new[] { false, true } : [false])
        {
            var options = Required(name);
            if (withSteps) options["steps"] = 10L;
            var chain = new[] { new SchedulePhase(name, options), follower };
            if (ScheduleCatalog.IsBounded(name, withSteps || (ScheduleCatalog.All[name].Option("steps")?.Required ?? false)))
            {
                Assert.Equal(2, new LearningRateSchedule(chain).Phases.Count);
            }
            else
            {
                Assert.Contains("never ends", Assert.Throws<ArgumentException>(() => new LearningRateSchedule(chain)).Message);
            }
        }
    }
}
