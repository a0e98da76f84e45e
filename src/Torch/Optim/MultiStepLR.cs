using static Mtl.Torch.Modules.SchedulerArguments;

namespace Mtl.Torch.Modules;

/// <summary>
/// Multiplies the learning rate by <c>gamma</c> at each milestone epoch (PyTorch's
/// <c>MultiStepLR</c>): <c>lr = base_lr · gamma^bisect_right(milestones, last_epoch)</c>, the
/// exponent counting the milestones reached so far (a repeated milestone counts twice).
/// </summary>
public sealed class MultiStepLR : ScaledLRScheduler
{
    private readonly int[] _milestones;

    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = milestones.Order().ToArray();
        if (_milestones.Length == 0) throw new ArgumentException("MultiStepLR: milestones must not be empty", nameof(milestones));
        NonNegative(nameof(MultiStepLR), "milestones[0]", _milestones[0]);
        Positive(nameof(MultiStepLR), nameof(gamma), gamma);
        this.gamma = gamma;
        Start();
    }

    /// <summary>The milestone epochs in increasing order.</summary>
    public IReadOnlyList<int> milestones => _milestones;

    public double gamma { get; }

    public override double factor(int epoch) => Math.Pow(gamma, _milestones.Count(milestone => milestone <= epoch));
}
