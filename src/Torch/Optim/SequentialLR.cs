namespace Mtl.Torch.Modules;

/// <summary>
/// Runs schedulers one after another (PyTorch's <c>SequentialLR</c>): scheduler <c>i</c> is in
/// charge from epoch <c>milestones[i − 1]</c> (0 for the first) up to the next milestone, and at
/// its milestone it restarts at its own epoch 0 (so a warmup followed by a decay reads
/// <c>LinearLR</c> then <c>CosineAnnealingLR</c> with milestone = warmup length). The schedulers
/// must belong to the same optimizer; their own construction-time steps are superseded.
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0) throw new ArgumentException("SequentialLR: schedulers must not be empty", nameof(schedulers));
        for (var i = 0; i < schedulers.Count; i++)
        {
            if (!ReferenceEquals(schedulers[i].optimizer, optimizer)) throw new ArgumentException($"SequentialLR: scheduler {i} belongs to another optimizer", nameof(schedulers));
            if (schedulers[i] is SequentialLR or ChainedScheduler)
            {
                throw new ArgumentException($"SequentialLR: scheduler {i} is a {schedulers[i].GetType().Name}, which cannot be restarted at a milestone", nameof(schedulers));
            }
        }
        if (milestones.Count != schedulers.Count - 1)
        {
            throw new ArgumentException($"SequentialLR: expected {schedulers.Count - 1} milestones (one fewer than the {schedulers.Count} schedulers), got {milestones.Count}", nameof(milestones));
        }
        for (var i = 0; i < milestones.Count; i++)
        {
            var previous = i == 0 ? 0 : milestones[i - 1];
            if (milestones[i] <= previous) throw new ArgumentException($"SequentialLR: milestones must be positive and increasing, got {string.Join(", ", milestones)}", nameof(milestones));
        }
        _schedulers = schedulers.ToArray();
        _milestones = milestones.ToArray();

        // As PyTorch: every scheduler steps back one epoch, then the first retakes its initial step.
        foreach (var scheduler in _schedulers) scheduler.last_epoch--;
        RecordBaseLrs();
        last_epoch = 0;
        _schedulers[0].step();
        RecordLastLr();
    }

    public IReadOnlyList<LRScheduler> schedulers => _schedulers;

    public IReadOnlyList<int> milestones => _milestones;

    public override void step()
    {
        last_epoch++;
        var index = Active;
        var scheduler = _schedulers[index];
        if (index > 0 && _milestones[index - 1] == last_epoch)
        {
            scheduler.StepTo(0);
        }
        else
        {
            scheduler.step();
        }
        RecordLastLr();
    }

    /// <summary>The index of the scheduler in charge at <see cref="LRScheduler.last_epoch"/>: bisect_right(milestones, last_epoch).</summary>
    private int Active => _milestones.Count(milestone => milestone <= last_epoch);

    protected internal override void Apply(int index, ParamGroup group) => _schedulers[Active].Apply(index, group);

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
