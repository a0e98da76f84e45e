using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

public sealed class ScheduleStepperTests : IDisposable
{
    private readonly nn.Module _layer = nn.Linear(2, 1);
    private readonly Optimizer _optimizer;

    public ScheduleStepperTests() => _optimizer = optim.SGD(_layer.parameters(), lr: 1.0);

    public void Dispose()
    {
        _optimizer.Dispose();
        _layer.Dispose();
    }

    private double Lr => _optimizer.param_groups[0].lr;

    private static readonly Dictionary<string, double> NoValidation = new();

    private static LearningRateSchedule Chain(params (string name, Dictionary<string, object>? options)[] phases) =>
        new(phases.Select(p => new SchedulePhase(p.name, p.options)).ToList());

    /// <summary>warmup over 4 steps from half the rate, then a plateau on the validation loss that halves it after one bad epoch.</summary>
    private static LearningRateSchedule WarmupThenPlateau() => Chain(
        ("warmup", new() { ["steps"] = 4L, ["start_factor"] = 0.5 }),
        ("plateau", new() { ["factor"] = 0.5, ["patience"] = 0L }));

    [Fact]
    public void A_schedule_and_a_given_scheduler_together_are_rejected()
    {
        var options = new TrainerOptions { Schedule = WarmupThenPlateau(), Scheduler = optim.lr_scheduler.StepLR(_optimizer, 1) };
        var error = Assert.Throws<ArgumentException>(() => new ScheduleStepper(options, _optimizer));
        Assert.StartsWith("give either a Schedule (built when training starts) or a Scheduler and Plateau, not both", error.Message);
    }

    [Fact]
    public void The_per_step_part_stops_at_its_end_and_the_plateau_takes_over_from_there()
    {
        var stepper = new ScheduleStepper(new TrainerOptions { Schedule = WarmupThenPlateau() }, _optimizer);
        Assert.Null(stepper.State.Scheduler);
        stepper.Build(totalSteps: 100, maximize: _ => false);
        Assert.Equal(0.5, Lr);
        double[] expected = [0.625, 0.75, 0.875, 1.0, 1.0, 1.0];
        for (var step = 1; step <= expected.Length; step++)
        {
            stepper.OptimizerStepped(step);
            Assert.Equal(expected[step - 1], Lr, 12);
        }
        // The warmup moved on the first four steps only.
        Assert.Equal(4, stepper.State.Scheduler!["last_epoch"]);

        // Before the warmup's end the plateau does not move; from it on, once per epoch.
        stepper.EpochEnded(3, new Dictionary<string, double> { ["loss"] = 1 }, 9);
        Assert.Equal(0, stepper.State.Plateau!["last_epoch"]);
        stepper.EpochEnded(4, new Dictionary<string, double> { ["loss"] = 1 }, 9);
        Assert.Equal(1, stepper.State.Plateau!["last_epoch"]);
        Assert.Equal(1.0, Lr);
        stepper.EpochEnded(6, new Dictionary<string, double> { ["loss"] = 2 }, 9);
        Assert.Equal(0.5, Lr, 12);
    }

    [Fact]
    public void A_scheduler_moves_per_optimizer_step_or_per_epoch_as_the_interval_says()
    {
        var perStep = new ScheduleStepper(new TrainerOptions { Scheduler = optim.lr_scheduler.StepLR(_optimizer, 1, 0.5) }, _optimizer);
        perStep.Build(10, _ => false);
        perStep.OptimizerStepped(1);
        perStep.OptimizerStepped(2);
        Assert.Equal(0.25, Lr, 12);
        perStep.EpochEnded(2, NoValidation, 0);
        Assert.Equal(0.25, Lr, 12);

        using var layer = nn.Linear(2, 1);
        using var optimizer = optim.SGD(layer.parameters(), lr: 1.0);
        var perEpoch = new ScheduleStepper(new TrainerOptions { Scheduler = optim.lr_scheduler.StepLR(optimizer, 1, 0.5), SchedulerInterval = ScheduleInterval.Epoch }, optimizer);
        perEpoch.OptimizerStepped(1);
        perEpoch.OptimizerStepped(2);
        Assert.Equal(1.0, optimizer.param_groups[0].lr);
        perEpoch.EpochEnded(2, NoValidation, 0);
        Assert.Equal(0.5, optimizer.param_groups[0].lr, 12);
    }

    [Fact]
    public void A_given_plateau_reads_early_stoppings_monitor_then_the_validation_loss_then_the_training_loss()
    {
        var monitored = new ScheduleStepper(new TrainerOptions
        {
            Plateau = optim.lr_scheduler.ReduceLROnPlateau(_optimizer, mode: "max"),
            EarlyStop = new EarlyStopping("kind.accuracy"),
        }, _optimizer);
        monitored.EpochEnded(1, new Dictionary<string, double> { ["kind.accuracy"] = 0.7, ["loss"] = 3 }, 5);
        Assert.Equal(0.7, monitored.State.Plateau!["best"]);

        var unmonitored = new ScheduleStepper(new TrainerOptions { Plateau = optim.lr_scheduler.ReduceLROnPlateau(_optimizer) }, _optimizer);
        unmonitored.EpochEnded(1, new Dictionary<string, double> { ["kind.accuracy"] = 0.7, ["loss"] = 3 }, 5);
        Assert.Equal(3, unmonitored.State.Plateau!["best"]);
        unmonitored.EpochEnded(2, NoValidation, 2);
        Assert.Equal(2, unmonitored.State.Plateau!["best"]);
    }

    [Fact]
    public void A_chains_plateau_reads_its_own_monitor()
    {
        var schedule = Chain(("plateau", new() { ["monitor"] = "value.mae" }));
        var stepper = new ScheduleStepper(new TrainerOptions { Schedule = schedule, EarlyStop = new EarlyStopping("kind.accuracy") }, _optimizer);
        stepper.Build(10, _ => false);
        stepper.EpochEnded(1, new Dictionary<string, double> { ["kind.accuracy"] = 0.7, ["value.mae"] = 0.4, ["loss"] = 3 }, 5);
        Assert.Equal(0.4, stepper.State.Plateau!["best"]);
    }

    [Fact]
    public void A_state_restored_before_the_chain_is_built_is_kept_until_then_and_applied_when_built()
    {
        using var layer = nn.Linear(2, 1);
        using var optimizer = optim.SGD(layer.parameters(), lr: 1.0);
        var earlier = new ScheduleStepper(new TrainerOptions { Schedule = WarmupThenPlateau() }, optimizer);
        earlier.Build(100, _ => false);
        for (var step = 1; step <= 3; step++) earlier.OptimizerStepped(step);
        var saved = earlier.State;

        var stepper = new ScheduleStepper(new TrainerOptions { Schedule = WarmupThenPlateau() }, _optimizer);
        stepper.Restore(saved);
        Assert.Same(saved, stepper.State);
        stepper.Build(100, _ => false);
        Assert.Equal(saved.Scheduler, stepper.State.Scheduler);
        Assert.Equal(saved.Plateau, stepper.State.Plateau);
        // The fourth step ends the warmup: it continued from the third, not from the start.
        stepper.OptimizerStepped(4);
        Assert.Equal(1.0, Lr, 12);
        Assert.Equal(4, stepper.State.Scheduler!["last_epoch"]);
    }

    [Fact]
    public void Building_again_keeps_the_built_schedulers_and_their_progress()
    {
        var stepper = new ScheduleStepper(new TrainerOptions { Schedule = Chain(("cosine", null)) }, _optimizer);
        stepper.Build(10, _ => false);
        for (var step = 1; step <= 3; step++) stepper.OptimizerStepped(step);
        var lr = Lr;
        stepper.Build(1000, _ => false);
        Assert.Equal(3, stepper.State.Scheduler!["last_epoch"]);
        Assert.Equal(lr, Lr);
    }

    [Fact]
    public void A_state_restored_into_given_schedulers_applies_at_once_and_a_missing_part_is_left_alone()
    {
        var scheduler = optim.lr_scheduler.StepLR(_optimizer, 1, 0.5);
        var stepper = new ScheduleStepper(new TrainerOptions { Scheduler = scheduler, Plateau = optim.lr_scheduler.ReduceLROnPlateau(_optimizer) }, _optimizer);
        var state = scheduler.state_dict();
        state["last_epoch"] = 7;
        var plateauBefore = stepper.State.Plateau;
        stepper.Restore(new ScheduleState(state, null));
        Assert.Equal(7, scheduler.last_epoch);
        Assert.Equal(plateauBefore, stepper.State.Plateau);
    }
}
