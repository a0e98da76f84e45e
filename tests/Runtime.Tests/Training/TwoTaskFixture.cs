using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>A small shared trunk with a regression head ("value") and a 3-class head ("kind").</summary>
internal sealed class TwoTaskModel : MultiTaskModule
{
    private readonly Sequential trunk;
    private readonly Sequential value;
    private readonly Sequential kind;

    public TwoTaskModel(double dropout = 0) : base(nameof(TwoTaskModel))
    {
        trunk = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(dropout));
        value = nn.Sequential(nn.Linear(16, 1));
        kind = nn.Sequential(nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3));
        RegisterComponents();
    }

    public Sequential Trunk => trunk;

    public Sequential KindHead => kind;

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var shared = trunk.forward(inputs["x"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = value.forward(shared), ["kind"] = kind.forward(shared) }, shared);
    }

    public override IEnumerable<nn.Module> SharedModules() => [trunk];
}

internal static class TwoTaskData
{
    public static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("value", TaskKind.Regression) { Metrics = ["mae", "r2"] },
        new TaskSpec("kind", TaskKind.Classes, 3) { Weight = 0.5 },
    ];

    /// <summary>value = x·w + noise; kind = which of the first three features is largest (or, with randomKinds, unlearnable noise).</summary>
    public static MultiTaskDataset Make(long count, long seed, double missingValue = 0, double missingKind = 0, bool randomKinds = false)
    {
        using var scope = NewDisposeScope();
        var random = new SeededRandom(seed);
        var x = new float[count * 6];
        for (var i = 0; i < x.Length; i++) x[i] = (float)Normal(random);
        var values = new float[count];
        var kinds = new long[count];
        for (var r = 0; r < count; r++)
        {
            var row = x.AsSpan((int)(r * 6), 6);
            values[r] = random.NextDouble() < missingValue ? float.NaN : 0.8f * row[0] - 0.5f * row[3] + 0.3f * row[5] + 0.05f * (float)Normal(random);
            var best = row[0] > row[1] ? (row[0] > row[2] ? 0 : 2) : (row[1] > row[2] ? 1 : 2);
            kinds[r] = random.NextDouble() < missingKind ? -1 : randomKinds ? random.Next(3) : best;
        }
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [count, 6]) },
            new Dictionary<string, Tensor> { ["value"] = tensor(values, [count, 1]), ["kind"] = tensor(kinds) },
            Tasks);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
