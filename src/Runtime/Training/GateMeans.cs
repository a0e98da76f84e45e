using Mtl.Layers;
using Mtl.Torch;

namespace Mtl.Training;

/// <summary>The per-epoch mean gate weights of a model's mixtures of experts, for <see cref="EpochRecord.Gates"/>.</summary>
public static class GateMeans
{
    /// <summary>
    /// Takes each mixture's mean gate weights since the last take (<see cref="IGatedExperts.TakeGateMeans"/>),
    /// by module name in the model's order; null when the model has no mixture.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<double>>>? Take(torch.nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<double>>>? gates = null;
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not IGatedExperts gated) continue;
            gates ??= new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<double>>>(StringComparer.Ordinal);
            gates[name] = gated.TakeGateMeans().ToDictionary(p => p.Key, p => (IReadOnlyList<double>)p.Value, StringComparer.Ordinal);
        }
        return gates;
    }
}
