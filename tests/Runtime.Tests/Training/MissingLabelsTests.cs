using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Missing labels (NaN values, -1 classes) end to end through <see cref="Trainer.Fit(MultiTaskDataset, MultiTaskDataset?)"/>
/// and <see cref="Trainer.Evaluate(MultiTaskDataset)"/>, on a model whose outputs are known: a
/// zeroed trunk, so each head outputs its bias. The value head predicts 0.5; the kind head's
/// logits are [0, ln 2, ln 5], so softmax is [1/8, 2/8, 5/8], the cross entropy of class 0 is
/// ln 8, of class 1 ln 4 and of class 2 ln 8/5, and the prediction is always class 2.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class MissingLabelsTests
{
    private static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("value", TaskKind.Regression) { Metrics = ["mae"] },
        new TaskSpec("kind", TaskKind.Classes, 3) { Weight = 0.5, Metrics = ["accuracy", "macro_f1"] },
    ];

    private sealed class BiasModel : MultiTaskModule
    {
        private readonly Linear trunk;
        private readonly Linear value;
        private readonly Linear kind;

        public BiasModel() : base(nameof(BiasModel))
        {
            trunk = nn.Linear(1, 2);
            value = nn.Linear(2, 1);
            kind = nn.Linear(2, 3);
            RegisterComponents();
            using var mode = no_grad();
            foreach (var p in parameters()) p.zero_();
            value.bias!.fill_(0.5);
            using var logits = tensor(new[] { 0f, MathF.Log(2), MathF.Log(5) });
            kind.bias!.copy_(logits);
        }

        public float[] ValueBias => value.bias!.data<float>();

        public float[] KindBias => kind.bias!.data<float>();

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var shared = trunk.forward(inputs["x"]);
            return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = value.forward(shared), ["kind"] = kind.forward(shared) }, shared);
        }

        public override IEnumerable<nn.Module> SharedModules() => [trunk];
    }

    private static MultiTaskDataset Data(float[] values, long[] kinds)
    {
        using var scope = NewDisposeScope();
        var x = Enumerable.Range(0, values.Length).Select(i => (float)i).ToArray();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [values.Length, 1]) },
            new Dictionary<string, Tensor> { ["value"] = tensor(values, [values.Length, 1]), ["kind"] = tensor(kinds) },
            Tasks);
    }

    /// <summary>
    /// One batch of eight whose kind labels are only class 0 or missing; the values 2.5, 0.5, −0.5,
    /// 1.5 are labelled (squared errors 4, 0, 1, 1 from 0.5: mean 1.5; absolute errors mean 1).
    /// </summary>
    private static MultiTaskDataset OnlyClassZero() => Data(
        [2.5f, float.NaN, 0.5f, float.NaN, -0.5f, 1.5f, float.NaN, float.NaN],
        [0, -1, 0, 0, -1, 0, -1, 0]);

    /// <summary>
    /// 260 rows: an evaluation batch of 256 (per 4 rows: kind 1, 2, missing, 0; value 2.5, 0.5,
    /// missing, −0.5) and one of 4 whose kinds are 0, −1, 0, −1 and whose values are all missing.
    /// </summary>
    private static MultiTaskDataset TwoBatches()
    {
        var values = new float[260];
        var kinds = new long[260];
        for (var r = 0; r < 256; r++)
        {
            values[r] = (r % 4) switch { 0 => 2.5f, 1 => 0.5f, 2 => float.NaN, _ => -0.5f };
            kinds[r] = (r % 4) switch { 0 => 1, 1 => 2, 2 => -1, _ => 0 };
        }
        for (var r = 256; r < 260; r++)
        {
            values[r] = float.NaN;
            kinds[r] = r % 2 == 0 ? 0 : -1;
        }
        return Data(values, kinds);
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    /// <summary>The validation result <see cref="TwoBatches"/> must give for the untrained model.</summary>
    private static void AssertTwoBatches(IReadOnlyDictionary<string, double> result)
    {
        // value: 64 rows each of squared error 4, 0, 1 (absolute 2, 0, 1), the rest missing.
        AssertClose(320.0 / 192, result["value.loss"], "value.loss");
        AssertClose(1, result["value.mae"], "value.mae");
        // kind: 64 labelled rows of class 1, 64 of class 2, 64 + 2 of class 0 (two in the second batch).
        var kindLoss = (64 * Math.Log(4) + 64 * Math.Log(8.0 / 5) + 66 * Math.Log(8)) / 194;
        AssertClose(kindLoss, result["kind.loss"], "kind.loss");
        // always class 2: right on its 64 rows of 194.
        AssertClose(64.0 / 194, result["kind.accuracy"], "kind.accuracy");
        // class 2: tp 64, fp 130 → 128/258; classes 0 and 1 occur but are never predicted → 0.
        AssertClose(128.0 / 258 / 3, result["kind.macro_f1"], "kind.macro_f1");
        AssertClose(320.0 / 192 + 0.5 * kindLoss, result["loss"], "loss");
    }

    [Fact]
    public void Evaluate_masks_missing_labels_and_counts_a_batch_labelled_only_with_class_zero()
    {
        using var model = new BiasModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { BatchSize = 8 });
        using var twoBatches = TwoBatches();
        AssertTwoBatches(trainer.Evaluate(twoBatches));

        using var onlyZero = OnlyClassZero();
        var result = trainer.Evaluate(onlyZero);
        AssertClose(Math.Log(8), result["kind.loss"], "kind.loss");
        Assert.Equal(0, result["kind.accuracy"]);
        AssertClose(1.5, result["value.loss"], "value.loss");
        AssertClose(1, result["value.mae"], "value.mae");
        AssertClose(1.5 + 0.5 * Math.Log(8), result["loss"], "loss");
    }

    [Fact]
    public void Fit_reports_the_masked_losses_of_a_batch_labelled_only_with_class_zero_and_validates_with_missing_labels()
    {
        // A learning rate of 0 keeps the model as built, so that the validation after the epoch is known too.
        using var model = new BiasModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8 });
        using var train = OnlyClassZero();
        using var validation = TwoBatches();
        var record = Assert.Single(trainer.Fit(train, validation));
        AssertClose(Math.Log(8), record.TaskLosses["kind"], "kind training loss");
        AssertClose(1.5, record.TaskLosses["value"], "value training loss");
        AssertClose(1.5 + 0.5 * Math.Log(8), record.TrainLoss, "training loss");
        AssertTwoBatches(record.Validation);
        AssertTwoBatches(trainer.Evaluate(validation));
    }

    [Fact]
    public void Class_weights_weigh_the_evaluated_mean_across_batches_and_a_missing_label_weighs_nothing()
    {
        TaskSpec[] weighted = [Tasks[0], Tasks[1] with { ClassWeights = [1, 2, 4] }];
        using var model = new BiasModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, weighted, optimizer, new TrainerOptions { BatchSize = 8 });
        using var twoBatches = TwoBatches();
        var result = trainer.Evaluate(twoBatches);
        // Cross entropy's weighted mean, Σ w_y·CE / Σ w_y over the labelled rows of both batches:
        // 64 rows of class 1 (weight 2), 64 of class 2 (weight 4), 66 of class 0 (weight 1).
        var kindLoss = (64 * 2 * Math.Log(4) + 64 * 4 * Math.Log(8.0 / 5) + 66 * 1 * Math.Log(8)) / (64 * 2 + 64 * 4 + 66);
        AssertClose(kindLoss, result["kind.loss"], "kind.loss");
        AssertClose(320.0 / 192 + 0.5 * kindLoss, result["loss"], "loss");
    }

    [Fact]
    public void A_batch_labelled_only_with_class_zero_trains_its_head()
    {
        using var model = new BiasModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8 });
        using var train = OnlyClassZero();
        trainer.Fit(train);
        // The kind loss is 0.5 · mean cross entropy of class 0: its bias gradient is 0.5 · (softmax − one-hot)
        // = 0.5 · [1/8 − 1, 2/8, 5/8] whichever labelled row; one SGD step of 0.1.
        var kind = model.KindBias;
        AssertClose(0 + 0.05 * 7 / 8, kind[0], "kind bias 0");
        AssertClose(Math.Log(2) - 0.05 * 2 / 8, kind[1], "kind bias 1");
        AssertClose(Math.Log(5) - 0.05 * 5 / 8, kind[2], "kind bias 2");
        // The value loss's bias gradient is the mean of 2 · (0.5 − y) over the labelled rows: 2 · (−2 + 0 + 1 − 1) / 4 = −1.
        AssertClose(0.5 + 0.1, model.ValueBias[0], "value bias");
    }
}
