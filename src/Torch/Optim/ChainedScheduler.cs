namespace Mtl.Torch.Modules;

/// <summary>
/// Steps several schedules of one optimizer together, their effects multiplying (PyTorch's
/// <c>ChainedScheduler</c>): <c>lr = base_lr · Π factor_k(last_epoch_k)</c>, which is what
/// PyTorch's chainable forms give for these schedules. Only <see cref="ScaledLRScheduler"/>s
/// (StepLR, MultiStepLR, ExponentialLR, LinearLR) can be chained; for a warmup followed by
/// another schedule such as a cosine, use <see cref="SequentialLR"/>.
/// </summary>
public sealed class ChainedScheduler : LRScheduler
{
    private readonly ScaledLRScheduler[] _schedulers;

    public ChainedScheduler(IReadOnlyList<LRScheduler> schedulers) : base(FirstOptimizer(schedulers))
    {
        var chained = new ScaledLRScheduler[schedulers.Count];
        for (var i = 0; i < schedulers.Count; i++)
        {
            if (!ReferenceEquals(schedulers[i].optimizer, optimizer))
            {
                throw new ArgumentException($"ChainedScheduler: scheduler {i} belongs to another optimizer than scheduler 0", nameof(schedulers));
            }
            chained[i] = schedulers[i] as ScaledLRScheduler
                ?? throw new ArgumentException($"ChainedScheduler: scheduler {i} is a {schedulers[i].GetType().Name}, which does not scale the base lr by a factor; chain StepLR, MultiStepLR, ExponentialLR or LinearLR, or use SequentialLR", nameof(schedulers));
        }
        _schedulers = chained;
        Start();
    }

    public IReadOnlyList<LRScheduler> schedulers => _schedulers;

    private static Optimizer FirstOptimizer(IReadOnlyList<LRScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Count == 0) throw new ArgumentException("ChainedScheduler: schedulers must not be empty", nameof(schedulers));
        return schedulers[0].optimizer;
    }

    /// <summary>Steps every chained schedule, then sets each group's lr to the product of their factors.</summary>
    public override void step()
    {
        foreach (var scheduler in _schedulers) scheduler.step();
        base.step();
    }

    protected internal override void Apply(int index, ParamGroup group)
    {
        var lr = base_lrs[index];
        foreach (var scheduler in _schedulers) lr *= scheduler.factor(scheduler.last_epoch);
        group.lr = lr;
    }

    private protected override void WriteState(Dictionary<string, double> state)
    {
        base.WriteState(state);
        WriteSchedulers(state, _schedulers);
    }

    private protected override void ReadState(SchedulerStateReader reader)
    {
        base.ReadState(reader);
        ReadSchedulers(reader, _schedulers);
    }
}
