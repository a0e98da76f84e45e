using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// A regression output of [N, 1] against targets of [N] is reshaped to the targets' shape before
/// the loss, with and without missing labels; unreshaped, libtorch would broadcast the pair to
/// [N, N] and average every output against every target. Values by hand.
/// </summary>
public sealed class TaskLossShapeTests
{
    // outputs 1, 2, 4 against targets 0, 2, 1: squared errors 1, 0, 9 → 10/3, absolute 1, 0, 3 → 4/3.
    // Broadcast to [3, 3] the mean squared error would be 36/9 = 4 (and 36/3 = 12 masked).
    private static Tensor Output() => tensor(new float[,] { { 1 }, { 2 }, { 4 } });

    [Fact]
    public void An_output_column_is_reshaped_to_the_targets_when_labels_may_be_missing()
    {
        using var scope = NewDisposeScope();
        using var mse = new TaskLoss(new TaskSpec("y", TaskKind.Regression) { MissingLabels = true });
        Assert.Equal(10f / 3, mse.Compute(Output(), tensor(new float[] { 0, 2, 1 }))!.item<float>(), 6);
        // a missing label leaves the other two: (1 + 9) / 2
        Assert.Equal(5f, mse.Compute(Output(), tensor(new[] { 0, float.NaN, 1 }))!.item<float>(), 6);
    }

    [Fact]
    public void An_output_column_is_reshaped_to_the_targets_when_every_label_is_present()
    {
        using var scope = NewDisposeScope();
        using var mse = new TaskLoss(new TaskSpec("y", TaskKind.Regression) { MissingLabels = false });
        Assert.Equal(10f / 3, mse.Compute(Output(), tensor(new float[] { 0, 2, 1 }))!.item<float>(), 6);
        using var l1 = new TaskLoss(new TaskSpec("y", TaskKind.Regression) { Loss = LossKind.L1, MissingLabels = false });
        Assert.Equal(4f / 3, l1.Compute(Output(), tensor(new float[] { 0, 2, 1 }))!.item<float>(), 6);
    }
}

/// <summary>Dispose frees the loss's own tensors: the class weights and bce's pos_weight.</summary>
[Collection(LiveHandleCollection.Name)]
public sealed class TaskLossDisposeTests
{
    [Fact]
    public void Dispose_frees_the_class_weights()
    {
        LiveHandleCollection.Settle();
        TaskLoss loss;
        using (NewDisposeScope()) loss = new TaskLoss(new TaskSpec("c", TaskKind.Classes, 3) { Loss = LossKind.CrossEntropy, ClassWeights = [1.0, 2.0, 3.0] });
        var held = LiveHandleCollection.Settle();
        loss.Dispose();
        Assert.Equal(held - 1, Tensor.LiveHandleCount);
    }

    [Fact]
    public void Dispose_frees_the_positive_weight()
    {
        LiveHandleCollection.Settle();
        TaskLoss loss;
        using (NewDisposeScope()) loss = new TaskLoss(new TaskSpec("b", TaskKind.Binary) { Loss = LossKind.Bce, PosWeight = 2.0 });
        var held = LiveHandleCollection.Settle();
        loss.Dispose();
        Assert.Equal(held - 1, Tensor.LiveHandleCount);
    }
}
