namespace Mtl.Torch.Modules;

/// <summary>
/// A schedule that scales each group's base learning rate by a factor of the epoch alone,
/// <c>lr = base_lr · factor(last_epoch)</c>. Such schedules compose by multiplying their factors,
/// which is what <see cref="ChainedScheduler"/> does.
/// </summary>
public abstract class ScaledLRScheduler : LRScheduler
{
    protected ScaledLRScheduler(Optimizer optimizer) : base(optimizer)
    {
    }

    /// <summary>The factor applied to the base learning rate at <paramref name="epoch"/>.</summary>
    public abstract double factor(int epoch);

    protected internal sealed override void Apply(int index, ParamGroup group) => group.lr = base_lrs[index] * factor(last_epoch);
}
