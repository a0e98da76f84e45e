using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// The divergence check of an epoch's end: a step's loss and gradient norm are checked before its
/// update, so what the last update did is checked here, before the epoch's checkpoint or best
/// weights could keep it.
/// </summary>
internal static class FiniteState
{
    /// <summary>
    /// Every weight and buffer of the model, every weighting parameter and every optimizer state
    /// tensor must be finite after an epoch's steps; otherwise training stops naming the first
    /// non-finite one, before the epoch's checkpoint or best weights could keep it.
    /// </summary>
    public static void Require(MultiTaskModule model, TaskWeighting weighting, Optimizer optimizer, long step, int epoch)
    {
        using var scope = NewDisposeScope();
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, parameter) in model.named_parameters())
        {
            names.TryAdd(parameter, $"parameter '{name}'");
            Require(names[parameter], parameter, step, epoch);
        }
        foreach (var (name, buffer) in model.named_buffers()) Require($"buffer '{name}'", buffer, step, epoch);
        var weights = weighting.parameters().ToList();
        for (var i = 0; i < weights.Count; i++)
        {
            names.TryAdd(weights[i], $"weighting parameter {i}");
            Require(names[weights[i]], weights[i], step, epoch);
        }
        var ordered = optimizer.param_groups.SelectMany(g => g.parameters).ToList();
        using var state = optimizer.state_dict();
        foreach (var (index, entry) in state.state.OrderBy(e => e.Key))
        {
            var owner = names.TryGetValue(ordered[index], out var name) ? name : $"parameter {index}";
            foreach (var (key, tensor) in entry.tensors) Require($"optimizer state '{key}' of {owner}", tensor, step, epoch);
        }
    }

    private static void Require(string what, Tensor tensor, long step, int epoch)
    {
        if (!ScalarTypeInfo.IsFloatingPoint(tensor.dtype) || tensor.isfinite().all().item<bool>()) return;
        var found = tensor.isnan().any().item<bool>() ? "NaN" : tensor.eq(double.PositiveInfinity).any().item<bool>() ? "inf" : "-inf";
        throw new TrainingDivergedException($"{what} holds {found} after step {step} (epoch {epoch + 1}); nothing of this epoch was kept (checkpoint, log and best weights are those of the epoch before). Lower the learning rate or clip gradients.");
    }

}
