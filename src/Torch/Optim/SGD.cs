using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch.Modules;

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay (PyTorch's update rule).</summary>
public sealed class SGD : Optimizer
{
    public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0, double weight_decay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, new Dictionary<string, double>
        {
            ["lr"] = lr,
            ["momentum"] = momentum,
            ["dampening"] = dampening,
            ["weight_decay"] = weight_decay,
        })
    {
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
        }
        this.nesterov = nesterov;
        this.maximize = maximize;
    }

    public bool nesterov { get; }

    public bool maximize { get; }

    // The buffer appears at a parameter's first step with a nonzero momentum.
    private protected override IReadOnlyList<(string name, bool always)> StateTensorNames => [("momentum_buffer", false)];

    private protected override void Update(ParamGroup group, Parameter parameter, ParameterState state)
    {
        var momentum = group["momentum"];
        state.tensors.TryGetValue("momentum_buffer", out var buffer);
        Check(NativeMethods.mtl_sgd_step(parameter.Handle, buffer?.Handle ?? TensorHandle.Null, group.lr, momentum, group["dampening"], group.weight_decay,
            Tensor.B(nesterov), Tensor.B(maximize), out var created));
        if (created != 0)
        {
            state.tensors["momentum_buffer"] = Tensor.WrapOrNull(created)!.DetachFromDisposeScope();
        }
    }
}
