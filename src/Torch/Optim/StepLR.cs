using static Mtl.Torch.Modules.SchedulerArguments;

namespace Mtl.Torch.Modules;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> every <c>step_size</c> epochs (PyTorch's
/// <c>StepLR</c>): <c>lr = base_lr · gamma^⌊last_epoch / step_size⌋</c>. Unlike libtorch's C++
/// StepLR, the first decay takes effect at epoch <c>step_size</c>, as in Python.
/// </summary>
public sealed class StepLR : ScaledLRScheduler
{
    public StepLR(Optimizer optimizer, int step_size, double gamma = 0.1) : base(optimizer)
    {
        Positive(nameof(StepLR), nameof(step_size), step_size);
        Positive(nameof(StepLR), nameof(gamma), gamma);
        this.step_size = step_size;
        this.gamma = gamma;
        Start();
    }

    public int step_size { get; }

    public double gamma { get; }

    public override double factor(int epoch) => Math.Pow(gamma, epoch / step_size);
}
