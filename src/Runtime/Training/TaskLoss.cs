using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// A task's loss over the labelled examples of a batch only: missing labels (NaN float targets,
/// -1 class targets) are masked out exactly, and a batch without any label for the task yields
/// null (it contributes nothing, not a zero that would still count in averages).
/// </summary>
public sealed class TaskLoss : IDisposable
{
    private readonly Tensor? _classWeights;

    public TaskLoss(TaskSpec task)
    {
        Task = task;
        if (task.ClassWeights is { } weights)
        {
            if (task.Kind != TaskKind.Classes || weights.Count != task.Size)
            {
                throw new ArgumentException($"task '{task.Name}': class weights need a classes({weights.Count}) task");
            }
            _classWeights = tensor(weights.ToArray()).@float().DetachFromDisposeScope();
        }
    }

    public TaskSpec Task { get; }

    /// <summary>The mean loss over labelled examples, or null when the batch has none.</summary>
    public Tensor? Compute(Tensor output, Tensor target)
    {
        if (Task.Kind == TaskKind.Classes)
        {
            var labelled = target.ge(0L).sum().item<long>();
            if (labelled == 0) return null;
            using var weights = _classWeights?.to(output.dtype, output.device);
            return nn.functional.cross_entropy(output, target, weights, ignore_index: -1, label_smoothing: Task.LabelSmoothing);
        }
        var prediction = output.shape.Length == target.shape.Length ? output : output.reshape(target.shape);
        var mask = target.isnan().logical_not();
        var count = mask.sum().item<long>();
        if (count == 0) return null;
        var filled = target.masked_fill(mask.logical_not(), 0.0);
        var perElement = Task.Loss switch
        {
            LossKind.Mse => nn.functional.mse_loss(prediction, filled, Reduction.None),
            LossKind.L1 => nn.functional.l1_loss(prediction, filled, Reduction.None),
            LossKind.Huber => nn.functional.huber_loss(prediction, filled, Reduction.None, Task.HuberDelta),
            LossKind.Bce => nn.functional.binary_cross_entropy_with_logits(prediction, filled, reduction: Reduction.None),
            _ => throw new InvalidOperationException($"task '{Task.Name}': loss {Task.Loss} does not apply to {Task.Kind} targets"),
        };
        return perElement.masked_fill(mask.logical_not(), 0.0).sum() / count;
    }

    public void Dispose() => _classWeights?.Dispose();
}
