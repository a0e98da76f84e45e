using Mtl.Catalog;

namespace Mtl.Training.Metrics;

/// <summary>
/// Mean intersection over union for pixel_classes (<c>miou</c>), from one k×k confusion matrix
/// accumulated over every labelled pixel of the set (unlabelled pixels, -1, count nowhere):
/// IoU_c = TP_c / (TP_c + FP_c + FN_c), averaged over the classes that occur in the predictions or
/// the targets of the whole set (a class absent from both has 0/0 and is left out, as the standard
/// confusion-matrix computation's nanmean does). Not a mean of per-batch values.
/// </summary>
public sealed class MeanIou : Metric
{
    private long[] _confusion;
    private int _classes;

    public MeanIou(TaskKind kind, int classes) : base(MetricCatalog.MeanIou, kind)
    {
        if (kind != TaskKind.PixelClasses) throw new ArgumentException($"miou applies to pixel_classes tasks only, not {TaskCatalog.Name(kind)}", nameof(kind));
        _classes = Math.Max(classes, 0);
        _confusion = new long[_classes * _classes];
    }

    protected override void Accumulate(MetricBatch batch)
    {
        Widen(batch.Columns);
        for (var row = 0; row < batch.Rows; row++)
        {
            var target = batch.Targets[row];
            if (double.IsNaN(target)) continue;
            var predicted = Classification.ArgMax(batch.Outputs.AsSpan(row * batch.Columns, batch.Columns));
            _confusion[(int)target * _classes + predicted]++;
        }
    }

    public override double Compute()
    {
        double sum = 0;
        var present = 0;
        for (var c = 0; c < _classes; c++)
        {
            long truth = 0, predicted = 0;
            for (var other = 0; other < _classes; other++)
            {
                truth += _confusion[c * _classes + other];
                predicted += _confusion[other * _classes + c];
            }
            var hit = _confusion[c * _classes + c];
            var union = truth + predicted - hit;
            if (union == 0) continue;
            sum += (double)hit / union;
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }

    public override void Reset() => Array.Clear(_confusion);

    private void Widen(int classes)
    {
        if (classes <= _classes) return;
        var wider = new long[classes * classes];
        for (var a = 0; a < _classes; a++)
        {
            for (var p = 0; p < _classes; p++) wider[a * classes + p] = _confusion[a * _classes + p];
        }
        (_confusion, _classes) = (wider, classes);
    }

    /// <summary>The confusion matrix (it sums over the ranks): the class count, then the rows.</summary>
    internal override double[] State() => [_classes, .. _confusion.Select(v => (double)v)];

    internal override void Merge(double[] state)
    {
        var classes = (int)state[0];
        Widen(classes);
        for (var a = 0; a < classes; a++)
        {
            for (var p = 0; p < classes; p++) _confusion[a * _classes + p] += (long)state[1 + a * classes + p];
        }
    }
}

/// <summary>A metric that is the mean of one value per valid element, pixel or row (NaN when none): its state is the sum and the count.</summary>
public abstract class MeanOfValues(string name, TaskKind kind) : Metric(name, kind)
{
    private double _sum;
    private long _count;

    protected void Add(double value)
    {
        _sum += value;
        _count++;
    }

    public override double Compute() => _count == 0 ? double.NaN : _sum / _count;

    public override void Reset() => (_sum, _count) = (0, 0);

    internal override double[] State() => [_sum, _count];

    internal override void Merge(double[] state) => (_sum, _count) = (_sum + state[0], _count + (long)state[1]);
}

/// <summary>
/// Errors of pixel_regression over valid values (NaN targets are invalid): <c>abs_err</c>, the mean
/// |ŷ − y| over valid values; <c>rel_err</c>, the mean |ŷ − y| / y over valid values whose target is
/// not 0 (the relative error of a zero target is undefined), as in depth estimation.
/// </summary>
public sealed class DepthError : MeanOfValues
{
    private readonly bool _relative;

    public DepthError(string name, TaskKind kind) : base(name, kind)
    {
        if (name is not (MetricCatalog.AbsoluteError or MetricCatalog.RelativeError)) throw new ArgumentException($"'{name}' is not abs_err or rel_err", nameof(name));
        if (kind != TaskKind.PixelRegression) throw new ArgumentException($"{name} applies to pixel_regression tasks only, not {TaskCatalog.Name(kind)}", nameof(kind));
        _relative = name == MetricCatalog.RelativeError;
    }

    protected override void Accumulate(MetricBatch batch)
    {
        for (var i = 0; i < batch.Targets.Length; i++)
        {
            var target = batch.Targets[i];
            if (double.IsNaN(target) || (_relative && target == 0)) continue;
            var error = Math.Abs(batch.Outputs[i] - target);
            Add(_relative ? error / Math.Abs(target) : error);
        }
    }
}

/// <summary>
/// <c>mean_angle</c>: the mean over valid pixels (no NaN among their c values) of the angle in
/// degrees between the predicted and the target vector, acos(ŷ·y / (|ŷ||y|)) with the cosine clamped
/// to [−1, 1]; a zero vector counts as 90°.
/// </summary>
public sealed class MeanAngle : MeanOfValues
{

    public MeanAngle(TaskKind kind) : base(MetricCatalog.MeanAngle, kind)
    {
        if (kind != TaskKind.PixelRegression) throw new ArgumentException($"mean_angle applies to pixel_regression tasks only, not {TaskCatalog.Name(kind)}", nameof(kind));
    }

    protected override void Accumulate(MetricBatch batch)
    {
        for (var row = 0; row < batch.Rows; row++)
        {
            double dot = 0, predicted = 0, target = 0;
            var valid = true;
            for (var c = 0; c < batch.Columns; c++)
            {
                var y = batch.Targets[row * batch.Columns + c];
                var p = batch.Outputs[row * batch.Columns + c];
                if (double.IsNaN(y)) valid = false;
                dot += p * y;
                predicted += p * p;
                target += y * y;
            }
            if (!valid) continue;
            var norms = Math.Sqrt(predicted * target);
            var cosine = norms == 0 ? 0 : Math.Clamp(dot / norms, -1, 1);
            Add(Math.Acos(cosine) * 180 / Math.PI);
        }
    }
}

/// <summary>
/// <c>entity_f1</c> for token_classes: micro F1 over entities, as seqeval's default
/// <c>f1_score</c> (non-strict). The classes are BIO tags: 0 is O, 2e + 1 is B of entity type e,
/// 2e + 2 is I of type e (k = 2E + 1). Padding (-1) is dropped, so each example's labelled tokens
/// form its sequence, and the prediction at a padding position is ignored. An entity is a maximal
/// run that starts at B, or at an I that follows O or a token of another type, and continues over I
/// of its type; it is (type, start, end), and a predicted entity counts as correct only when the
/// target has the same one. F1 = 2PR / (P + R) with P = correct / predicted and R = correct /
/// target; 0 when either is 0 (seqeval's zero_division), NaN when no token was seen.
/// </summary>
public sealed class EntityF1 : Metric
{
    private long _correct;
    private long _predicted;
    private long _actual;
    private long _tokens;

    public EntityF1(TaskKind kind, int classes) : base(MetricCatalog.EntityF1, kind)
    {
        if (kind != TaskKind.TokenClasses) throw new ArgumentException($"entity_f1 applies to token_classes tasks only, not {TaskCatalog.Name(kind)}", nameof(kind));
        if (MetricCatalog.CheckSize(MetricCatalog.EntityF1, kind, classes) is { } error) throw new ArgumentException(error, nameof(classes));
    }

    protected override void Accumulate(MetricBatch batch)
    {
        var examples = batch.Positions == 0 ? 0 : batch.Rows / batch.Positions;
        var predicted = new List<int>();
        var actual = new List<int>();
        for (var e = 0; e < examples; e++)
        {
            predicted.Clear();
            actual.Clear();
            for (var position = 0; position < batch.Positions; position++)
            {
                var row = e * batch.Positions + position;
                var target = batch.Targets[row];
                if (double.IsNaN(target)) continue;
                actual.Add((int)target);
                predicted.Add(Classification.ArgMax(batch.Outputs.AsSpan(row * batch.Columns, batch.Columns)));
            }
            _tokens += actual.Count;
            var truth = Entities(actual);
            var guesses = Entities(predicted);
            _actual += truth.Count;
            _predicted += guesses.Count;
            _correct += guesses.Count(truth.Contains);
        }
    }

    /// <summary>The entities (type, start, end inclusive) of one sequence of BIO classes, by seqeval's non-strict rules.</summary>
    public static HashSet<(int Type, int Start, int End)> Entities(IReadOnlyList<int> classes)
    {
        var entities = new HashSet<(int, int, int)>();
        var start = -1;
        var type = -1;
        for (var i = 0; i <= classes.Count; i++)
        {
            // A sentinel O after the last token closes an open entity.
            var tag = i < classes.Count ? classes[i] : 0;
            var tagType = tag == 0 ? -1 : (tag - 1) / 2;
            var begins = tag != 0 && tag % 2 == 1;
            var inside = tag != 0 && !begins;
            if (start >= 0 && (tag == 0 || begins || tagType != type))
            {
                entities.Add((type, start, i - 1));
                start = -1;
            }
            if (begins || (inside && start < 0))
            {
                start = i;
                type = tagType;
            }
        }
        return entities;
    }

    public override double Compute()
    {
        if (_tokens == 0) return double.NaN;
        if (_correct == 0) return 0;
        var precision = (double)_correct / _predicted;
        var recall = (double)_correct / _actual;
        return 2 * precision * recall / (precision + recall);
    }

    public override void Reset() => (_correct, _predicted, _actual, _tokens) = (0, 0, 0, 0);

    internal override double[] State() => [_correct, _predicted, _actual, _tokens];

    internal override void Merge(double[] state) =>
        (_correct, _predicted, _actual, _tokens) = (_correct + (long)state[0], _predicted + (long)state[1], _actual + (long)state[2], _tokens + (long)state[3]);
}
