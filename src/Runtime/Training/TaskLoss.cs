using Mtl.Catalog;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// A task's loss over the labelled examples of a batch only: missing labels (NaN float targets,
/// -1 class targets; for the dense kinds per pixel or token) are masked out exactly, and a batch without any label for the task yields
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
        if (task.PosWeights is { } perLabel) _posWeight = tensor(perLabel.ToArray()).@float().DetachFromDisposeScope();
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
        if (task.PosWeights is { } perLabel)
        {
            if (task.Loss != LossKind.Bce) throw new ArgumentException($"task '{task.Name}': pos_weight is set, but the loss is {loss}");
            if (task.PosWeight is not null) throw new ArgumentException($"task '{task.Name}': pos_weight is set both as one number and per label; give one of them");
            if (perLabel.Count != task.Size) throw new ArgumentException($"task '{task.Name}': pos_weight needs {task.Size} values, one per label; found {perLabel.Count}");
            options["pos_weight"] = OptionValue.From(perLabel);
        }
        if (task.Loss == LossKind.ScaleInvariantLog) options["lambda"] = new NumberValue(task.ScaleInvariantLambda);
        else if (task.ScaleInvariantLambda != LossCatalog.ScaleInvariantLambda) throw new ArgumentException($"task '{task.Name}': a scale_invariant_log lambda is set, but the loss is {loss}");
        if (TaskCatalog.HasClassTargets(task.Kind) && TaskCatalog.CheckIgnore(task.IgnoreIndex, task.Size) is { } ignore) throw new ArgumentException($"task '{task.Name}': {ignore}");
        else if (!TaskCatalog.HasClassTargets(task.Kind) && task.IgnoreIndex != TaskCatalog.IgnoreIndex) throw new ArgumentException($"task '{task.Name}': an ignore value is set, but a {TaskCatalog.Describe(task.Kind, task.Size)} task has no class targets");
        if (LossCatalog.CheckSize(loss, task.Size) is { } lossSize) throw new ArgumentException($"task '{task.Name}': {lossSize}");
        foreach (var metric in task.Metrics)
        {
            if (MetricCatalog.CheckSize(metric, task.Kind, task.Size) is { } metricSize) throw new ArgumentException($"task '{task.Name}': {metricSize}");
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

    /// <summary>The mean loss over labelled examples (pixels, tokens), or null when the batch has none.</summary>
    public Tensor? Compute(Tensor output, Tensor target)
    {
        // libtorch's own error ("Found dtype Double but expected Float") names neither the task nor the fix.
        if (!TaskCatalog.HasClassTargets(Task.Kind) && target.dtype != output.dtype)
        {
            throw new InvalidDataException($"task '{Task.Name}': the targets are {ScalarTypeInfo.Name(target.dtype)} but the model's output for the task is {ScalarTypeInfo.Name(output.dtype)}; give the targets as {ScalarTypeInfo.Name(output.dtype)} (for example with .to(ScalarType.{output.dtype}))");
        }
        if (TaskCatalog.IsDense(Task.Kind)) return Dense(output, target);
        // Data for a task that forbids missing labels was checked to have none: no mask to build.
        if (!Task.MissingLabels) return Unmasked(output, target);
        if (Task.Kind == TaskKind.Classes) return CrossEntropy(output, target);
        var prediction = output.shape.Length == target.shape.Length ? output : output.reshape(target.shape);
        var mask = target.isnan().logical_not();
        return Elementwise(prediction, target, mask);
    }

    private Tensor? CrossEntropy(Tensor logits, Tensor target)
    {
        var labelled = target.ne(Task.IgnoreIndex).sum().item<long>();
        if (labelled == 0) return null;
        using var weights = _classWeights?.to(logits.dtype, logits.device);
        return nn.functional.cross_entropy(logits, target, weights, ignore_index: Task.IgnoreIndex, label_smoothing: Task.LabelSmoothing);
    }

    /// <summary>Mse, l1, huber or bce per element, averaged over the elements of <paramref name="mask"/>.</summary>
    private Tensor? Elementwise(Tensor prediction, Tensor target, Tensor mask)
    {
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

    /// <summary>
    /// The dense kinds, always masked: unlabelled pixels and padding tokens (-1) and invalid
    /// values (NaN) are part of the data, not missing labels. The output and target shapes must
    /// agree per pixel or token; the error names both.
    /// </summary>
    private Tensor? Dense(Tensor output, Tensor target)
    {
        var o = output.shape;
        var t = target.shape;
        switch (Task.Kind)
        {
            case TaskKind.PixelClasses:
                // outputs [N, k, H, W], targets [N, H, W]: libtorch's cross entropy takes the class dimension second.
                if (o.Length != 4 || o[1] != Task.Size || t.Length != 3 || t[0] != o[0] || t[1] != o[2] || t[2] != o[3])
                {
                    throw DenseMismatch(o, t, $"outputs [N, {Task.Size}, H, W] and targets [N, H, W]");
                }
                return CrossEntropy(output, target);
            case TaskKind.TokenClasses:
                if (o.Length != 3 || o[2] != Task.Size || t.Length != 2 || t[0] != o[0] || t[1] != o[1])
                {
                    throw DenseMismatch(o, t, $"outputs [N, T, {Task.Size}] and targets [N, T]");
                }
                return CrossEntropy(output.reshape(-1, Task.Size), target.reshape(-1));
            default:
                if (o.Length != 4 || o[1] != Task.Size || !o.AsSpan().SequenceEqual(t))
                {
                    throw DenseMismatch(o, t, $"outputs and targets of [N, {Task.Size}, H, W]");
                }
                return Task.Loss switch
                {
                    LossKind.ScaleInvariantLog => ScaleInvariantLog(output, target),
                    LossKind.Cosine => Cosine(output, target),
                    _ => Elementwise(output, target, target.isnan().logical_not()),
                };
        }
    }

    private InvalidDataException DenseMismatch(long[] output, long[] target, string expected) =>
        new($"task '{Task.Name}': a {TaskCatalog.Describe(Task.Kind, Task.Size)} task needs {expected}; the model's output is {Tensor.FormatShape(output)} and the targets are {Tensor.FormatShape(target)}");

    /// <summary>The smallest prediction the scale-invariant log loss takes the log of; smaller ones are clamped to it.</summary>
    public const double LogFloor = 1e-6;

    /// <summary>
    /// Eigen, Puhrsch &amp; Fergus (2014), eq. 4, per example over its nᵢ valid (non-NaN) values:
    /// D = (1/n)Σdⱼ² − (λ/n²)(Σdⱼ)² with dⱼ = log max(ŷⱼ, 10⁻⁶) − log yⱼ; averaged over the examples
    /// with at least one valid value. A valid target must be positive.
    /// </summary>
    private Tensor? ScaleInvariantLog(Tensor output, Tensor target)
    {
        var n = output.shape[0];
        var mask = target.isnan().logical_not();
        if (target.le(0.0).logical_and(mask).any().item<bool>())
        {
            throw new InvalidDataException($"task '{Task.Name}': scale_invariant_log takes the log of the targets, so a valid target must be positive (NaN marks an invalid value); found one at or below 0");
        }
        var perExample = mask.reshape(n, -1).sum(1).to(output.dtype);
        var has = perExample.gt(0.0);
        var examples = has.sum().item<long>();
        if (examples == 0) return null;
        var d = (output.clamp(LogFloor).log() - target.masked_fill(mask.logical_not(), 1.0).log()).masked_fill(mask.logical_not(), 0.0).reshape(n, -1);
        var count = perExample.clamp(1.0);
        var perImage = d.pow(2).sum(1) / count - Task.ScaleInvariantLambda * d.sum(1).pow(2) / count.pow(2);
        return perImage.masked_fill(has.logical_not(), 0.0).sum() / examples;
    }

    /// <summary>1 − cos(ŷ, y) over the c values of each valid pixel (none NaN), averaged over valid pixels.</summary>
    private Tensor? Cosine(Tensor output, Tensor target)
    {
        var valid = target.isnan().any(1).logical_not();
        var count = valid.sum().item<long>();
        if (count == 0) return null;
        var filled = target.masked_fill(target.isnan(), 0.0);
        var dot = (output * filled).sum(1);
        // The norms' product is clamped before the root, so a zero vector has a zero gradient rather than NaN.
        var norms = (output.pow(2).sum(1) * filled.pow(2).sum(1)).clamp(1e-16).sqrt();
        var loss = (1.0 - dot / norms).masked_fill(valid.logical_not(), 0.0);
        return loss.sum() / count;
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
    /// label), the labelled rows (pixels, tokens) of a class task, or their class weights' sum
    /// when it has class weights (cross entropy's weighted mean); for scale_invariant_log the
    /// examples with a valid value, for cosine the valid pixels. Means over several batches
    /// weight each by this.
    /// </summary>
    public double Denominator(Tensor target)
    {
        using var scope = NewDisposeScope();
        if (Task.Loss == LossKind.ScaleInvariantLog) return target.isnan().logical_not().reshape(target.shape[0], -1).any(1).sum().item<long>();
        if (Task.Loss == LossKind.Cosine) return target.isnan().any(1).logical_not().sum().item<long>();
        if (!TaskCatalog.HasClassTargets(Task.Kind)) return target.isnan().logical_not().sum().item<long>();
        var labelled = target.reshape(-1).ne(Task.IgnoreIndex);
        if (_classWeights is null) return labelled.sum().item<long>();
        var classes = target.reshape(-1).masked_fill(labelled.logical_not(), 0L);
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
