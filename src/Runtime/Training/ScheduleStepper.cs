using Mtl.Torch.Modules;

namespace Mtl.Training;

/// <summary>The schedulers' progress a checkpoint keeps: each one's <c>state_dict</c>, null where there is none.</summary>
internal sealed record ScheduleState(Dictionary<string, double>? Scheduler, Dictionary<string, double>? Plateau);

/// <summary>
/// Runs a trainer's learning-rate schedule: the <see cref="TrainerOptions.Scheduler"/> and
/// <see cref="TrainerOptions.Plateau"/> given, or the <see cref="TrainerOptions.Schedule"/> chain,
/// built once the run's length is known. The per-step part moves after every optimizer step (or
/// every epoch, by <see cref="TrainerOptions.SchedulerInterval"/>) until it has ended; the plateau
/// moves once per epoch, on its monitor, from then on. A state restored before the chain is built
/// waits for it.
/// </summary>
internal sealed class ScheduleStepper
{
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule? _schedule;
    private readonly ScheduleInterval _interval;
    private readonly string? _earlyStopMonitor;
    private LRScheduler? _scheduler;
    private long _schedulerEnd = long.MaxValue;
    private ReduceLROnPlateau? _plateau;
    private long _plateauFrom;
    private string? _plateauMonitor;
    private ScheduleState? _pending;

    public ScheduleStepper(TrainerOptions options, Optimizer optimizer)
    {
        if (options.Schedule is not null && (options.Scheduler is not null || options.Plateau is not null))
        {
            throw new ArgumentException("give either a Schedule (built when training starts) or a Scheduler and Plateau, not both", nameof(options));
        }
        _optimizer = optimizer;
        _schedule = options.Schedule;
        _interval = options.SchedulerInterval;
        _earlyStopMonitor = options.EarlyStop?.Monitor;
        _scheduler = options.Scheduler;
        _plateau = options.Plateau;
    }

    /// <summary>The per-step scheduler: given, or built from the chain (null before it is built, or when the chain is only a plateau).</summary>
    public LRScheduler? Scheduler => _scheduler;

    /// <summary>The plateau: given, or built from the chain (null before it is built, or when the chain has none).</summary>
    public ReduceLROnPlateau? Plateau => _plateau;

    private bool WaitingToBuild => _schedule is not null && _scheduler is null && _plateau is null;

    /// <summary>
    /// Builds the chain, once, for a run of <paramref name="totalSteps"/> optimizer steps, and
    /// applies a state restored before; <paramref name="maximize"/> says which way a plateau's
    /// monitor improves. Nothing to do for given schedulers.
    /// </summary>
    public void Build(long totalSteps, Func<string, bool> maximize)
    {
        if (!WaitingToBuild) return;
        // Building a scheduler sets the groups' rates (and onecycle's momentum) for step 0; a
        // checkpoint restored the optimizer's options for a later step, and they must win.
        var restored = _pending is null ? null : _optimizer.param_groups.Select(g => g.options.ToDictionary(o => o.Key, o => o.Value)).ToList();
        var built = _schedule!.Build(_optimizer, totalSteps, maximize);
        (_scheduler, _schedulerEnd, _plateau, _plateauFrom) = (built.Steps, built.StepsEnd, built.Plateau, built.StepsEnd);
        _plateauMonitor = _schedule.PlateauMonitor;
        if (_pending is { } pending)
        {
            if (pending.Scheduler is { } s) _scheduler?.load_state_dict(s);
            if (pending.Plateau is { } p) _plateau?.load_state_dict(p);
            _pending = null;
            for (var g = 0; g < restored!.Count; g++)
            {
                foreach (var (key, value) in restored[g]) _optimizer.param_groups[g][key] = value;
            }
        }
    }

    /// <summary>After optimizer step number <paramref name="step"/> (counting from 1).</summary>
    public void OptimizerStepped(long step)
    {
        if (_scheduler is { } scheduler && _interval == ScheduleInterval.Step && step <= _schedulerEnd) scheduler.step();
    }

    /// <summary>
    /// After an epoch that ended at optimizer step <paramref name="step"/>: the per-epoch
    /// scheduler, then the plateau on its monitor (else early stopping's), falling back to the
    /// validation <c>loss</c> and then to <paramref name="trainLoss"/>.
    /// </summary>
    public void EpochEnded(long step, IReadOnlyDictionary<string, double> validation, double trainLoss)
    {
        if (_scheduler is { } scheduler && _interval == ScheduleInterval.Epoch) scheduler.step();
        if (_plateau is { } plateau && step >= _plateauFrom)
        {
            var monitor = _plateauMonitor ?? _earlyStopMonitor;
            var monitored = monitor is not null && validation.TryGetValue(monitor, out var m) ? m
                : validation.TryGetValue("loss", out var l) ? l : trainLoss;
            plateau.step(monitored);
        }
    }

    /// <summary>The schedulers' states; a state restored before the chain is built, as it was restored.</summary>
    public ScheduleState State => _pending ?? new ScheduleState(_scheduler?.state_dict(), _plateau?.state_dict());

    /// <summary>
    /// Throws what <see cref="Restore"/> would throw for <paramref name="state"/> and changes
    /// nothing: each scheduler there is loads the state and then its own again (a scheduler's load
    /// touches only the scheduler, and a rejected one changes nothing). A chain not built yet
    /// checks the state when it is built.
    /// </summary>
    public void Check(ScheduleState state)
    {
        if (WaitingToBuild) return;
        if (state.Scheduler is not null && _scheduler is { } scheduler)
        {
            var own = scheduler.state_dict();
            scheduler.load_state_dict(state.Scheduler);
            scheduler.load_state_dict(own);
        }
        if (state.Plateau is not null && _plateau is { } plateau)
        {
            var own = plateau.state_dict();
            plateau.load_state_dict(state.Plateau);
            plateau.load_state_dict(own);
        }
    }

    /// <summary>Restores the schedulers' states now, or, for a chain not built yet, when it is.</summary>
    public void Restore(ScheduleState state)
    {
        if (WaitingToBuild)
        {
            _pending = state;
            return;
        }
        if (state.Scheduler is not null) _scheduler?.load_state_dict(state.Scheduler);
        if (state.Plateau is not null) _plateau?.load_state_dict(state.Plateau);
    }
}
