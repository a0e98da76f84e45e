using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// An MMoE with one expert trains exactly as a plain shared trunk with the same weights: every
/// gate's softmax over one expert is 1, so the mixture is the expert and its gates get no
/// gradient. Same data, seed, optimizer and losses; the histories and weights must be equal.
/// </summary>
public sealed class OneExpertTrainingTests
{
    private sealed class PlainModel : MultiTaskModule
    {
        public readonly Sequential Trunk;
        public readonly Linear Value;
        public readonly Linear Kind;

        public PlainModel(MixtureTwoTaskModel like) : base(nameof(PlainModel))
        {
            Trunk = MixtureTwoTaskModel.Expert();
            Value = nn.Linear(8, 1);
            Kind = nn.Linear(8, 3);
            register_module("trunk", Trunk);
            register_module("value", Value);
            register_module("kind", Kind);
            using var mode = no_grad();
            foreach (var (to, from) in Trunk.parameters().Zip(like.Mix.Experts[0].parameters())) to.copy_(from);
            foreach (var (to, from) in Value.parameters().Zip(like.Value.parameters())) to.copy_(from);
            foreach (var (to, from) in Kind.parameters().Zip(like.Kind.parameters())) to.copy_(from);
        }

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var shared = Trunk.forward(inputs["x"]);
            return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = Value.forward(shared), ["kind"] = Kind.forward(shared) });
        }

        public override IEnumerable<nn.Module> SharedModules() => [Trunk];
    }

    private static float[] Weights(IEnumerable<Parameter> parameters) => parameters.SelectMany(p => p.data<float>().ToArray()).ToArray();

    [Fact]
    public void A_mixture_of_one_expert_trains_as_a_plain_trunk()
    {
        manual_seed(8);
        using var data = TwoTaskData.Make(96, seed: 5);
        using var gated = new MixtureTwoTaskModel(1);
        using var plain = new PlainModel(gated);
        var gates = Weights(gated.Mix.Gates.Values.SelectMany(g => g.parameters()));

        IReadOnlyList<EpochRecord> Train(MultiTaskModule model)
        {
            using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
            using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 3, BatchSize = 16, Seed = 2 });
            return trainer.Fit(data, data);
        }

        var gatedHistory = Train(gated);
        var plainHistory = Train(plain);

        Assert.Equal(plainHistory.Select(r => (r.TrainLoss, r.TaskLosses["value"], r.TaskLosses["kind"])), gatedHistory.Select(r => (r.TrainLoss, r.TaskLosses["value"], r.TaskLosses["kind"])));
        Assert.Equal(plainHistory.Select(r => r.Validation["value.mae"]), gatedHistory.Select(r => r.Validation["value.mae"]));
        Assert.Equal(Weights(plain.Trunk.parameters()), Weights(gated.Mix.Experts[0].parameters()));
        Assert.Equal(Weights([.. plain.Value.parameters(), .. plain.Kind.parameters()]), Weights([.. gated.Value.parameters(), .. gated.Kind.parameters()]));
        Assert.Equal(gates, Weights(gated.Mix.Gates.Values.SelectMany(g => g.parameters())));
        Assert.NotEqual(plainHistory[0].TrainLoss, plainHistory[^1].TrainLoss);
    }
}
