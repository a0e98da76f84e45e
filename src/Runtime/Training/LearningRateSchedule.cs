using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;

namespace Mtl.Training;

/// <summary>One schedule of a chain, by its .mtl name and options (those of <see cref="ScheduleCatalog"/>).</summary>
public sealed record SchedulePhase(string Name, IReadOnlyDictionary<string, object>? Options = null);

/// <summary>
/// The learning-rate schedule of a .mtl file, <c>schedule a -> b -> c</c>: schedules run one after
/// another, each from the step the previous one ended at, and all scale the optimizer's initial
/// learning rates (PyTorch's <c>SequentialLR</c>). Durations count optimizer steps. A schedule
/// without an end may only come last; <c>cosine</c> and <c>onecycle</c> without <c>steps</c> run for
/// the rest of training, which is why the schedule is built only when a run's length is known
/// (<see cref="Trainer"/> does that when <c>Fit</c> starts). <c>plateau</c> steps once per epoch on
/// its monitor and takes over when the schedules before it have ended; a bounded chain that ends
/// before training does holds its last rate.
/// </summary>
public sealed class LearningRateSchedule
{
    private readonly IReadOnlyDictionary<string, OptionValue?>[] _options;

    public LearningRateSchedule(IReadOnlyList<SchedulePhase> phases)
    {
        ArgumentNullException.ThrowIfNull(phases);
        if (phases.Count == 0) throw new ArgumentException("a schedule needs at least one phase", nameof(phases));
        Phases = phases;
        _options = new IReadOnlyDictionary<string, OptionValue?>[phases.Count];
        for (var i = 0; i < phases.Count; i++)
        {
            var phase = phases[i];
            if (!ScheduleCatalog.All.TryGetValue(phase.Name, out var spec))
            {
                throw new ArgumentException($"unknown schedule '{phase.Name}'; known: {string.Join(", ", ScheduleCatalog.All.Keys)}", nameof(phases));
            }
            _options[i] = spec.Resolve(phase.Options?.ToDictionary(p => p.Key, p => OptionValue.From(p.Value), StringComparer.Ordinal));
            // Only some schedules have a steps option: step, multistep, exponential and plateau never end.
            var hasSteps = _options[i].TryGetValue("steps", out var steps) && steps is not null;
            if (i < phases.Count - 1 && !ScheduleCatalog.IsBounded(phase.Name, hasSteps))
            {
                throw new ArgumentException($"schedule '{phase.Name}' never ends, so it can only be the last in a chain", nameof(phases));
            }
        }
    }

    public IReadOnlyList<SchedulePhase> Phases { get; }

    /// <summary>The plateau phase's monitor (<c>loss</c> or <c>task.metric</c>), or null when the chain has none.</summary>
    public string? PlateauMonitor => Phases[^1].Name == "plateau" ? Word(_options[^1], "monitor") : null;

    /// <summary>
    /// Builds the schedulers for a run of <paramref name="totalSteps"/> optimizer steps: the
    /// per-step part (null when the chain is only a plateau), the step after which it stops
    /// moving, and the plateau (null when there is none). <paramref name="maximize"/> says, for a
    /// plateau without <c>mode</c>, whether its monitor improves upward.
    /// </summary>
    internal Built Build(Optimizer optimizer, long totalSteps, Func<string, bool> maximize)
    {
        var perStep = new List<LRScheduler>();
        var milestones = new List<int>();
        long start = 0;
        ReduceLROnPlateau? plateau = null;
        int? last = null;
        for (var i = 0; i < Phases.Count; i++)
        {
            var o = _options[i];
            var name = Phases[i].Name;
            if (name == "plateau")
            {
                var mode = Word(o, "mode") ?? (maximize(Word(o, "monitor")!) ? "max" : "min");
                plateau = new ReduceLROnPlateau(optimizer, mode, Number(o, "factor"), (int)Integer(o, "patience"), min_lr: Number(o, "min_lr"));
                break;
            }
            var steps = o.TryGetValue("steps", out var given) && given is IntegerValue s ? s.Value : (long?)null;
            if (steps is null && name is "cosine" or "onecycle")
            {
                // The rest of training. A run shorter than the schedules before this one never
                // reaches it; it still needs a length its scheduler accepts.
                steps = start < totalSteps ? totalSteps - start : name == "onecycle" ? ShortestCycle(Number(o, "pct_start")) : 1;
            }
            if (start > 0) milestones.Add(Checked(start));
            perStep.Add(name switch
            {
                "warmup" => new Warmup(optimizer, Number(o, "start_factor"), Checked(steps!.Value)),
                "linear" => new LinearLR(optimizer, Number(o, "start_factor"), Number(o, "end_factor"), Checked(steps!.Value)),
                "cosine" => new CosineAnnealingLR(optimizer, Checked(steps!.Value), Number(o, "min_lr")),
                "onecycle" => new OneCycleLR(optimizer, Number(o, "max_lr"), total_steps: Checked(steps!.Value), pct_start: Number(o, "pct_start"),
                    anneal_strategy: Word(o, "anneal")!, div_factor: Number(o, "div_factor"), final_div_factor: Number(o, "final_div_factor")),
                "step" => new StepLR(optimizer, (int)Integer(o, "step_size"), Number(o, "gamma")),
                "multistep" => new MultiStepLR(optimizer, ((ListValue)o["milestones"]!).Items.Select(m => (int)((IntegerValue)m).Value), Number(o, "gamma")),
                "exponential" => new ExponentialLR(optimizer, Number(o, "gamma")),
                _ => throw new InvalidOperationException($"schedule '{name}' is in the catalog but has no implementation"),
            });
            start = steps is { } bounded ? start + bounded : long.MaxValue;
            last = i;
        }
        if (last is { } l && Phases[l].Name == "onecycle")
        {
            // One step past its cycle OneCycleLR's formula leaves the cycle (annealed linearly, the
            // rate turns negative): once the chain has ended, the cycle's last rate holds.
            milestones.Add(Checked(start));
            perStep.Add(new Hold(optimizer, Number(_options[l], "final_div_factor")));
        }
        LRScheduler? scheduler = perStep.Count switch
        {
            0 => null,
            1 => perStep[0],
            _ => new SequentialLR(optimizer, perStep, milestones),
        };
        return new Built(scheduler, start, plateau);
    }

    /// <param name="Steps">Stepped after every optimizer step while the step count is at most <paramref name="StepsEnd"/>.</param>
    /// <param name="StepsEnd">The step at which the per-step part has ended (long.MaxValue when it never does).</param>
    /// <param name="Plateau">Stepped once per epoch once the step count has reached <paramref name="StepsEnd"/>.</param>
    internal sealed record Built(LRScheduler? Steps, long StepsEnd, ReduceLROnPlateau? Plateau);

    private static double Number(IReadOnlyDictionary<string, OptionValue?> options, string name) => options[name]!.AsNumber();

    private static long Integer(IReadOnlyDictionary<string, OptionValue?> options, string name) => ((IntegerValue)options[name]!).Value;

    private static string? Word(IReadOnlyDictionary<string, OptionValue?> options, string name) => (options[name] as NameValue)?.Value;

    /// <summary>The fewest steps a cycle with <paramref name="pctStart"/> can have: its rising phase, up to pct_start · steps − 1, must not be empty.</summary>
    private static long ShortestCycle(double pctStart)
    {
        var steps = (long)Math.Floor(1 / pctStart) + 1;
        while (!(pctStart * steps - 1 > 0)) steps++;
        return steps;
    }

    private static int Checked(long steps) =>
        steps <= int.MaxValue ? (int)steps : throw new ArgumentOutOfRangeException(nameof(steps), steps, "a schedule longer than 2147483647 steps is not supported");

    /// <summary>
    /// What follows a onecycle that ends the chain: its last rate, the initial rate it recorded
    /// (max_lr / div_factor) divided by final_div_factor.
    /// </summary>
    private sealed class Hold : LRScheduler
    {
        private readonly double _finalDivFactor;

        public Hold(Optimizer optimizer, double finalDivFactor) : base(optimizer)
        {
            _finalDivFactor = finalDivFactor;
            Start();
        }

        protected override void Apply(int index, ParamGroup group) => group.lr = base_lrs[index] / _finalDivFactor;
    }

    /// <summary>
    /// <c>warmup(steps, start_factor)</c>: the rate rises linearly from start_factor · lr to lr over
    /// <c>steps</c>, then holds. Unlike PyTorch's <c>LinearLR</c> it may start at 0: this closed form
    /// never divides by the previous factor.
    /// </summary>
    private sealed class Warmup : ScaledLRScheduler
    {
        private readonly double _startFactor;
        private readonly int _steps;

        public Warmup(Optimizer optimizer, double startFactor, int steps) : base(optimizer)
        {
            _startFactor = startFactor;
            _steps = steps;
            Start();
        }

        public override double factor(int epoch) => _startFactor + (1 - _startFactor) * Math.Min(_steps, epoch) / _steps;
    }
}
