using static Mtl.Torch.Modules.SchedulerArguments;

namespace Mtl.Torch.Modules;

/// <summary>
/// The 1cycle policy (Smith and Topin, 2017) as PyTorch's <c>OneCycleLR</c>, stepped once per
/// batch. With <c>initial_lr = max_lr / div_factor</c> and <c>min_lr = initial_lr / final_div_factor</c>,
/// the rate anneals initial_lr → max_lr over the steps up to <c>pct_start · total_steps − 1</c>, then
/// max_lr → min_lr up to <c>total_steps − 1</c> (three-phase: initial → max → initial → min, the
/// second phase ending at <c>2 · pct_start · total_steps − 2</c>). Within a phase running from
/// step <c>s</c> to <c>e</c>, <c>pct = (last_epoch − s) / (e − s)</c> and
/// <c>cos: end + (start − end) / 2 · (cos(π · pct) + 1)</c>, <c>linear: (end − start) · pct + start</c>.
/// With <c>cycle_momentum</c>, momentum moves inversely between <c>max_momentum</c> and
/// <c>base_momentum</c>; it is written to the group's <c>beta1</c> (Adam, AdamW) or
/// <c>momentum</c> (SGD, RMSprop). Construction overwrites each group's <see cref="ParamGroup.initial_lr"/>.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private enum Level
    {
        Initial,
        Max,
        Min,
        Base,
    }

    private sealed record Phase(double end_step, Level start_lr, Level end_lr, Level start_momentum, Level end_momentum);

    private readonly double[] _maxLrs;
    private readonly Phase[] _phases;
    private readonly string? _momentumOption;

    /// <summary>One cycle with the same <paramref name="max_lr"/> for every parameter group.</summary>
    public OneCycleLR(Optimizer optimizer, double max_lr, int? total_steps = null, int? epochs = null, int? steps_per_epoch = null, double pct_start = 0.3, string anneal_strategy = "cos",
        bool cycle_momentum = true, double base_momentum = 0.85, double max_momentum = 0.95, double div_factor = 25, double final_div_factor = 1e4, bool three_phase = false)
        : this(optimizer, Enumerable.Repeat(max_lr, optimizer?.param_groups.Count ?? 0).ToArray(), total_steps, epochs, steps_per_epoch, pct_start, anneal_strategy,
            cycle_momentum, base_momentum, max_momentum, div_factor, final_div_factor, three_phase)
    {
    }

    /// <summary>One cycle with a <paramref name="max_lr"/> per parameter group.</summary>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> max_lr, int? total_steps = null, int? epochs = null, int? steps_per_epoch = null, double pct_start = 0.3, string anneal_strategy = "cos",
        bool cycle_momentum = true, double base_momentum = 0.85, double max_momentum = 0.95, double div_factor = 25, double final_div_factor = 1e4, bool three_phase = false)
        : base(optimizer)
    {
        const string name = nameof(OneCycleLR);
        ArgumentNullException.ThrowIfNull(max_lr);
        var groups = optimizer.param_groups;
        if (max_lr.Count != groups.Count) throw new ArgumentException($"{name}: expected {groups.Count} values of max_lr (one per parameter group), got {max_lr.Count}", nameof(max_lr));
        foreach (var lr in max_lr) Positive(name, nameof(max_lr), lr);
        this.total_steps = TotalSteps(total_steps, epochs, steps_per_epoch);
        InRange(name, nameof(pct_start), pct_start, 0, 1);
        OneOf(name, nameof(anneal_strategy), anneal_strategy, "cos", "linear");
        Positive(name, nameof(div_factor), div_factor);
        Positive(name, nameof(final_div_factor), final_div_factor);
        if (cycle_momentum)
        {
            InRange(name, nameof(base_momentum), base_momentum, 0, 1, highOpen: true);
            InRange(name, nameof(max_momentum), max_momentum, 0, 1, highOpen: true);
            _momentumOption = optimizer.defaults.ContainsKey("beta1") ? "beta1" : optimizer.defaults.ContainsKey("momentum") ? "momentum" : null;
            if (_momentumOption is null)
            {
                throw new ArgumentException($"{name}: cycle_momentum needs an optimizer with a 'momentum' or 'beta1' option, and {optimizer.GetType().Name} has neither; pass cycle_momentum: false", nameof(cycle_momentum));
            }
        }
        _phases = three_phase
            ?
            [
                new Phase(pct_start * this.total_steps - 1, Level.Initial, Level.Max, Level.Max, Level.Base),
                new Phase(2 * pct_start * this.total_steps - 2, Level.Max, Level.Initial, Level.Base, Level.Max),
                new Phase(this.total_steps - 1, Level.Initial, Level.Min, Level.Max, Level.Max),
            ]
            :
            [
                new Phase(pct_start * this.total_steps - 1, Level.Initial, Level.Max, Level.Max, Level.Base),
                new Phase(this.total_steps - 1, Level.Max, Level.Min, Level.Base, Level.Max),
            ];
        // PyTorch divides by each phase's length; an empty phase would fail there on the first step.
        double start = 0;
        for (var i = 0; i < _phases.Length; i++)
        {
            if (!(_phases[i].end_step > start))
            {
                throw new ArgumentException($"{name}: phase {i + 1} of the schedule is empty (total_steps = {this.total_steps}, pct_start = {pct_start}); use more steps or another pct_start", nameof(pct_start));
            }
            start = _phases[i].end_step;
        }

        _maxLrs = max_lr.ToArray();
        this.pct_start = pct_start;
        this.anneal_strategy = anneal_strategy;
        this.cycle_momentum = cycle_momentum;
        this.base_momentum = base_momentum;
        this.max_momentum = max_momentum;
        this.div_factor = div_factor;
        this.final_div_factor = final_div_factor;
        this.three_phase = three_phase;
        for (var i = 0; i < groups.Count; i++) groups[i].initial_lr = _maxLrs[i] / div_factor;
        Start();
    }

    public int total_steps { get; }

    public double pct_start { get; }

    public string anneal_strategy { get; }

    public bool cycle_momentum { get; }

    public double base_momentum { get; }

    public double max_momentum { get; }

    public double div_factor { get; }

    public double final_div_factor { get; }

    public bool three_phase { get; }

    public IReadOnlyList<double> max_lrs => _maxLrs;

    private static int TotalSteps(int? total_steps, int? epochs, int? steps_per_epoch)
    {
        const string name = nameof(OneCycleLR);
        if (total_steps is { } total)
        {
            Positive(name, nameof(total_steps), total);
            return total;
        }
        if (epochs is not { } e || steps_per_epoch is not { } s) throw new ArgumentException($"{name}: give either total_steps or both epochs and steps_per_epoch");
        Positive(name, nameof(epochs), e);
        Positive(name, nameof(steps_per_epoch), s);
        return checked(e * s);
    }

    protected override void ValidateEpoch(int epoch)
    {
        if (epoch > total_steps) throw new InvalidOperationException($"OneCycleLR: stepped {epoch + 1} times but total_steps is {total_steps}");
    }

    protected internal override void Apply(int index, ParamGroup group)
    {
        double start = 0;
        for (var i = 0; i < _phases.Length; i++)
        {
            var phase = _phases[i];
            if (last_epoch <= phase.end_step || i == _phases.Length - 1)
            {
                var pct = (last_epoch - start) / (phase.end_step - start);
                group.lr = Anneal(Lr(phase.start_lr, index), Lr(phase.end_lr, index), pct);
                if (_momentumOption is not null) group[_momentumOption] = Anneal(Momentum(phase.start_momentum), Momentum(phase.end_momentum), pct);
                return;
            }
            start = phase.end_step;
        }
    }

    private double Anneal(double start, double end, double pct) =>
        anneal_strategy == "cos" ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (end - start) * pct + start;

    private double Lr(Level level, int index) => level switch
    {
        Level.Initial => base_lrs[index],
        Level.Max => _maxLrs[index],
        Level.Min => base_lrs[index] / final_div_factor,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "not a learning-rate level"),
    };

    private double Momentum(Level level) => level switch
    {
        Level.Max => max_momentum,
        Level.Base => base_momentum,
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, "not a momentum level"),
    };
}
