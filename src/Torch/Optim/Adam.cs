using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch.Modules;

/// <summary>
/// Adam (Kingma and Ba, 2015) with L2 weight decay, or AdamW (Loshchilov and Hutter, 2019) with
/// decoupled weight decay; optional AMSGrad. PyTorch's update rule, step for step.
/// </summary>
public class Adam : Optimizer
{
    private readonly bool _decoupled;

    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool maximize = false)
        : this(groups, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled: false)
    {
    }

    private protected Adam(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, double eps, double weight_decay, bool amsgrad, bool maximize, bool decoupled)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr,
            ["beta1"] = beta1,
            ["beta2"] = beta2,
            ["eps"] = eps,
            ["weight_decay"] = weight_decay,
        })
    {
        _decoupled = decoupled;
        this.amsgrad = amsgrad;
        this.maximize = maximize;
    }

    public bool amsgrad { get; }

    public bool maximize { get; }

    private protected override IReadOnlyList<(string name, bool always)> StateTensorNames =>
        amsgrad ? [("exp_avg", true), ("exp_avg_sq", true), ("max_exp_avg_sq", true)] : [("exp_avg", true), ("exp_avg_sq", true)];

    protected override void Validate(string option, double value)
    {
        base.Validate(option, value);
        if (option is "beta1" or "beta2" && value >= 1) throw new ArgumentOutOfRangeException(option, value, $"{GetType().Name}: {option} must be in [0, 1)");
    }

    private protected override void Update(ParamGroup group, Parameter parameter, ParameterState state)
    {
        var expAvg = StateTensor(state, "exp_avg", parameter);
        var expAvgSq = StateTensor(state, "exp_avg_sq", parameter);
        var maxExpAvgSq = amsgrad ? StateTensor(state, "max_exp_avg_sq", parameter) : null;
        Check(NativeMethods.mtl_adam_step(parameter.Handle, expAvg.Handle, expAvgSq.Handle, maxExpAvgSq?.Handle ?? TensorHandle.Null, state.step,
            group.lr, group["beta1"], group["beta2"], group["eps"], group.weight_decay, Tensor.B(_decoupled), Tensor.B(amsgrad), Tensor.B(maximize)));
    }
}

/// <summary>Adam with decoupled weight decay: θ ← θ(1 - lr·λ) before the Adam step.</summary>
public sealed class AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 1e-2, bool amsgrad = false, bool maximize = false)
    : Adam(groups, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled: true);
