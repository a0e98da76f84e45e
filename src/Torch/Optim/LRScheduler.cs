namespace Mtl.Torch.Modules;

/// <summary>
/// Base of the epoch-indexed learning-rate schedulers, after PyTorch 1.13's <c>_LRScheduler</c>.
/// Construction records each group's <see cref="ParamGroup.initial_lr"/> (set from its lr unless
/// an earlier scheduler already set it) as <see cref="base_lrs"/> and takes the first step, so the
/// optimizer holds the lr of epoch 0. Call <see cref="step"/> after <c>optimizer.step()</c>.
/// </summary>
/// <remarks>
/// The lr of an epoch is computed from <see cref="base_lrs"/> and <see cref="last_epoch"/> (PyTorch's
/// closed form, equal to its chainable form for an undisturbed schedule), so an lr written to a
/// group from outside is replaced at the next step rather than scaled as PyTorch would.
/// </remarks>
public abstract class LRScheduler
{
    private double[] _baseLrs = [];
    private double[] _lastLr = [];

    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        this.optimizer = optimizer;
        last_epoch = -1;
    }

    public Optimizer optimizer { get; }

    /// <summary>The epoch (or batch) the optimizer's learning rates are set for; 0 after construction.</summary>
    public int last_epoch { get; internal set; }

    /// <summary>Each group's <see cref="ParamGroup.initial_lr"/> when the scheduler started.</summary>
    public IReadOnlyList<double> base_lrs => _baseLrs;

    /// <summary>The learning rate of each group as the last step set it.</summary>
    public IReadOnlyList<double> get_last_lr() => _lastLr;

    /// <summary>Advances one epoch and sets every group's learning rate for it.</summary>
    public virtual void step() => StepTo(last_epoch + 1);

    /// <summary>Sets <see cref="last_epoch"/> to <paramref name="epoch"/> and every group's schedule for it.</summary>
    internal void StepTo(int epoch)
    {
        var groups = optimizer.param_groups;
        if (groups.Count != _baseLrs.Length)
        {
            throw new InvalidOperationException($"{GetType().Name}: the optimizer has {groups.Count} parameter groups but the scheduler was started with {_baseLrs.Length}");
        }
        ValidateEpoch(epoch);
        last_epoch = epoch;
        for (var i = 0; i < groups.Count; i++) Apply(i, groups[i]);
        RecordLastLr();
    }

    /// <summary>Rejects an epoch the schedule does not reach (nothing has changed yet).</summary>
    protected virtual void ValidateEpoch(int epoch)
    {
    }

    /// <summary>
    /// Sets group <paramref name="index"/>'s learning rate (and any other scheduled option) for
    /// <see cref="last_epoch"/>.
    /// </summary>
    protected internal abstract void Apply(int index, ParamGroup group);

    /// <summary>
    /// Records the base learning rates and takes the step to epoch 0; a derived constructor calls
    /// it last, once its own fields are set and validated.
    /// </summary>
    protected void Start()
    {
        RecordBaseLrs();
        StepTo(0);
    }

    private protected void RecordBaseLrs()
    {
        foreach (var group in optimizer.param_groups) group.initial_lr ??= group.lr;
        _baseLrs = optimizer.param_groups.Select(group => group.initial_lr!.Value).ToArray();
    }

    private protected void RecordLastLr() => _lastLr = optimizer.param_groups.Select(group => group.lr).ToArray();

    // ---- state ---------------------------------------------------------------------------------

    /// <summary>
    /// The scheduler's progress as named numbers (<c>last_epoch</c>, <c>base_lrs.i</c>,
    /// <c>last_lr.i</c>, ...). Hyperparameters are not included: restore into a scheduler
    /// constructed with the same arguments, alongside the optimizer's own state.
    /// </summary>
    public Dictionary<string, double> state_dict()
    {
        var state = new Dictionary<string, double>();
        WriteState(state);
        return state;
    }

    /// <summary>Restores a state from <see cref="state_dict"/>; a rejected state changes nothing.</summary>
    public void load_state_dict(IReadOnlyDictionary<string, double> state) =>
        SchedulerStateReader.LoadAtomically(state, GetType().Name, state_dict, ReadState);

    private protected virtual void WriteState(Dictionary<string, double> state)
    {
        state["last_epoch"] = last_epoch;
        state.PutList("base_lrs", _baseLrs);
        state.PutList("last_lr", _lastLr);
    }

    private protected virtual void ReadState(SchedulerStateReader reader)
    {
        var groups = optimizer.param_groups.Count;
        last_epoch = reader.Integer("last_epoch");
        _baseLrs = reader.List("base_lrs", groups);
        _lastLr = reader.List("last_lr", groups);
    }

    /// <summary>Stores the states of a composite's schedulers as <c>schedulers.i.key</c>.</summary>
    private protected static void WriteSchedulers(Dictionary<string, double> state, IReadOnlyList<LRScheduler> schedulers)
    {
        for (var i = 0; i < schedulers.Count; i++)
        {
            foreach (var (key, value) in schedulers[i].state_dict()) state[$"schedulers.{i}.{key}"] = value;
        }
    }

    private protected static void ReadSchedulers(SchedulerStateReader reader, IReadOnlyList<LRScheduler> schedulers)
    {
        for (var i = 0; i < schedulers.Count; i++) schedulers[i].load_state_dict(reader.Section($"schedulers.{i}"));
    }
}
