using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// A model whose validation results are a script, one entry per epoch, so that early stopping can
/// be checked epoch by epoch through <see cref="Trainer.Fit(MultiTaskDataset, MultiTaskDataset?)"/>.
/// In training mode it is a small real network (a trunk and two heads), so the trainer has
/// something to step; every training-mode forward starts a new epoch (the data is one batch).
/// In evaluation mode it answers for the epoch just trained: the "value" prediction is the
/// epoch's scripted mean absolute error (the targets are 0), and the "kind" logits are right on the
/// first scripted-count rows (the targets are all class 0), so kind.accuracy is count / rows.
/// The scripted numbers are dyadic, so every comparison early stopping makes is exact.
/// </summary>
internal sealed class ScriptedValidationModel : MultiTaskModule
{
    public const int Rows = 8;

    public static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("value", TaskKind.Regression) { Metrics = ["mae"] },
        new TaskSpec("kind", TaskKind.Classes, 2) { Metrics = ["accuracy"] },
    ];

    private readonly Linear trunk;
    private readonly Linear value;
    private readonly Linear kind;
    private readonly double[] _mae;
    private readonly int[] _correct;
    private int _epochs;

    private ScriptedValidationModel(double[] mae, int[] correct) : base(nameof(ScriptedValidationModel))
    {
        trunk = nn.Linear(1, 2);
        value = nn.Linear(2, 1);
        kind = nn.Linear(2, 2);
        RegisterComponents();
        (_mae, _correct) = (mae, correct);
    }

    /// <summary>value.mae is <paramref name="script"/>[epoch − 1]; every kind is right.</summary>
    public static ScriptedValidationModel Mae(params double[] script) => new(script, Enumerable.Repeat(Rows, script.Length).ToArray());

    /// <summary>kind.accuracy is <paramref name="script"/>[epoch − 1] / <see cref="Rows"/>; value.mae is 1.</summary>
    public static ScriptedValidationModel Correct(params int[] script) => new(Enumerable.Repeat(1.0, script.Length).ToArray(), script);

    public int Epochs => _mae.Length;

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var x = inputs["x"];
        if (training)
        {
            _epochs++;
            var shared = trunk.forward(x);
            return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = value.forward(shared), ["kind"] = kind.forward(shared) }, shared);
        }
        var epoch = _epochs - 1;
        if (epoch < 0 || epoch >= _mae.Length) throw new InvalidOperationException($"the script has no validation result for epoch {epoch + 1}");
        var rows = x.shape[0];
        var logits = new float[rows * 2];
        for (var r = 0; r < rows; r++) logits[2 * r + (r < _correct[epoch] ? 0 : 1)] = 1;
        return new MultiTaskOutput(new Dictionary<string, Tensor>
        {
            ["value"] = ones([rows, 1]) * _mae[epoch],
            ["kind"] = tensor(logits, [rows, 2]),
        });
    }

    public override IEnumerable<nn.Module> SharedModules() => [trunk];

    /// <summary><see cref="Rows"/> examples with the targets the script assumes: value 0, kind class 0.</summary>
    public static MultiTaskDataset Data()
    {
        using var scope = NewDisposeScope();
        var x = Enumerable.Range(0, Rows).Select(i => i / (float)Rows).ToArray();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [Rows, 1]) },
            new Dictionary<string, Tensor> { ["value"] = zeros([Rows, 1]), ["kind"] = zeros([Rows], ScalarType.Int64) },
            Tasks);
    }
}
