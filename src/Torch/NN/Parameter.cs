using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch.Modules;

/// <summary>
/// A trainable tensor owned by a module. It is a leaf that requires grad by default and is never
/// owned by a dispose scope: its module (or optimizer) lives longer than any training step.
/// </summary>
public sealed class Parameter : Tensor
{
    /// <summary>A parameter sharing <paramref name="data"/>'s storage, detached from its history.</summary>
    public Parameter(Tensor data, bool requires_grad = true) : base(Detach(data), unscoped: true)
    {
        this.requires_grad = requires_grad;
    }

    private static nint Detach(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Check(NativeMethods.mtl_tensor_detach(data.Handle, out var handle));
        return handle;
    }

    public override string ToString() => "Parameter containing:\n" + base.ToString();
}
