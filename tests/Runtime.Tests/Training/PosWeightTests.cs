using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>bce's <c>pos_weight</c> per label (PyTorch's BCEWithLogitsLoss pos_weight of shape [k]), by hand.</summary>
public sealed class PosWeightTests
{
    private static readonly double Ln2 = Math.Log(2), Ln3 = Math.Log(3), Ln4Over3 = Math.Log(4.0 / 3);

    [Fact]
    public void Each_label_weighs_its_positives_by_its_own_factor()
    {
        using var scope = NewDisposeScope();
        var task = new TaskSpec("tags", TaskKind.Multilabel, 3) { Loss = LossKind.Bce, PosWeights = [1.0, 3.0, 0.5] };
        using var loss = new TaskLoss(task);
        // σ(0) = ½, σ(ln 3) = ¾, σ(−ln 3) = ¼; per element −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))].
        var output = tensor(new[] { 0, Ln3, -Ln3, 0, 0, 0 }, [2, 3]);
        var target = tensor(new[] { 1, 1, 0, 0, 1, double.NaN }, [2, 3]);

        // Row 0: 1·ln 2, 3·ln(4/3), ln(4/3) (a negative: its weight does not apply).
        // Row 1: ln 2 (negative), 3·ln 2, the third label missing. Mean over the 5 labelled.
        var expected = (Ln2 + 3 * Ln4Over3 + Ln4Over3 + Ln2 + 3 * Ln2) / 5;
        Assert.Equal(expected, loss.Compute(output, target)!.item<double>(), 12);
    }

    [Fact]
    public void A_positive_of_a_label_weighted_one_half_costs_half()
    {
        using var scope = NewDisposeScope();
        var task = new TaskSpec("tags", TaskKind.Multilabel, 2) { Loss = LossKind.Bce, PosWeights = [1.0, 0.5] };
        using var loss = new TaskLoss(task);

        // Both positives at x = 0: (ln 2 + ½ ln 2) / 2.
        var value = loss.Compute(tensor(new[] { 0.0, 0.0 }, [1, 2]), tensor(new[] { 1.0, 1.0 }, [1, 2]))!.item<double>();
        Assert.Equal(0.75 * Ln2, value, 12);
    }

    [Theory]
    [InlineData(new[] { 1.0, 2.0 }, null, "task 'tags': pos_weight needs 3 values, one per label; found 2")]
    [InlineData(new[] { 1.0, 0.0, 2.0 }, null, "task 'tags': 'pos_weight' of 'bce' must be greater than 0; found 0")]
    [InlineData(new[] { 1.0, 2.0, 3.0 }, 2.0, "task 'tags': pos_weight is set both as one number and per label; give one of them")]
    public void Wrong_weights_name_the_task(double[] perLabel, double? one, string message)
    {
        var task = new TaskSpec("tags", TaskKind.Multilabel, 3) { Loss = LossKind.Bce, PosWeights = perLabel, PosWeight = one };

        var error = Assert.Throws<ArgumentException>(() => TaskLoss.Check(task));
        Assert.Equal(message, error.Message);
    }
}
