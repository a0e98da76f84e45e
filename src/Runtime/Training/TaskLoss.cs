using Mtl.Catalog;
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

    private readonly Tensor? _posWeight;

    public TaskLoss(TaskSpec task)
    {
        Check(task);
        Task = task;
        if (task.ClassWeights is { } weights) _classWeights = tensor(weights.ToArray()).@float().DetachFromDisposeScope();
        if (task.PosWeight is { } positive) _posWeight = tensor(positive).@float().DetachFromDisposeScope();
    }

    /// <summary>
    /// Checks a spec against the language's tables: the loss and metrics fit the kind, and every
    /// loss option is one the loss has, in its range. Errors name the task and the value.
    /// </summary>
    public static void Check(TaskSpec task)
    {
        var loss = task.Loss.Name();
        var fits = LossCatalog.For(task.Kind);
        if (!fits.Contains(loss)) throw new ArgumentException($"task '{task.Name}': loss {loss} does not fit a {TaskCatalog.Describe(task.Kind, task.Size)} task (it takes {string.Join(", ", fits)})");
        var metrics = MetricCatalog.For(task.Kind);
        foreach (var metric in task.Metrics)
        {
            if (!metrics.Contains(metric)) throw new ArgumentException($"task '{task.Name}': metric '{metric}' does not fit a {TaskCatalog.Describe(task.Kind, task.Size)} task (it reports {string.Join(", ", metrics)})");
        }
        if (!Weighting.TaskWeighting.IsValidWeight(task.Weight)) throw new ArgumentException($"task '{task.Name}': weight {task.Weight} must be finite and at least 0");
        var options = new Dictionary<string, OptionValue>();
        if (task.Loss == LossKind.Huber) options["delta"] = new NumberValue(task.HuberDelta);
        else if (task.HuberDelta != 1.0) throw new ArgumentException($"task '{task.Name}': a huber delta is set, but the loss is {loss}");
        if (task.PosWeight is { } positive)
        {
            if (task.Loss != LossKind.Bce) throw new ArgumentException($"task '{task.Name}': pos_weight is set, but the loss is {loss}");
            options["pos_weight"] = new NumberValue(positive);
        }
        if (task.Loss == LossKind.CrossEntropy) options["label_smoothing"] = new NumberValue(task.LabelSmoothing);
        else if (task.LabelSmoothing != 0) throw new ArgumentException($"task '{task.Name}': label smoothing is set, but the loss is {loss}");
        if (task.ClassWeights is { } weights)
        {
            if (task.Loss != LossKind.CrossEntropy || weights.Count != task.Size) throw new ArgumentException($"task '{task.Name}': {weights.Count} class weights need a classes({weights.Count}) task with cross_entropy");
            options["class_weights"] = OptionValue.From(weights);
        }
        try
        {
            LossCatalog.All[loss].Resolve(options);
        }
        catch (ArgumentException error)
        {
            throw new ArgumentException($"task '{task.Name}': {error.Message}", error);
        }
    }

    public TaskSpec Task { get; }

    /// <summary>The mean loss over labelled examples, or null when the batch has none.</summary>
    public Tensor? Compute(Tensor output, Tensor target)
    {
        // libtorch's own error ("Found dtype Double but expected Float") names neither the task nor the fix.
        if (Task.Kind != TaskKind.Classes && target.dtype != output.dtype)
        {
            throw new InvalidDataException($"task '{Task.Name}': the targets are {ScalarTypeInfo.Name(target.dtype)} but the model's output for the task is {ScalarTypeInfo.Name(output.dtype)}; give the targets as {ScalarTypeInfo.Name(output.dtype)} (for example with .to(ScalarType.{output.dtype}))");
        }
        // Data for a task that forbids missing labels was checked to have none: no mask to build.
        if (!Task.MissingLabels) return Unmasked(output, target);
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
            LossKind.Bce => Bce(prediction, filled),
            _ => throw new InvalidOperationException($"task '{Task.Name}': loss {Task.Loss} does not apply to {Task.Kind} targets"),
        };
        return perElement.masked_fill(mask.logical_not(), 0.0).sum() / count;
    }

    private Tensor Unmasked(Tensor output, Tensor target)
    {
        if (Task.Kind == TaskKind.Classes)
        {
            using var weights = _classWeights?.to(output.dtype, output.device);
            return nn.functional.cross_entropy(output, target, weights, label_smoothing: Task.LabelSmoothing);
        }
        var prediction = output.shape.Length == target.shape.Length ? output : output.reshape(target.shape);
        return Task.Loss switch
        {
            LossKind.Mse => nn.functional.mse_loss(prediction, target),
            LossKind.L1 => nn.functional.l1_loss(prediction, target),
            LossKind.Huber => nn.functional.huber_loss(prediction, target, Reduction.Mean, Task.HuberDelta),
            LossKind.Bce => Bce(prediction, target).mean(),
            _ => throw new InvalidOperationException($"task '{Task.Name}': loss {Task.Loss} does not apply to {Task.Kind} targets"),
        };
    }

    /// <summary>
    /// What the batch's mean loss divides by: the labelled elements (NaN marks a missing float
    /// label), the labelled rows of a classes task, or their class weights' sum when it has class
    /// weights (cross entropy's weighted mean). Means over several batches weight each by this.
    /// </summary>
    public double Denominator(Tensor target)
    {
        using var scope = NewDisposeScope();
        if (Task.Kind != TaskKind.Classes) return target.isnan().logical_not().sum().item<long>();
        var labelled = target.ge(0L);
        if (_classWeights is null) return labelled.sum().item<long>();
        var classes = target.masked_fill(labelled.logical_not(), 0L);
        return (_classWeights.to(ScalarType.Float64).index_select(0, classes) * labelled.to(ScalarType.Float64)).sum().item<double>();
    }

    private Tensor Bce(Tensor prediction, Tensor target)
    {
        using var positive = _posWeight?.to(prediction.dtype, prediction.device);
        return nn.functional.binary_cross_entropy_with_logits(prediction, target, reduction: Reduction.None, pos_weight: positive);
    }

    public void Dispose()
    {
        _classWeights?.Dispose();
        _posWeight?.Dispose();
    }
}
