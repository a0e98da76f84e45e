using static Mtl.Torch.Modules.SchedulerArguments;

namespace Mtl.Torch.Modules;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> every epoch (PyTorch's <c>ExponentialLR</c>):
/// <c>lr = base_lr · gamma^last_epoch</c>.
/// </summary>
public sealed class ExponentialLR : ScaledLRScheduler
{
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        Positive(nameof(ExponentialLR), nameof(gamma), gamma);
        this.gamma = gamma;
        Start();
    }

    public double gamma { get; }

    public override double factor(int epoch) => Math.Pow(gamma, epoch);
}
