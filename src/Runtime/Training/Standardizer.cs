using System.Globalization;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// (x − mean) / std per element, with statistics fitted on the training data only: the trainer
/// fits every standardizer that is not fitted yet at the start of <see cref="Trainer.Fit(Data.MultiTaskDataset, Data.MultiTaskDataset?)"/>.
/// The statistics are persistent buffers — <c>mean</c> and <c>std</c> (the given dtype and
/// per-example shape) and <c>count</c> (int64 scalar: the rows they were fitted on; 0 = not
/// fitted) — so they travel with the model's <c>state_dict</c>, its checkpoints and saved
/// weights, and a model loaded from them is fitted. The mean and the population standard
/// deviation (ddof 0, numpy's default) are accumulated in float64; NaN elements (missing labels)
/// are left out element by element.
/// </summary>
public sealed class Standardizer : nn.Module<Tensor, Tensor>
{
    private readonly long[] _shape;
    private readonly IReadOnlyList<string>? _labels;
    // The registered buffers (a move to another device or dtype keeps their identity).
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly Tensor _count;

    /// <param name="owner">What the standardizer belongs to, as messages name it: <c>input 'features'</c> or <c>task 'mass'</c>.</param>
    /// <param name="shape">The per-example shape.</param>
    /// <param name="labels">A name per element (row-major; the CSV columns), or null to name elements by index.</param>
    /// <param name="dtype">The statistics' floating-point dtype (the data's).</param>
    public Standardizer(string owner, long[] shape, IReadOnlyList<string>? labels = null, ScalarType dtype = ScalarType.Float32) : base(nameof(Standardizer))
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d <= 0)) throw new ArgumentException($"{owner}: shape {Tensor.FormatShape(shape)} has a dimension that is not positive", nameof(shape));
        if (!ScalarTypeInfo.IsFloatingPoint(dtype)) throw new ArgumentException($"{owner}: standardised values are floating point, not {ScalarTypeInfo.Name(dtype)}", nameof(dtype));
        var elements = shape.Aggregate(1L, (a, b) => a * b);
        if (labels is not null && labels.Count != elements) throw new ArgumentException($"{owner}: {labels.Count} labels for shape {Tensor.FormatShape(shape)}, which has {elements} elements", nameof(labels));
        Owner = owner;
        _shape = shape.ToArray();
        _labels = labels;
        _mean = full(_shape, 0.0, dtype);
        _std = full(_shape, 1.0, dtype);
        _count = full([], 0L, ScalarType.Int64);
        register_buffer("mean", _mean);
        register_buffer("std", _std);
        register_buffer("count", _count);
    }

    /// <summary>What the standardizer belongs to, as messages name it.</summary>
    public string Owner { get; }

    /// <summary>The per-example shape.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The per-element means (a buffer of the module: do not dispose it).</summary>
    public Tensor Mean => _mean;

    /// <summary>The per-element population standard deviations (a buffer of the module: do not dispose it).</summary>
    public Tensor Std => _std;

    /// <summary>The rows the statistics were fitted on (those with at least one value); 0 when not fitted.</summary>
    public long Count => _count.item<long>();

    /// <summary>Whether the statistics were fitted (here, or loaded with the model's state).</summary>
    public bool IsFitted => Count > 0;

    /// <summary>
    /// Fits the statistics to <paramref name="values"/> (<c>[N, ..shape]</c>), replacing any: per
    /// element the mean and population standard deviation of its values that are not NaN. An
    /// element with no value, with an infinite value, or whose every value is the same (std 0) is
    /// an error naming the owner and the element's label or index.
    /// </summary>
    public void Fit(Tensor values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var shape = values.shape;
        if (shape.Length != _shape.Length + 1 || !shape.AsSpan(1).SequenceEqual(_shape))
        {
            throw new ArgumentException($"{Owner}: fitting needs values of shape [N{string.Concat(_shape.Select(d => ", " + d))}], not {Tensor.FormatShape(shape)}", nameof(values));
        }
        if (!ScalarTypeInfo.IsFloatingPoint(values.dtype)) throw new ArgumentException($"{Owner}: fitting needs floating-point values, not {ScalarTypeInfo.Name(values.dtype)}", nameof(values));
        var rows = (int)shape[0];
        var width = (int)_shape.Aggregate(1L, (a, b) => a * b);
        double[] data;
        using (var scope = NewDisposeScope()) data = values.to(ScalarType.Float64).data<double>();
        var counts = new long[width];
        var sums = new double[width];
        var minima = Enumerable.Repeat(double.PositiveInfinity, width).ToArray();
        var maxima = Enumerable.Repeat(double.NegativeInfinity, width).ToArray();
        var labelled = 0L;
        for (var r = 0; r < rows; r++)
        {
            var any = false;
            for (var e = 0; e < width; e++)
            {
                var value = data[(long)r * width + e];
                if (double.IsNaN(value)) continue;
                if (double.IsInfinity(value)) throw new InvalidDataException($"{Element(e)} holds {(value > 0 ? "inf" : "-inf")} in row {r} of the training data: it cannot be standardised");
                any = true;
                counts[e]++;
                sums[e] += value;
                minima[e] = Math.Min(minima[e], value);
                maxima[e] = Math.Max(maxima[e], value);
            }
            if (any) labelled++;
        }
        var means = new double[width];
        var deviations = new double[width];
        for (var e = 0; e < width; e++)
        {
            if (counts[e] == 0) throw new InvalidDataException($"{Element(e)} has no value in the training data (every one is missing): its mean and standard deviation cannot be fitted");
            if (minima[e] == maxima[e]) throw Constant(e, minima[e]);
            means[e] = sums[e] / counts[e];
        }
        for (var r = 0; r < rows; r++)
        {
            for (var e = 0; e < width; e++)
            {
                var value = data[(long)r * width + e];
                if (double.IsNaN(value)) continue;
                var d = value - means[e];
                deviations[e] += d * d;
            }
        }
        for (var e = 0; e < width; e++)
        {
            deviations[e] = Math.Sqrt(deviations[e] / counts[e]);
            // A spread too small for the dtype would still divide by zero once stored.
            if ((_std.dtype == ScalarType.Float64 ? deviations[e] : (float)deviations[e]) == 0) throw Constant(e, means[e]);
        }
        using (var scope = NewDisposeScope())
        {
            _mean.copy_(tensor(means, _shape));
            _std.copy_(tensor(deviations, _shape));
            _count.fill_(labelled);
        }
    }

    /// <summary>(x − mean) / std, broadcast over the leading (example) dimension.</summary>
    public override Tensor forward(Tensor x)
    {
        RequireFitted();
        return (x - _mean) / _std;
    }

    /// <summary>z · std + mean: standardised values back in the original units.</summary>
    public Tensor Inverse(Tensor z)
    {
        RequireFitted();
        return z * _std + _mean;
    }

    private void RequireFitted()
    {
        if (!IsFitted)
        {
            throw new InvalidOperationException($"{Owner} is standardised with statistics fitted on the training data, and they are not fitted yet: the trainer fits them at the start of training (or load a checkpoint or weights that hold them)");
        }
    }

    /// <summary>The owner and the element: "input 'features', column 'x'", "input 'x', element [1, 2]" or just the owner for a scalar without a label.</summary>
    private string Element(int index)
    {
        if (_labels is not null) return $"{Owner}, column '{_labels[index]}'";
        if (_shape.Length == 0) return Owner;
        if (_shape.Length == 1) return $"{Owner}, element {index}";
        var position = new long[_shape.Length];
        long rest = index;
        for (var d = _shape.Length - 1; d >= 0; d--)
        {
            position[d] = rest % _shape[d];
            rest /= _shape[d];
        }
        return $"{Owner}, element [{string.Join(", ", position)}]";
    }

    private InvalidDataException Constant(int index, double value)
    {
        var shown = _std.dtype == ScalarType.Float64 ? value.ToString(CultureInfo.InvariantCulture) : ((float)value).ToString(CultureInfo.InvariantCulture);
        return new InvalidDataException($"{Element(index)} is constant (every training value is {shown}): standardising it would divide by zero; drop the column or remove 'standardize'");
    }
}
