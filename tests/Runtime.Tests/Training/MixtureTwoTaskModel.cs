using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// <see cref="TwoTaskData"/>'s tasks over an MMoE: <paramref name="experts"/> experts
/// (linear 6 → 8, ReLU), a gate per task, and a linear head on each task's mixture. Each task reads
/// its own mixture, so the model returns no shared representation.
/// </summary>
internal sealed class MixtureTwoTaskModel : MultiTaskModule
{
    public readonly MixtureOfExperts Mix;
    public readonly Linear Value;
    public readonly Linear Kind;

    public MixtureTwoTaskModel(int experts) : base(nameof(MixtureTwoTaskModel))
    {
        Mix = new MixtureOfExperts(experts, Expert, ["value", "kind"], () => nn.Linear(6, experts));
        Value = nn.Linear(8, 1);
        Kind = nn.Linear(8, 3);
        register_module("mix", Mix);
        register_module("value", Value);
        register_module("kind", Kind);
    }

    /// <summary>One expert: what a plain trunk of the same shape is.</summary>
    public static Sequential Expert() => nn.Sequential(nn.Linear(6, 8), nn.ReLU());

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var mixed = Mix.forward(inputs["x"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = Value.forward(mixed["value"]), ["kind"] = Kind.forward(mixed["kind"]) });
    }

    public override IEnumerable<nn.Module> SharedModules() => [Mix.Experts];
}
