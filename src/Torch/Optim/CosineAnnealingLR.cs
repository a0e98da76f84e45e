using static Mtl.Torch.Modules.SchedulerArguments;

namespace Mtl.Torch.Modules;

/// <summary>
/// Anneals the learning rate from its base value to <c>eta_min</c> over <c>T_max</c> epochs along
/// half a cosine (PyTorch's <c>CosineAnnealingLR</c>, SGDR without restarts):
/// <c>lr = eta_min + (base_lr − eta_min) · (1 + cos(π · last_epoch / T_max)) / 2</c>.
/// Past <c>T_max</c> the cosine continues, so the rate climbs back as PyTorch's does.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    public CosineAnnealingLR(Optimizer optimizer, int T_max, double eta_min = 0) : base(optimizer)
    {
        Positive(nameof(CosineAnnealingLR), nameof(T_max), T_max);
        NonNegative(nameof(CosineAnnealingLR), nameof(eta_min), eta_min);
        this.T_max = T_max;
        this.eta_min = eta_min;
        Start();
    }

    public int T_max { get; }

    public double eta_min { get; }

    protected internal override void Apply(int index, ParamGroup group) =>
        group.lr = eta_min + (base_lrs[index] - eta_min) * (1 + Math.Cos(Math.PI * last_epoch / T_max)) / 2;
}
