using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// Learning-rate schedules against PyTorch 1.13's formulas. Each expected list holds the lr after
/// construction (epoch 0) followed by the lr after each <c>step()</c>.
/// </summary>
public sealed class LRSchedulerTests
{
    /// <summary>An optimizer over one float64 parameter per group, with the given learning rates.</summary>
    private sealed class Setup : IDisposable
    {
        private readonly Parameter[] _parameters;

        public Setup(Func<IEnumerable<ParamGroup>, Optimizer> create, params double[] lrs)
        {
            using var scope = NewDisposeScope();
            _parameters = lrs.Select(_ => new Parameter(zeros([2], dtype: float64))).ToArray();
            Optimizer = create(_parameters.Zip(lrs, (parameter, lr) => new ParamGroup([parameter], lr: lr)).ToList());
        }

        public Optimizer Optimizer { get; }

        public IReadOnlyList<ParamGroup> Groups => Optimizer.param_groups;

        public void Dispose()
        {
            Optimizer.Dispose();
            foreach (var parameter in _parameters) parameter.Dispose();
        }
    }

    private static Setup Sgd(params double[] lrs) => new(groups => optim.SGD(groups, lr: 1, momentum: 0.9), lrs);

    private static Setup Adam(params double[] lrs) => new(groups => optim.Adam(groups), lrs);

    private static void AssertClose(double expected, double actual, string what)
    {
        Assert.True(Math.Abs(actual - expected) <= 1e-12 * Math.Abs(expected), $"{what}: expected {expected:R}, got {actual:R}");
    }

    /// <summary>Steps <paramref name="scheduler"/> and checks group <paramref name="group"/>'s lr (and get_last_lr) at every epoch.</summary>
    private static void AssertSchedule(Setup setup, LRScheduler scheduler, double[] expected, int group = 0)
    {
        for (var epoch = 0; epoch < expected.Length; epoch++)
        {
            if (epoch > 0) scheduler.step();
            Assert.Equal(epoch, scheduler.last_epoch);
            AssertClose(expected[epoch], setup.Groups[group].lr, $"lr of group {group} at epoch {epoch}");
            Assert.Equal(setup.Groups[group].lr, scheduler.get_last_lr()[group]);
        }
    }

    // ---- StepLR, MultiStepLR, ExponentialLR ------------------------------------------------------

    [Fact]
    public void StepLR_decays_by_gamma_at_every_multiple_of_step_size()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.StepLR(setup.Optimizer, step_size: 3, gamma: 0.5);
        // Python's StepLR: the first decay is at epoch 3 (libtorch's C++ StepLR would give it at epoch 4).
        AssertSchedule(setup, scheduler,
        [
            0.1, 0.1, 0.1,
            0.1 * 0.5, 0.1 * 0.5, 0.1 * 0.5,
            0.1 * Math.Pow(0.5, 2), 0.1 * Math.Pow(0.5, 2), 0.1 * Math.Pow(0.5, 2),
            0.1 * Math.Pow(0.5, 3),
        ]);
    }

    [Fact]
    public void MultiStepLR_decays_at_each_milestone_in_any_order()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.MultiStepLR(setup.Optimizer, [5, 2], gamma: 0.5);
        Assert.Equal([2, 5], scheduler.milestones);
        AssertSchedule(setup, scheduler, [0.1, 0.1, 0.1 * 0.5, 0.1 * 0.5, 0.1 * 0.5, 0.1 * Math.Pow(0.5, 2), 0.1 * Math.Pow(0.5, 2), 0.1 * Math.Pow(0.5, 2)]);
    }

    [Fact]
    public void MultiStepLR_applies_a_repeated_milestone_once_per_occurrence()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.MultiStepLR(setup.Optimizer, [2, 2], gamma: 0.5);
        AssertSchedule(setup, scheduler, [0.1, 0.1, 0.1 * Math.Pow(0.5, 2), 0.1 * Math.Pow(0.5, 2)]);
    }

    [Fact]
    public void ExponentialLR_multiplies_by_gamma_every_epoch()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.ExponentialLR(setup.Optimizer, gamma: 0.9);
        AssertSchedule(setup, scheduler, [0.1, 0.1 * 0.9, 0.1 * Math.Pow(0.9, 2), 0.1 * Math.Pow(0.9, 3), 0.1 * Math.Pow(0.9, 4), 0.1 * Math.Pow(0.9, 5)]);
    }

    // ---- CosineAnnealingLR, LinearLR ---------------------------------------------------------------

    private static double Cosine(double baseLr, double etaMin, int epoch, int tMax) => etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * epoch / tMax)) / 2;

    [Fact]
    public void CosineAnnealingLR_follows_the_half_cosine_per_group_and_climbs_back_after_T_max()
    {
        using var setup = Sgd(0.1, 0.2);
        var scheduler = optim.lr_scheduler.CosineAnnealingLR(setup.Optimizer, T_max: 4, eta_min: 0.01);
        double[] expected0 = [.. Enumerable.Range(0, 11).Select(e => Cosine(0.1, 0.01, e, 4))];
        double[] expected1 = [.. Enumerable.Range(0, 11).Select(e => Cosine(0.2, 0.01, e, 4))];
        // Spot values: the midpoint is the mean of base_lr and eta_min, T_max reaches eta_min, 2·T_max is back at base_lr.
        AssertClose((0.1 + 0.01) / 2, expected0[2], "midpoint");
        Assert.Equal(0.01, expected0[4]);
        Assert.Equal(0.01, expected1[4]);
        AssertClose(0.1, expected0[8], "back at base_lr");
        for (var epoch = 0; epoch < expected0.Length; epoch++)
        {
            if (epoch > 0) scheduler.step();
            AssertClose(expected0[epoch], setup.Groups[0].lr, $"group 0 at epoch {epoch}");
            AssertClose(expected1[epoch], setup.Groups[1].lr, $"group 1 at epoch {epoch}");
        }
    }

    [Fact]
    public void CosineAnnealingLR_reaches_zero_exactly_with_the_default_eta_min()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.CosineAnnealingLR(setup.Optimizer, T_max: 4);
        AssertSchedule(setup, scheduler, [0.1, 0.1 * (1 + Math.Cos(Math.PI / 4)) / 2, 0.1 / 2, 0.1 * (1 + Math.Cos(3 * Math.PI / 4)) / 2, 0.0, 0.1 * (1 + Math.Cos(5 * Math.PI / 4)) / 2]);
    }

    [Fact]
    public void LinearLR_warms_up_linearly_and_then_holds()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.LinearLR(setup.Optimizer, start_factor: 0.25, end_factor: 1.0, total_iters: 4);
        AssertSchedule(setup, scheduler,
        [
            0.1 * 0.25,
            0.1 * (0.25 + 0.75 * 1 / 4),
            0.1 * (0.25 + 0.75 * 2 / 4),
            0.1 * (0.25 + 0.75 * 3 / 4),
            0.1,
            0.1,
            0.1,
        ]);
    }

    [Fact]
    public void LinearLR_defaults_start_at_a_third_over_five_iterations()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.LinearLR(setup.Optimizer);
        AssertSchedule(setup, scheduler, [.. Enumerable.Range(0, 7).Select(e => 0.1 * (1.0 / 3 + (1 - 1.0 / 3) * Math.Min(5, e) / 5))]);
    }

    // ---- initial_lr ----------------------------------------------------------------------------------

    [Fact]
    public void A_scheduler_starts_from_initial_lr_when_a_group_already_has_one()
    {
        using var setup = Sgd(0.1);
        Assert.Null(setup.Groups[0].initial_lr);
        var first = optim.lr_scheduler.ExponentialLR(setup.Optimizer, gamma: 0.5);
        Assert.Equal(0.1, setup.Groups[0].initial_lr);
        first.step();
        Assert.Equal(0.05, setup.Groups[0].lr);

        // A second scheduler takes initial_lr (0.1), not the current lr (0.05), as its base, as in PyTorch.
        var second = optim.lr_scheduler.StepLR(setup.Optimizer, step_size: 2, gamma: 0.1);
        Assert.Equal([0.1], second.base_lrs);
        Assert.Equal(0.1, setup.Groups[0].lr);
    }

    [Fact]
    public void Stepping_after_a_group_was_added_is_rejected()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.StepLR(setup.Optimizer, step_size: 2);
        using var extra = new Parameter(zeros([1], dtype: float64));
        setup.Optimizer.add_param_group(new ParamGroup([extra], lr: 0.5));
        var error = Assert.Throws<InvalidOperationException>(scheduler.step);
        Assert.Contains("2 parameter groups", error.Message);
        Assert.Equal(0, scheduler.last_epoch);
    }

    // ---- OneCycleLR ----------------------------------------------------------------------------------

    private static double CosAnneal(double start, double end, double pct) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1);

    private static double LinearAnneal(double start, double end, double pct) => (end - start) * pct + start;

    [Fact]
    public void OneCycleLR_cosine_two_phases_with_momentum_on_SGD()
    {
        using var setup = Sgd(0.5);
        var scheduler = optim.lr_scheduler.OneCycleLR(setup.Optimizer, max_lr: 1.0, total_steps: 10);
        // initial_lr = 1.0 / 25 = 0.04, min_lr = 0.04 / 1e4; phase 1 ends at step 0.3·10 − 1 = 2, phase 2 at 10 − 1 = 9.
        const double initial = 1.0 / 25, min = initial / 1e4;
        Assert.Equal(initial, setup.Groups[0].initial_lr);
        double[] lrs = [.. Enumerable.Range(0, 11).Select(s => s <= 2 ? CosAnneal(initial, 1.0, s / 2.0) : CosAnneal(1.0, min, (s - 2) / 7.0))];
        double[] momenta = [.. Enumerable.Range(0, 11).Select(s => s <= 2 ? CosAnneal(0.95, 0.85, s / 2.0) : CosAnneal(0.85, 0.95, (s - 2) / 7.0))];
        AssertClose(1.0, lrs[2], "peak");
        AssertClose(min, lrs[9], "end");
        for (var step = 0; step <= 10; step++)
        {
            if (step > 0) scheduler.step();
            AssertClose(lrs[step], setup.Groups[0].lr, $"lr at step {step}");
            AssertClose(momenta[step], setup.Groups[0]["momentum"], $"momentum at step {step}");
        }
        // PyTorch allows total_steps + 1 values (steps 0 to total_steps), then refuses.
        var error = Assert.Throws<InvalidOperationException>(scheduler.step);
        Assert.Contains("total_steps is 10", error.Message);
        Assert.Equal(10, scheduler.last_epoch);
    }

    [Fact]
    public void OneCycleLR_linear_three_phases_cycles_beta1_on_Adam()
    {
        using var setup = Adam(0.001);
        var scheduler = optim.lr_scheduler.OneCycleLR(setup.Optimizer, max_lr: 1.0, total_steps: 10, anneal_strategy: "linear", three_phase: true);
        // Phases end at steps 0.3·10 − 1 = 2, 2·0.3·10 − 2 = 4 and 10 − 1 = 9.
        const double initial = 1.0 / 25, min = initial / 1e4;
        double[] lrs =
        [
            .. Enumerable.Range(0, 3).Select(s => LinearAnneal(initial, 1.0, s / 2.0)),
            .. Enumerable.Range(3, 2).Select(s => LinearAnneal(1.0, initial, (s - 2) / 2.0)),
            .. Enumerable.Range(5, 6).Select(s => LinearAnneal(initial, min, (s - 4) / 5.0)),
        ];
        double[] betas =
        [
            .. Enumerable.Range(0, 3).Select(s => LinearAnneal(0.95, 0.85, s / 2.0)),
            .. Enumerable.Range(3, 2).Select(s => LinearAnneal(0.85, 0.95, (s - 2) / 2.0)),
            .. Enumerable.Repeat(0.95, 6),
        ];
        for (var step = 0; step <= 10; step++)
        {
            if (step > 0) scheduler.step();
            AssertClose(lrs[step], setup.Groups[0].lr, $"lr at step {step}");
            AssertClose(betas[step], setup.Groups[0]["beta1"], $"beta1 at step {step}");
            Assert.Equal(0.999, setup.Groups[0]["beta2"]);
        }
    }

    [Fact]
    public void OneCycleLR_epochs_times_steps_per_epoch_is_total_steps_and_momentum_can_stay()
    {
        using var setup = Sgd(0.5, 0.5);
        var scheduler = optim.lr_scheduler.OneCycleLR(setup.Optimizer, max_lr: [1.0, 2.0], epochs: 2, steps_per_epoch: 5, cycle_momentum: false);
        Assert.Equal(10, scheduler.total_steps);
        Assert.Equal([1.0 / 25, 2.0 / 25], scheduler.base_lrs);
        scheduler.step();
        scheduler.step();
        AssertClose(1.0, setup.Groups[0].lr, "peak of group 0");
        AssertClose(2.0, setup.Groups[1].lr, "peak of group 1");
        Assert.Equal(0.9, setup.Groups[0]["momentum"]);
    }

    [Fact]
    public void OneCycleLR_rejects_bad_arguments()
    {
        using var setup = Sgd(0.5);
        Assert.Contains("give either total_steps or both epochs and steps_per_epoch", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.OneCycleLR(setup.Optimizer, 1.0)).Message);
        Assert.Contains("OneCycleLR: total_steps must be positive, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.OneCycleLR(setup.Optimizer, 1.0, total_steps: 0)).Message);
        Assert.Contains("OneCycleLR: pct_start must be in [0, 1], got 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.OneCycleLR(setup.Optimizer, 1.0, total_steps: 10, pct_start: 1.5)).Message);
        Assert.Contains("anneal_strategy must be one of 'cos', 'linear', got 'step'", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.OneCycleLR(setup.Optimizer, 1.0, total_steps: 10, anneal_strategy: "step")).Message);
        Assert.Contains("expected 1 values of max_lr", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.OneCycleLR(setup.Optimizer, [1.0, 2.0], total_steps: 10)).Message);
        // 0.1·10 − 1 = 0: the warmup phase would have no steps (PyTorch divides by zero there).
        Assert.Contains("phase 1 of the schedule is empty", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.OneCycleLR(setup.Optimizer, 1.0, total_steps: 10, pct_start: 0.1)).Message);
        // A rejected construction leaves the group untouched.
        Assert.Null(setup.Groups[0].initial_lr);
        Assert.Equal(0.5, setup.Groups[0].lr);
    }

    // ---- ReduceLROnPlateau ---------------------------------------------------------------------------

    [Fact]
    public void ReduceLROnPlateau_waits_patience_epochs_cools_down_and_stops_at_min_lr()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, factor: 0.5, patience: 2, cooldown: 1, min_lr: 0.02);
        double[] metrics = [1.0, 0.9, .. Enumerable.Repeat(0.95, 14)];
        // Epochs 1-2 improve; 3 and 4 are bad (within patience 2); the third bad epoch (5) halves the lr
        // and starts a one-epoch cooldown (6, whose bad epoch is ignored); 7, 8 bad, 9 halves again;
        // 10 cools down; 11, 12 bad; 13 would halve to 0.0125 but min_lr holds it at 0.02.
        double[] expected =
        [
            0.1, 0.1, 0.1, 0.1,
            0.1 * 0.5, 0.1 * 0.5, 0.1 * 0.5, 0.1 * 0.5,
            0.1 * 0.25, 0.1 * 0.25, 0.1 * 0.25, 0.1 * 0.25,
            0.02, 0.02, 0.02, 0.02,
        ];
        for (var i = 0; i < metrics.Length; i++)
        {
            scheduler.step(metrics[i]);
            Assert.Equal(i + 1, scheduler.last_epoch);
            AssertClose(expected[i], setup.Groups[0].lr, $"lr after epoch {i + 1}");
            Assert.Equal(setup.Groups[0].lr, scheduler.get_last_lr()[0]);
        }
        Assert.Equal(0.9, scheduler.best);
    }

    [Fact]
    public void ReduceLROnPlateau_in_max_mode_with_an_absolute_threshold()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, mode: "max", factor: 0.1, patience: 1, threshold: 0.1, threshold_mode: "abs");
        // 1.05 is not above 1.0 + 0.1 (bad), 1.2 is (best), 1.25 and 1.29 are not: the second bad epoch reduces.
        double[] metrics = [1.0, 1.05, 1.2, 1.25, 1.29, 1.5];
        double[] expected = [0.1, 0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1];
        for (var i = 0; i < metrics.Length; i++)
        {
            scheduler.step(metrics[i]);
            AssertClose(expected[i], setup.Groups[0].lr, $"lr after epoch {i + 1}");
        }
        Assert.Equal(1.5, scheduler.best);
        Assert.Equal(0, scheduler.num_bad_epochs);
    }

    [Fact]
    public void ReduceLROnPlateau_relative_threshold_and_eps()
    {
        using var setup = Sgd(1e-8, 0.1);
        var scheduler = optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, patience: 0, threshold: 0.1);
        Assert.True(scheduler.is_better(0.89, 1.0));
        Assert.False(scheduler.is_better(0.9, 1.0)); // needs to fall below 1.0 · (1 − 0.1)
        scheduler.step(1.0);
        scheduler.step(0.95);
        // Group 0 would drop by 9e-9, not more than eps = 1e-8: it keeps its lr. Group 1 drops.
        Assert.Equal(1e-8, setup.Groups[0].lr);
        AssertClose(0.1 * 0.1, setup.Groups[1].lr, "group 1");
    }

    [Fact]
    public void ReduceLROnPlateau_bounds_each_group_by_its_own_min_lr()
    {
        using var setup = Sgd(0.1, 0.1);
        var scheduler = optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, min_lrs: [0.05, 0.001], factor: 0.2, patience: 0);
        Assert.Equal([0.05, 0.001], scheduler.min_lrs);
        scheduler.step(1.0);
        scheduler.step(1.0); // one bad epoch > patience 0: reduce
        Assert.Equal(0.05, setup.Groups[0].lr); // max(0.1 · 0.2, 0.05)
        AssertClose(0.1 * 0.2, setup.Groups[1].lr, "group 1");
        Assert.Contains("expected 2 values of min_lr (one per parameter group), got 1",
            Assert.Throws<ArgumentException>(() => optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, min_lrs: [0.01])).Message);
    }

    [Fact]
    public void ReduceLROnPlateau_rejects_bad_arguments()
    {
        using var setup = Sgd(0.1);
        Assert.Contains("ReduceLROnPlateau: factor must be in [0, 1), got 1", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, factor: 1)).Message);
        Assert.Contains("mode must be one of 'min', 'max', got 'up'", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, mode: "up")).Message);
        Assert.Contains("threshold_mode must be one of 'rel', 'abs'", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, threshold_mode: "relative")).Message);
        Assert.Contains("patience must be non-negative, got -1", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, patience: -1)).Message);
        Assert.Contains("min_lr must be non-negative, got -0.1", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.ReduceLROnPlateau(setup.Optimizer, min_lr: -0.1)).Message);
    }

    // ---- SequentialLR --------------------------------------------------------------------------------

    [Fact]
    public void SequentialLR_switches_at_the_milestone_and_restarts_the_next_scheduler()
    {
        using var setup = Sgd(0.1);
        var warmup = optim.lr_scheduler.LinearLR(setup.Optimizer, start_factor: 0.1, total_iters: 2);
        var decay = optim.lr_scheduler.ExponentialLR(setup.Optimizer, gamma: 0.9);
        var scheduler = optim.lr_scheduler.SequentialLR(setup.Optimizer, [warmup, decay], milestones: [3]);
        AssertSchedule(setup, scheduler,
        [
            0.1 * 0.1, 0.1 * (0.1 + 0.9 * 1 / 2), 0.1, // LinearLR epochs 0-2
            0.1, 0.1 * 0.9, 0.1 * Math.Pow(0.9, 2), 0.1 * Math.Pow(0.9, 3), 0.1 * Math.Pow(0.9, 4), // ExponentialLR epochs 0-4
        ]);
        Assert.Equal(4, decay.last_epoch);
        Assert.Equal(2, warmup.last_epoch);
    }

    [Fact]
    public void SequentialLR_with_three_schedulers()
    {
        using var setup = Sgd(0.1);
        var scheduler = optim.lr_scheduler.SequentialLR(setup.Optimizer,
        [
            optim.lr_scheduler.LinearLR(setup.Optimizer, start_factor: 0.5, total_iters: 2),
            optim.lr_scheduler.StepLR(setup.Optimizer, step_size: 2, gamma: 0.5),
            optim.lr_scheduler.CosineAnnealingLR(setup.Optimizer, T_max: 3),
        ], milestones: [3, 6]);
        AssertSchedule(setup, scheduler,
        [
            0.1 * 0.5, 0.1 * (0.5 + 0.5 * 1 / 2), 0.1, // LinearLR epochs 0-2
            0.1, 0.1, 0.1 * 0.5, // StepLR epochs 0-2
            0.1, 0.1 * (1 + Math.Cos(Math.PI / 3)) / 2, 0.1 * (1 + Math.Cos(2 * Math.PI / 3)) / 2, 0.0, // CosineAnnealingLR epochs 0-3
        ]);
    }

    [Fact]
    public void SequentialLR_rejects_mismatched_milestones_and_foreign_schedulers()
    {
        using var setup = Sgd(0.1);
        using var other = Sgd(0.1);
        var first = optim.lr_scheduler.StepLR(setup.Optimizer, step_size: 2);
        var second = optim.lr_scheduler.ExponentialLR(setup.Optimizer, gamma: 0.9);
        var foreign = optim.lr_scheduler.ExponentialLR(other.Optimizer, gamma: 0.9);
        Assert.Contains("expected 1 milestones", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.SequentialLR(setup.Optimizer, [first, second], [2, 4])).Message);
        Assert.Contains("scheduler 1 belongs to another optimizer", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.SequentialLR(setup.Optimizer, [first, foreign], [2])).Message);
        Assert.Contains("milestones must be positive and increasing", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.SequentialLR(setup.Optimizer, [first, second, first], [3, 3])).Message);
    }

    // ---- ChainedScheduler ------------------------------------------------------------------------------

    [Fact]
    public void ChainedScheduler_multiplies_the_factors_of_its_schedules()
    {
        using var setup = Sgd(0.1);
        var warmup = optim.lr_scheduler.LinearLR(setup.Optimizer, start_factor: 0.5, total_iters: 2);
        var steps = optim.lr_scheduler.StepLR(setup.Optimizer, step_size: 2, gamma: 0.5);
        var decay = optim.lr_scheduler.ExponentialLR(setup.Optimizer, gamma: 0.9);
        var scheduler = optim.lr_scheduler.ChainedScheduler([warmup, steps, decay]);
        AssertSchedule(setup, scheduler,
        [
            0.1 * 0.5 * 1 * 1,
            0.1 * (0.5 + 0.5 * 1 / 2) * 1 * 0.9,
            0.1 * 1 * 0.5 * Math.Pow(0.9, 2),
            0.1 * 1 * 0.5 * Math.Pow(0.9, 3),
            0.1 * 1 * Math.Pow(0.5, 2) * Math.Pow(0.9, 4),
            0.1 * 1 * Math.Pow(0.5, 2) * Math.Pow(0.9, 5),
        ]);
        Assert.Equal(5, steps.last_epoch);
    }

    [Fact]
    public void ChainedScheduler_accepts_only_scaling_schedules_of_one_optimizer()
    {
        using var setup = Sgd(0.1);
        using var other = Sgd(0.1);
        var decay = optim.lr_scheduler.ExponentialLR(setup.Optimizer, gamma: 0.9);
        var cosine = optim.lr_scheduler.CosineAnnealingLR(setup.Optimizer, T_max: 5);
        var foreign = optim.lr_scheduler.StepLR(other.Optimizer, step_size: 2);
        Assert.Contains("scheduler 1 is a CosineAnnealingLR, which does not scale the base lr by a factor", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.ChainedScheduler([decay, cosine])).Message);
        Assert.Contains("scheduler 1 belongs to another optimizer", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.ChainedScheduler([decay, foreign])).Message);
        Assert.Contains("schedulers must not be empty", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.ChainedScheduler([])).Message);
    }

    // ---- validation ----------------------------------------------------------------------------------

    [Fact]
    public void Schedulers_reject_bad_arguments_with_their_name()
    {
        using var setup = Sgd(0.1);
        Assert.Contains("StepLR: step_size must be positive, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.StepLR(setup.Optimizer, 0)).Message);
        Assert.Contains("StepLR: gamma must be positive, got -0.5", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.StepLR(setup.Optimizer, 2, gamma: -0.5)).Message);
        Assert.Contains("MultiStepLR: milestones must not be empty", Assert.Throws<ArgumentException>(() => optim.lr_scheduler.MultiStepLR(setup.Optimizer, [])).Message);
        Assert.Contains("MultiStepLR: milestones[0] must be non-negative, got -1", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.MultiStepLR(setup.Optimizer, [3, -1])).Message);
        Assert.Contains("ExponentialLR: gamma must be positive, got NaN", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.ExponentialLR(setup.Optimizer, double.NaN)).Message);
        Assert.Contains("CosineAnnealingLR: T_max must be positive, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.CosineAnnealingLR(setup.Optimizer, 0)).Message);
        Assert.Contains("CosineAnnealingLR: eta_min must be non-negative, got -1", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.CosineAnnealingLR(setup.Optimizer, 5, eta_min: -1)).Message);
        Assert.Contains("LinearLR: start_factor must be in (0, 1], got 0", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.LinearLR(setup.Optimizer, start_factor: 0)).Message);
        Assert.Contains("LinearLR: end_factor must be in [0, 1], got 2", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.LinearLR(setup.Optimizer, end_factor: 2)).Message);
        Assert.Contains("LinearLR: total_iters must be positive, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => optim.lr_scheduler.LinearLR(setup.Optimizer, total_iters: 0)).Message);
        // None of the rejected constructions touched the group.
        Assert.Null(setup.Groups[0].initial_lr);
        Assert.Equal(0.1, setup.Groups[0].lr);
    }

    // ---- state_dict ----------------------------------------------------------------------------------

    public static TheoryData<string> Schedules => ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "OneCycleLR", "SequentialLR", "ChainedScheduler"];

    private static LRScheduler Create(string name, Optimizer optimizer) => name switch
    {
        "StepLR" => optim.lr_scheduler.StepLR(optimizer, step_size: 2, gamma: 0.5),
        "MultiStepLR" => optim.lr_scheduler.MultiStepLR(optimizer, [1, 4], gamma: 0.3),
        "ExponentialLR" => optim.lr_scheduler.ExponentialLR(optimizer, gamma: 0.8),
        "CosineAnnealingLR" => optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max: 5, eta_min: 0.001),
        "LinearLR" => optim.lr_scheduler.LinearLR(optimizer, total_iters: 6),
        "OneCycleLR" => optim.lr_scheduler.OneCycleLR(optimizer, max_lr: [1.0, 0.5], total_steps: 12),
        "SequentialLR" => optim.lr_scheduler.SequentialLR(optimizer,
            [optim.lr_scheduler.LinearLR(optimizer, total_iters: 2), optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max: 6)], milestones: [3]),
        "ChainedScheduler" => optim.lr_scheduler.ChainedScheduler(
            [optim.lr_scheduler.LinearLR(optimizer, total_iters: 3), optim.lr_scheduler.MultiStepLR(optimizer, [2, 6], gamma: 0.5)]),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown schedule"),
    };

    [Theory]
    [MemberData(nameof(Schedules))]
    public void State_dict_round_trip_resumes_the_same_sequence(string name)
    {
        using var original = Sgd(0.1, 0.2);
        var scheduler = Create(name, original.Optimizer);
        for (var i = 0; i < 4; i++) scheduler.step();
        var state = scheduler.state_dict();
        Assert.Equal(4, state["last_epoch"]);

        // A fresh optimizer and scheduler built with the same arguments, then loaded.
        using var resumed = Sgd(0.1, 0.2);
        var restored = Create(name, resumed.Optimizer);
        restored.load_state_dict(state);
        Assert.Equal(4, restored.last_epoch);
        Assert.Equal(scheduler.base_lrs, restored.base_lrs);
        Assert.Equal(scheduler.get_last_lr(), restored.get_last_lr());

        for (var i = 0; i < 6; i++)
        {
            scheduler.step();
            restored.step();
            for (var g = 0; g < 2; g++)
            {
                Assert.Equal(original.Groups[g].lr, resumed.Groups[g].lr);
                Assert.Equal(original.Groups[g]["momentum"], resumed.Groups[g]["momentum"]);
            }
        }
    }

    [Fact]
    public void ReduceLROnPlateau_state_dict_round_trip_resumes_with_the_optimizer_state()
    {
        using var original = Sgd(0.1);
        var scheduler = optim.lr_scheduler.ReduceLROnPlateau(original.Optimizer, factor: 0.5, patience: 1, cooldown: 2);
        double[] metrics = [1.0, 1.0, 1.0, 0.99, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        for (var i = 0; i < 4; i++) scheduler.step(metrics[i]);
        var state = scheduler.state_dict();
        Assert.True(scheduler.in_cooldown);
        using var optimizerState = original.Optimizer.state_dict();

        using var resumed = Sgd(0.1);
        var restored = optim.lr_scheduler.ReduceLROnPlateau(resumed.Optimizer, factor: 0.5, patience: 1, cooldown: 2);
        resumed.Optimizer.load_state_dict(optimizerState);
        restored.load_state_dict(state);
        Assert.Equal(scheduler.best, restored.best);
        Assert.Equal(scheduler.cooldown_counter, restored.cooldown_counter);
        for (var i = 4; i < metrics.Length; i++)
        {
            scheduler.step(metrics[i]);
            restored.step(metrics[i]);
            Assert.Equal(original.Groups[0].lr, resumed.Groups[0].lr);
            Assert.Equal(scheduler.num_bad_epochs, restored.num_bad_epochs);
        }
        Assert.True(original.Groups[0].lr < 0.1 * 0.5); // the sequence did reduce after the resume point
    }

    [Fact]
    public void A_rejected_state_leaves_the_scheduler_unchanged()
    {
        using var setup = Sgd(0.1, 0.2);
        var scheduler = optim.lr_scheduler.SequentialLR(setup.Optimizer,
            [optim.lr_scheduler.LinearLR(setup.Optimizer, total_iters: 2), optim.lr_scheduler.ExponentialLR(setup.Optimizer, gamma: 0.5)], milestones: [2]);
        scheduler.step();
        var before = scheduler.state_dict();

        var unknown = new Dictionary<string, double>(before) { ["gamma"] = 0.1 };
        Assert.Contains("unknown state entries gamma", Assert.Throws<ArgumentException>(() => scheduler.load_state_dict(unknown)).Message);

        // A nested scheduler's entry missing: the outer entries were already read when it fails.
        var missing = new Dictionary<string, double>(before);
        missing["last_epoch"] = 7;
        missing.Remove("schedulers.1.last_epoch");
        Assert.Contains("ExponentialLR: the state has no entry 'last_epoch'", Assert.Throws<ArgumentException>(() => scheduler.load_state_dict(missing)).Message);

        using var single = Sgd(0.1);
        var oneGroup = optim.lr_scheduler.StepLR(single.Optimizer, step_size: 2).state_dict();
        Assert.Contains("the state has 1 values of 'base_lrs' but the optimizer has 2 parameter groups",
            Assert.Throws<ArgumentException>(() => optim.lr_scheduler.StepLR(setup.Optimizer, step_size: 2).load_state_dict(oneGroup)).Message);

        Assert.Equal(before, scheduler.state_dict());
        Assert.Equal(1, scheduler.last_epoch);
    }
}
