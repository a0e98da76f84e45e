using static Mtl.Torch.Modules.SchedulerArguments;

namespace Mtl.Torch.Modules;

/// <summary>
/// Scales the learning rate linearly from <c>start_factor</c> to <c>end_factor</c> of its base
/// value over <c>total_iters</c> epochs, then holds it (PyTorch's <c>LinearLR</c>, a warmup):
/// <c>lr = base_lr · (start_factor + (end_factor − start_factor) · min(total_iters, last_epoch) / total_iters)</c>.
/// </summary>
public sealed class LinearLR : ScaledLRScheduler
{
    public LinearLR(Optimizer optimizer, double start_factor = 1.0 / 3, double end_factor = 1.0, int total_iters = 5) : base(optimizer)
    {
        // PyTorch 1.13 accepts start_factor = 0 but then divides by zero in its chainable form; later versions reject it.
        if (!(start_factor > 0 && start_factor <= 1)) throw new ArgumentOutOfRangeException(nameof(start_factor), start_factor, $"LinearLR: start_factor must be in (0, 1], got {start_factor}");
        InRange(nameof(LinearLR), nameof(end_factor), end_factor, 0, 1);
        Positive(nameof(LinearLR), nameof(total_iters), total_iters);
        this.start_factor = start_factor;
        this.end_factor = end_factor;
        this.total_iters = total_iters;
        Start();
    }

    public double start_factor { get; }

    public double end_factor { get; }

    public int total_iters { get; }

    public override double factor(int epoch) => start_factor + (end_factor - start_factor) * Math.Min(total_iters, epoch) / total_iters;
}
