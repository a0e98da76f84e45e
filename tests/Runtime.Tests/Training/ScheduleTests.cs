using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// A .mtl schedule chain (<see cref="LearningRateSchedule"/>) as the trainer builds and steps it:
/// the learning rate of every optimizer step of small runs against PyTorch's formulas, computed
/// here by hand; and the chains that are rejected.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class ScheduleTests
{
    private const double BaseLr = 0.1;

    // ---- a tiny model and a weighting that records the rate of every step --------------------------

    private static readonly TaskSpec[] Tasks = [new TaskSpec("y", TaskKind.Regression) { Metrics = ["mae", "r2"] }];

    private sealed class TinyModel : MultiTaskModule
    {
        private readonly Linear head;

        public TinyModel(bool bias) : base(nameof(TinyModel))
        {
            head = nn.Linear(2, 1, hasBias: bias);
            RegisterComponents();
        }

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs) =>
            new(new Dictionary<string, Tensor> { ["y"] = head.forward(inputs["x"]) });

        public override IEnumerable<nn.Module> SharedModules() => [];
    }

    /// <summary>
    /// The sum of the task losses, recording the optimizer's learning rate when the step's gradients
    /// are computed: the rate the coming optimizer step uses.
    /// </summary>
    private sealed class RateRecorder(Optimizer optimizer) : TaskWeighting("recorder")
    {
        public SortedDictionary<long, double> Rates { get; } = new();

        public override double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context)
        {
            Rates[context.Step + 1] = optimizer.param_groups[0].lr;
            var (tasks, present) = Present(losses);
            var total = present.Skip(1).Aggregate(present[0], (a, b) => a + b);
            total.backward();
            ReportWeights(losses.Count, tasks, [.. tasks.Select(_ => 1.0)]);
            return total.item<double>();
        }
    }

    /// <summary>x ~ N(0, 1) (or 0: a constant loss and zero gradients), y = x·(1, −2) + 0.5.</summary>
    private static MultiTaskDataset Data(int count, bool constant = false)
    {
        using var scope = NewDisposeScope();
        var random = new Random(count);
        var x = new float[count * 2];
        var y = new float[count];
        for (var i = 0; i < count; i++)
        {
            x[2 * i] = constant ? 0 : (float)(random.NextDouble() * 2 - 1);
            x[2 * i + 1] = constant ? 0 : (float)(random.NextDouble() * 2 - 1);
            y[i] = x[2 * i] - 2 * x[2 * i + 1] + 0.5f;
        }
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [count, 2]) },
            new Dictionary<string, Tensor> { ["y"] = tensor(y, [count, 1]) },
            Tasks);
    }

    private sealed record Run(double[] Steps, double[] Epochs, float[] Weights);

    /// <summary>
    /// Trains a fresh tiny model with SGD at <see cref="BaseLr"/> and <paramref name="phases"/>; returns
    /// the rate of every optimizer step (1, 2, ...), each epoch record's rate and the final weights.
    /// </summary>
    private static Run Train(SchedulePhase[] phases, int examples, int batch, int epochs, int accumulate = 1, UpdateMode update = UpdateMode.Joint,
        bool constant = false)
    {
        manual_seed(17);
        using var data = Data(examples, constant);
        using var model = new TinyModel(bias: !constant);
        using var optimizer = optim.SGD(model.parameters(), lr: BaseLr);
        using var recorder = new RateRecorder(optimizer);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions
        {
            Epochs = epochs,
            BatchSize = batch,
            Accumulate = accumulate,
            Update = update,
            Weighting = recorder,
            Schedule = new LearningRateSchedule(phases),
        });
        trainer.Fit(data);
        var first = recorder.Rates.Keys.FirstOrDefault();
        Assert.Equal(Enumerable.Range((int)first, recorder.Rates.Count).Select(s => (long)s), recorder.Rates.Keys);
        Assert.Equal(trainer.Step, first + recorder.Rates.Count - 1);
        return new Run([.. recorder.Rates.Values], [.. trainer.History.Select(r => r.LearningRates[0])], [.. model.parameters().SelectMany(p => p.data<float>())]);
    }

    private static SchedulePhase Phase(string name, params (string Option, object Value)[] options) =>
        new(name, options.ToDictionary(o => o.Option, o => o.Value));

    private static void AssertRates(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: expected {expected.Count} rates, got {actual.Count}: {string.Join(", ", actual)}");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * Math.Abs(expected[i]) + 1e-15, $"{what} {i + 1}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    /// <summary>The rates of optimizer steps 1..n: step s runs at the schedule's epoch s − 1.</summary>
    private static double[] Steps(int count, Func<int, double> rateAtEpoch) => [.. Enumerable.Range(0, count).Select(rateAtEpoch)];

    // ---- PyTorch's formulas ----------------------------------------------------------------------

    private static double Warmup(int e, int steps, double startFactor) => BaseLr * (startFactor + (1 - startFactor) * Math.Min(steps, e) / steps);

    private static double Linear(int e, double startFactor, double endFactor, int steps) => BaseLr * (startFactor + (endFactor - startFactor) * Math.Min(steps, e) / steps);

    private static double Cosine(int e, int tMax, double minLr) => minLr + (BaseLr - minLr) * (1 + Math.Cos(Math.PI * e / tMax)) / 2;

    private static double OneCycle(int e, double maxLr, int total, double pctStart = 0.3, string anneal = "cos", double div = 25, double finalDiv = 1e4)
    {
        var initial = maxLr / div;
        var min = initial / finalDiv;
        var firstEnd = pctStart * total - 1;
        var (start, end, pct) = e <= firstEnd ? (initial, maxLr, e / firstEnd) : (maxLr, min, (e - firstEnd) / (total - 1 - firstEnd));
        return anneal == "cos" ? end + (start - end) / 2 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;
    }

    // ---- chains ----------------------------------------------------------------------------------

    [Fact]
    public void Warmup_then_cosine_runs_the_cosine_for_the_rest_of_training()
    {
        // 8 examples in batches of 2: 4 steps an epoch, 12 in all; cosine gets the 8 after the warmup.
        var run = Train([Phase("warmup", ("steps", 4)), Phase("cosine")], examples: 8, batch: 2, epochs: 3);
        double Rate(int e) => e < 4 ? Warmup(e, 4, 0) : Cosine(e - 4, 8, 0);
        AssertRates(Steps(12, Rate), run.Steps, "step");
        Assert.Equal(0, run.Steps[0]);
        // Each epoch's record holds the rate after its last step: the end of the cosine is its min_lr.
        AssertRates([Rate(4), Rate(8), Rate(12)], run.Epochs, "epoch");
        Assert.Equal(0, run.Epochs[^1], 15);
    }

    [Fact]
    public void The_rest_of_training_counts_optimizer_steps_with_accumulation_and_alternate_updates()
    {
        // 10 examples in batches of 2, accumulate 3: ⌈5 / 3⌉ = 2 steps an epoch, 6 in all.
        var accumulated = Train([Phase("cosine", ("min_lr", 0.01))], examples: 10, batch: 2, epochs: 3, accumulate: 3);
        AssertRates(Steps(6, e => Cosine(e, 6, 0.01)), accumulated.Steps, "accumulated step");
        AssertRates([Cosine(2, 6, 0.01), Cosine(4, 6, 0.01), 0.01], accumulated.Epochs, "accumulated epoch");

        // Alternate updates take two steps an update: 2 batches an epoch, 8 steps in all.
        var alternate = Train([Phase("warmup", ("steps", 2), ("start_factor", 0.5)), Phase("cosine")], examples: 4, batch: 2, epochs: 2, update: UpdateMode.Alternate);
        AssertRates(Steps(8, e => e < 2 ? Warmup(e, 2, 0.5) : Cosine(e - 2, 6, 0)), alternate.Steps, "alternate step");

        // Both: ⌈5 / 3⌉ = 2 updates an epoch, two steps each, 12 in all.
        var both = Train([Phase("cosine", ("min_lr", 0.01))], examples: 10, batch: 2, epochs: 3, accumulate: 3, update: UpdateMode.Alternate);
        AssertRates(Steps(12, e => Cosine(e, 12, 0.01)), both.Steps, "accumulated alternate step");
        AssertRates([Cosine(4, 12, 0.01), Cosine(8, 12, 0.01), 0.01], both.Epochs, "accumulated alternate epoch");
    }

    [Fact]
    public void Onecycle_without_steps_runs_one_cycle_over_the_rest_of_training()
    {
        var alone = Train([Phase("onecycle", ("max_lr", 1.0), ("pct_start", 0.25))], examples: 8, batch: 2, epochs: 2);
        AssertRates(Steps(8, e => OneCycle(e, 1.0, 8, pctStart: 0.25)), alone.Steps, "step");
        Assert.Equal(1.0 / 25, alone.Steps[0], 15);
        Assert.Equal(1.0, alone.Steps[1], 15);
        // After the last step the rate is the cycle's last, max_lr / div_factor / final_div_factor.
        AssertRates([OneCycle(4, 1.0, 8, pctStart: 0.25), 1.0 / 25 / 1e4], alone.Epochs, "epoch");

        var afterWarmup = Train(
            [Phase("warmup", ("steps", 2), ("start_factor", 0.5)), Phase("onecycle", ("max_lr", 1.0), ("anneal", "linear"), ("div_factor", 10), ("final_div_factor", 100))],
            examples: 6, batch: 1, epochs: 2);
        AssertRates(Steps(12, e => e < 2 ? Warmup(e, 2, 0.5) : OneCycle(e - 2, 1.0, 10, anneal: "linear", div: 10, finalDiv: 100)), afterWarmup.Steps, "after a warmup");
        AssertRates([OneCycle(4, 1.0, 10, anneal: "linear", div: 10, finalDiv: 100), 1.0 / 10 / 100], afterWarmup.Epochs, "after a warmup, epoch");
    }

    [Fact]
    public void A_bounded_chain_holds_its_last_rate_after_its_end()
    {
        // warmup 3 steps, then linear 0.5 → 0.1 over 2 steps: 5 steps, then the rate holds at 0.1 · lr.
        var linear = Train([Phase("warmup", ("steps", 3), ("start_factor", 0.25)), Phase("linear", ("start_factor", 0.5), ("end_factor", 0.1), ("steps", 2))], examples: 8, batch: 2, epochs: 2);
        AssertRates(Steps(8, e => e < 3 ? Warmup(e, 3, 0.25) : Linear(e - 3, 0.5, 0.1, 2)), linear.Steps, "linear");
        AssertRates([0.01, 0.01, 0.01], linear.Steps[5..], "linear after its end");

        // A cosine with steps stops at its min_lr (PyTorch's cosine would climb back past T_max).
        var cosine = Train([Phase("cosine", ("steps", 3), ("min_lr", 0.02))], examples: 8, batch: 2, epochs: 2);
        AssertRates(Steps(8, e => Cosine(Math.Min(e, 3), 3, 0.02)), cosine.Steps, "cosine");
        AssertRates([0.02, 0.02], cosine.Epochs, "cosine epoch");

        // A onecycle with steps holds its last rate, max_lr / div_factor / final_div_factor, not the
        // rate its formula gives one step past the cycle (which, annealed linearly, is negative).
        var onecycle = Train(
            [Phase("onecycle", ("max_lr", 1.0), ("steps", 5), ("pct_start", 0.4), ("anneal", "linear"), ("div_factor", 10), ("final_div_factor", 100))],
            examples: 8, batch: 2, epochs: 2);
        AssertRates(Steps(8, e => OneCycle(Math.Min(e, 4), 1.0, 5, pctStart: 0.4, anneal: "linear", div: 10, finalDiv: 100)), onecycle.Steps, "onecycle");
        AssertRates([0.001, 0.001, 0.001, 0.001], onecycle.Steps[4..], "onecycle after its end");
        Assert.All(onecycle.Epochs, rate => Assert.True(rate > 0));
    }

    [Fact]
    public void A_run_shorter_than_the_chain_stops_wherever_it_is()
    {
        var warmup = Train([Phase("warmup", ("steps", 100)), Phase("cosine")], examples: 6, batch: 2, epochs: 2);
        AssertRates(Steps(6, e => Warmup(e, 100, 0)), warmup.Steps, "warmup");
        AssertRates([Warmup(3, 100, 0), Warmup(6, 100, 0)], warmup.Epochs, "warmup epoch");

        // A onecycle the run never reaches must still build.
        var unreached = Train([Phase("warmup", ("steps", 100)), Phase("onecycle", ("max_lr", 1.0))], examples: 6, batch: 2, epochs: 2);
        AssertRates(Steps(6, e => Warmup(e, 100, 0)), unreached.Steps, "warmup before a onecycle");

        var linear = Train([Phase("linear", ("steps", 10)), Phase("exponential", ("gamma", 0.5))], examples: 4, batch: 1, epochs: 1);
        AssertRates(Steps(4, e => Linear(e, 1.0 / 3, 1, 10)), linear.Steps, "linear");
    }

    [Fact]
    public void Step_multistep_and_exponential_scale_the_initial_rate_after_a_warmup()
    {
        var step = Train([Phase("warmup", ("steps", 2), ("start_factor", 0.5)), Phase("step", ("step_size", 2), ("gamma", 0.5))], examples: 8, batch: 1, epochs: 1);
        AssertRates(Steps(8, e => e < 2 ? Warmup(e, 2, 0.5) : BaseLr * Math.Pow(0.5, (e - 2) / 2)), step.Steps, "step");

        var multistep = Train([Phase("multistep", ("milestones", new long[] { 1, 3 }))], examples: 5, batch: 1, epochs: 1);
        AssertRates([BaseLr, BaseLr * 0.1, BaseLr * 0.1, BaseLr * 0.01, BaseLr * 0.01], multistep.Steps, "multistep");

        var exponential = Train([Phase("linear", ("start_factor", 0.5), ("steps", 2)), Phase("exponential", ("gamma", 0.9))], examples: 6, batch: 1, epochs: 1);
        AssertRates(Steps(6, e => e < 2 ? Linear(e, 0.5, 1, 2) : BaseLr * Math.Pow(0.9, e - 2)), exponential.Steps, "exponential");

        var bounded = Train([Phase("cosine", ("steps", 2)), Phase("onecycle", ("max_lr", 1.0), ("steps", 4), ("pct_start", 0.5)), Phase("step", ("step_size", 1))], examples: 8, batch: 1, epochs: 1);
        AssertRates(Steps(8, e => e < 2 ? Cosine(e, 2, 0) : e < 6 ? OneCycle(e - 2, 1.0, 4, pctStart: 0.5) : 1.0 / 25 * Math.Pow(0.1, e - 6)), bounded.Steps, "cosine, onecycle, step");
    }

    // ---- plateau ---------------------------------------------------------------------------------

    [Fact]
    public void Plateau_takes_over_once_the_per_step_part_has_ended()
    {
        // The loss never changes (x = 0, no bias): after its first epoch the plateau halves the rate every epoch (patience 0).
        var plateau = Phase("plateau", ("factor", 0.5), ("patience", 0));
        var afterWarmup = Train([Phase("warmup", ("steps", 2), ("start_factor", 0.5)), plateau], examples: 4, batch: 2, epochs: 4, constant: true);
        AssertRates([0.05, 0.075, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025], afterWarmup.Steps, "step");
        AssertRates([0.1, 0.05, 0.025, 0.0125], afterWarmup.Epochs, "epoch");

        // The warmup ends in the middle of epoch 2: the plateau sees its first loss at the end of epoch 2.
        var midEpoch = Train([Phase("warmup", ("steps", 3), ("start_factor", 0.5)), plateau], examples: 4, batch: 2, epochs: 4, constant: true);
        AssertRates([Warmup(0, 3, 0.5), Warmup(1, 3, 0.5), Warmup(2, 3, 0.5), 0.1, 0.1, 0.1, 0.05, 0.05], midEpoch.Steps, "mid-epoch step");
        AssertRates([Warmup(2, 3, 0.5), 0.1, 0.05, 0.025], midEpoch.Epochs, "mid-epoch epoch");

        // Alone, it watches from the first epoch; min_lr bounds it.
        var alone = Train([Phase("plateau", ("factor", 0.5), ("patience", 0), ("min_lr", 0.03))], examples: 2, batch: 2, epochs: 4, constant: true);
        AssertRates([0.1, 0.1, 0.05, 0.03], alone.Steps, "alone");
        AssertRates([0.1, 0.05, 0.03, 0.03], alone.Epochs, "alone epoch");
    }

    [Theory]
    [InlineData("y.r2", null, "max")]
    [InlineData("y.mae", null, "min")]
    [InlineData("y.loss", null, "min")]
    [InlineData("loss", null, "min")]
    [InlineData("y.r2", "min", "min")]
    [InlineData("loss", "max", "max")]
    public void Plateau_mode_follows_the_monitor_unless_given(string monitor, string? mode, string expected)
    {
        manual_seed(1);
        using var data = Data(4);
        using var model = new TinyModel(bias: true);
        using var optimizer = optim.SGD(model.parameters(), lr: BaseLr);
        var options = new List<(string, object)> { ("monitor", monitor), ("factor", 0.25), ("patience", 4), ("min_lr", 0.001) };
        if (mode is not null) options.Add(("mode", mode));
        var schedule = new LearningRateSchedule([Phase("warmup", ("steps", 2)), Phase("plateau", [.. options])]);
        Assert.Equal(monitor, schedule.PlateauMonitor);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 2, Schedule = schedule });
        Assert.Null(trainer.Parts.Schedule.Plateau);
        trainer.Fit(data, data);
        var plateau = trainer.Parts.Schedule.Plateau!;
        Assert.Equal(expected, plateau.mode);
        Assert.Equal(0.25, plateau.factor);
        Assert.Equal(4, plateau.patience);
        Assert.Equal(new[] { 0.001 }, plateau.min_lrs);
    }

    [Fact]
    public void A_plateau_monitor_that_is_no_task_metric_is_rejected_when_the_trainer_is_built()
    {
        using var model = new TinyModel(bias: true);
        using var optimizer = optim.SGD(model.parameters(), lr: BaseLr);
        foreach (var (monitor, message) in new[] { ("z.mae", "no task 'z'"), ("y.accuracy", "task 'y' measures mae, r2, loss") })
        {
            var options = new TrainerOptions { Schedule = new LearningRateSchedule([Phase("plateau", ("monitor", monitor))]) };
            var error = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, optimizer, options));
            Assert.Contains(message, error.Message);
        }
    }

    // ---- rejected chains -------------------------------------------------------------------------

    public static TheoryData<string, string> BadChains() => new()
    {
        { "cosine -> step(step_size: 2)", "schedule 'cosine' never ends, so it can only be the last in a chain" },
        { "onecycle(max_lr: 1) -> warmup(steps: 2)", "schedule 'onecycle' never ends" },
        { "step(step_size: 2) -> exponential(gamma: 0.5)", "schedule 'step' never ends" },
        { "multistep(milestones: [2]) -> warmup(steps: 2)", "schedule 'multistep' never ends" },
        { "exponential(gamma: 0.9) -> warmup(steps: 2)", "schedule 'exponential' never ends" },
        { "plateau -> warmup(steps: 2)", "schedule 'plateau' never ends" },
        { "warmup(steps: 2) -> plateau -> exponential(gamma: 0.9)", "schedule 'plateau' never ends" },
        { "cosine_annealing", "unknown schedule 'cosine_annealing'; known: warmup, step, multistep, exponential, cosine, linear, onecycle, plateau" },
        { "warmup(steps: 2, warm: 3)", "'warmup' has no option 'warm': it takes options steps, start_factor" },
        { "cosine(T_max: 3)", "'cosine' has no option 'T_max'" },
        { "warmup", "'warmup' needs 'steps'" },
        { "onecycle(steps: 10)", "'onecycle' needs 'max_lr'" },
        { "warmup(steps: 0)", "'steps' of 'warmup' must be at least 1; found 0" },
        { "step(step_size: 1.5)", "'step_size' of 'step' expects an integer; found '1.5'" },
        { "linear(start_factor: 0)", "'start_factor' of 'linear' must be in (0, 1]; found 0" },
        { "onecycle(max_lr: 1, anneal: cubic)", "'anneal' of 'onecycle' expects one of cos, linear; found 'cubic'" },
        { "plateau(mode: up)", "'mode' of 'plateau' expects one of min, max; found 'up'" },
        { "multistep(milestones: [0, 2])", "'milestones' of 'multistep' must be at least 1; found 0" },
    };

    [Theory]
    [MemberData(nameof(BadChains))]
    public void A_bad_chain_is_rejected_naming_what_is_wrong(string chain, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => new LearningRateSchedule(Parse(chain)));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void An_empty_chain_and_a_schedule_next_to_a_scheduler_are_rejected()
    {
        Assert.Contains("at least one phase", Assert.Throws<ArgumentException>(() => new LearningRateSchedule([])).Message);

        using var model = new TinyModel(bias: true);
        using var optimizer = optim.SGD(model.parameters(), lr: BaseLr);
        var options = new TrainerOptions { Schedule = new LearningRateSchedule([Phase("cosine")]), Scheduler = optim.lr_scheduler.StepLR(optimizer, 2) };
        Assert.Contains("either a Schedule", Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, optimizer, options)).Message);
    }

    [Fact]
    public void Bounded_phases_may_come_anywhere_and_unbounded_ones_last()
    {
        var chain = new LearningRateSchedule(Parse("warmup(steps: 2) -> linear -> cosine(steps: 3) -> onecycle(max_lr: 1, steps: 10) -> multistep(milestones: [5, 7])"));
        Assert.Equal(["warmup", "linear", "cosine", "onecycle", "multistep"], chain.Phases.Select(p => p.Name));
        Assert.Null(chain.PlateauMonitor);
        Assert.Equal("loss", new LearningRateSchedule(Parse("warmup(steps: 2) -> plateau")).PlateauMonitor);
    }

    /// <summary><c>a(k: v, ...) -> b</c> as phases: integers, numbers, words and integer lists.</summary>
    private static SchedulePhase[] Parse(string chain) => [.. chain.Split("->", StringSplitOptions.TrimEntries).Select(text =>
    {
        var open = text.IndexOf('(', StringComparison.Ordinal);
        if (open < 0) return new SchedulePhase(text);
        var options = new Dictionary<string, object>();
        foreach (var pair in SplitTopLevel(text[(open + 1)..^1]))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            var value = pair[(colon + 1)..].Trim();
            options[pair[..colon].Trim()] = value.StartsWith('[')
                ? value[1..^1].Split(',', StringSplitOptions.TrimEntries).Select(long.Parse).ToArray()
                : long.TryParse(value, out var integer) ? integer
                : double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number
                : value;
        }
        return new SchedulePhase(text[..open], options);
    })];

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '[') depth++;
            else if (text[i] == ']') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        if (text[start..].Trim().Length > 0) yield return text[start..];
    }
}
