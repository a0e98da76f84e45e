using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch.Modules;

/// <summary>RMSprop (Hinton), optionally centered and with momentum; PyTorch's update rule.</summary>
public sealed class RMSprop : Optimizer
{
    public RMSprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weight_decay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr,
            ["alpha"] = alpha,
            ["eps"] = eps,
            ["weight_decay"] = weight_decay,
            ["momentum"] = momentum,
        })
    {
        this.centered = centered;
        this.maximize = maximize;
    }

    public bool centered { get; }

    public bool maximize { get; }

    // The momentum buffer appears at a parameter's first step with a positive momentum.
    private protected override IReadOnlyList<(string name, bool always)> StateTensorNames =>
        centered ? [("square_avg", true), ("momentum_buffer", false), ("grad_avg", true)] : [("square_avg", true), ("momentum_buffer", false)];

    private protected override void Update(ParamGroup group, Parameter parameter, ParameterState state)
    {
        var momentum = group["momentum"];
        var squareAvg = StateTensor(state, "square_avg", parameter);
        var buffer = momentum > 0 ? StateTensor(state, "momentum_buffer", parameter) : null;
        var gradAvg = centered ? StateTensor(state, "grad_avg", parameter) : null;
        Check(NativeMethods.mtl_rmsprop_step(parameter.Handle, squareAvg.Handle, buffer?.Handle ?? TensorHandle.Null, gradAvg?.Handle ?? TensorHandle.Null,
            group.lr, group["alpha"], group["eps"], group.weight_decay, momentum, Tensor.B(centered), Tensor.B(maximize)));
    }
}
