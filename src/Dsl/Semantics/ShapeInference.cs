using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// The shape rules: each layer's output type and parameter count from its input type, and the
/// checks that make an impossible shape an error at the layer that causes it. Shapes are per
/// example (the batch dimension is implicit); <c>dim</c> options count the batch as dim 0, as
/// PyTorch does, so per-example dims are 1..rank (or -rank..-1).
/// </summary>
internal sealed class ShapeInference
{
    private readonly DiagnosticBag _diagnostics;

    public ShapeInference(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
    }

    /// <summary>A bound layer, or null (with a diagnostic) when the input does not fit.</summary>
    public Layer? Infer(LayerKind kind, Setting setting, TensorType input, SourceSpan span)
    {
        var name = setting.Name;
        var dims = input.Shape.Dimensions;
        var rank = dims.Count;
        if (!CheckDType(kind, name, input, span))
        {
            return null;
        }

        switch (kind)
        {
            case LayerKind.Linear:
            {
                // PyTorch's nn.Linear: over the last dim, any leading dims kept ([T, in] -> [T, out], per token).
                if (!CheckRank(name, input, span, -1, "[..., features]"))
                {
                    return null;
                }

                var output = setting.Integer("out");
                var parameters = Saturating.Add(Saturating.Multiply(dims[rank - 1], output), setting.Boolean("bias") ? output : 0);
                return Make(kind, setting, input, [.. dims.Take(rank - 1).Select(d => (long)d), output], parameters, span);
            }

            case LayerKind.Conv1d:
            case LayerKind.Conv2d:
                return Convolution(kind, setting, input, span);

            case LayerKind.ConvTranspose1d:
            case LayerKind.ConvTranspose2d:
                return TransposedConvolution(kind, setting, input, span);

            case LayerKind.MaxPool1d:
            case LayerKind.MaxPool2d:
            case LayerKind.AvgPool1d:
            case LayerKind.AvgPool2d:
                return Pool(kind, setting, input, span);

            case LayerKind.Upsample:
                return Upsample(setting, input, span);

            case LayerKind.AdaptiveAvgPool1d:
            case LayerKind.AdaptiveAvgPool2d:
            {
                var is2d = kind == LayerKind.AdaptiveAvgPool2d;
                if (!CheckRank(name, input, span, is2d ? 3 : 2, is2d ? "[channels, height, width]" : "[channels, length]"))
                {
                    return null;
                }

                var size = setting.Integer("out");
                return Make(kind, setting, input, is2d ? [dims[0], size, size] : [dims[0], size], 0, span);
            }

            case LayerKind.BatchNorm1d:
            case LayerKind.BatchNorm2d:
            {
                if (rank is < 1 or > 3)
                {
                    ReportRank(name, input, span, "[features], [channels, length] or [channels, height, width]");
                    return null;
                }

                var resolved = rank == 3 ? LayerKind.BatchNorm2d : LayerKind.BatchNorm1d;
                return Make(resolved, setting, input, [.. dims], 2L * dims[0], span);
            }

            case LayerKind.LayerNorm:
                return CheckRank(name, input, span, -1, "at least one dimension")
                    ? Make(kind, setting, input, [.. dims], 2L * dims[rank - 1], span)
                    : null;

            case LayerKind.Embedding:
            {
                var dim = setting.Integer("dim");
                var vocab = setting.Integer("vocab");
                if (setting["padding_idx"] is IntegerValue { Value: var padding } && padding >= vocab)
                {
                    _diagnostics.ReportWithFix(
                        DiagnosticCode.PaddingIndexOutsideVocabulary, span, $"use an id below {vocab}, or raise vocab", name, padding, vocab - 1);
                    return null;
                }

                // The padding row is a parameter too (zero, and it gets no gradient), as PyTorch counts it.
                var parameters = Saturating.Multiply(vocab, dim);
                return Make(kind, setting, input, [.. dims, dim], parameters, span, DType.Float);
            }

            case LayerKind.Flatten:
            {
                // A scalar per example becomes [1], so it can feed 'linear'.
                return Make(kind, setting, input, [input.Shape.ElementCount], 0, span);
            }

            case LayerKind.Lstm:
            case LayerKind.Gru:
                return Recurrent(kind, setting, input, span);

            case LayerKind.Permute:
                return Permute(setting, input, span);

            case LayerKind.CastFloat:
            case LayerKind.CastLong:
                return Make(kind, setting, input, [.. dims], 0, span, kind == LayerKind.CastFloat ? DType.Float : DType.Long);

            case LayerKind.Transpose:
            {
                if (ResolveDim(name, setting.Integer("dim0"), input, span) is not { } first
                    || ResolveDim(name, setting.Integer("dim1"), input, span) is not { } second)
                {
                    return null;
                }

                var swapped = dims.Select(d => (long)d).ToArray();
                (swapped[first - 1], swapped[second - 1]) = (swapped[second - 1], swapped[first - 1]);
                return Make(kind, setting, input, swapped, 0, span);
            }

            case LayerKind.Softmax:
            case LayerKind.LogSoftmax:
                return ResolveDim(name, setting.Integer("dim"), input, span) is null ? null : Make(kind, setting, input, [.. dims], 0, span);

            case LayerKind.Mean:
            case LayerKind.Sum:
            case LayerKind.Max:
            {
                if (ResolveDim(name, setting.Integer("dim"), input, span) is not { } dim)
                {
                    return null;
                }

                return Make(kind, setting, input, [.. dims.Where((_, i) => i != dim - 1)], 0, span);
            }

            default:
                // Dropout and the element-wise activations keep the shape.
                return Make(kind, setting, input, [.. dims], 0, span);
        }
    }

    /// <summary>The output of <c>concat(...)</c>, or null when the shapes do not line up.</summary>
    public TensorType? Concat(IReadOnlyList<TensorType> branches, long dim, SourceSpan span)
    {
        var first = branches[0];
        if (!branches.All(b => b.DType.IsFloatingPoint()))
        {
            ReportDType("concat", branches.First(b => !b.DType.IsFloatingPoint()), span);
            return null;
        }

        if (ResolveDim("concat", dim, first, span) is not { } resolved)
        {
            return null;
        }

        var axis = resolved - 1;
        var agree = branches.All(b => b.Shape.Rank == first.Shape.Rank &&
            b.Shape.Dimensions.Select((d, i) => i == axis || d == first.Shape.Dimensions[i]).All(x => x));
        if (!agree)
        {
            _diagnostics.Report(DiagnosticCode.ConcatMismatch, span, resolved, string.Join(", ", branches.Select(b => b.Shape)));
            return null;
        }

        var dims = first.Shape.Dimensions.Select(d => (long)d).ToArray();
        dims[axis] = branches.Aggregate(0L, (sum, b) => Saturating.Add(sum, b.Shape.Dimensions[axis]));
        return Type("'concat' output", Promote(branches), dims, span);
    }

    /// <summary>The output of <c>add(...)</c>, or null unless all shapes are equal.</summary>
    public TensorType? Add(IReadOnlyList<TensorType> branches, SourceSpan span)
    {
        if (!branches.All(b => b.DType.IsFloatingPoint()))
        {
            ReportDType("add", branches.First(b => !b.DType.IsFloatingPoint()), span);
            return null;
        }

        if (branches.Any(b => !b.Shape.Equals(branches[0].Shape)))
        {
            _diagnostics.Report(DiagnosticCode.AddMismatch, span, string.Join(", ", branches.Select(b => b.Shape)));
            return null;
        }

        return Type("'add' output", Promote(branches), [.. branches[0].Shape.Dimensions], span);
    }

    /// <summary>
    /// The element type of a merge of floating-point branches, as PyTorch promotes it: double when
    /// any branch is double, whatever the order.
    /// </summary>
    private static DType Promote(IEnumerable<TensorType> branches) =>
        branches.Any(b => b.DType == DType.Double) ? DType.Double : DType.Float;

    /// <summary>
    /// What every convolution checks of its input first: [channels, spatial...] of the layer's
    /// rank, and channels and out both divisible by groups; each failure reported at the layer.
    /// </summary>
    private (long Channels, long Output, long Groups)? ConvolutionChannels(Setting setting, TensorType input, SourceSpan span, int spatialRank)
    {
        var name = setting.Name;
        if (!CheckRank(name, input, span, spatialRank + 1, spatialRank == 2 ? "[channels, height, width]" : "[channels, length]"))
        {
            return null;
        }

        long channels = input.Shape.Dimensions[0], output = setting.Integer("out"), groups = setting.Integer("groups");
        if (channels % groups != 0 || output % groups != 0)
        {
            _diagnostics.Report(DiagnosticCode.GroupsMismatch, span, name, groups, channels, output);
            return null;
        }
        return (channels, output, groups);
    }

    private Layer? Convolution(LayerKind kind, Setting setting, TensorType input, SourceSpan span)
    {
        var spatialRank = kind == LayerKind.Conv2d ? 2 : 1;
        if (ConvolutionChannels(setting, input, span, spatialRank) is not var (channels, output, groups))
        {
            return null;
        }

        var window = Window.Of(setting, spatialRank);
        var spatial = SlidingWindow(setting, input, span, window);
        if (spatial is null)
        {
            return null;
        }

        // out·(C/groups)·kh·kw weights (PyTorch's [out, C/groups, kh, kw]) and out biases.
        var weights = Saturating.Multiply(Saturating.Multiply(output, channels / groups), Saturating.Product(window.Kernel));
        var parameters = Saturating.Add(weights, setting.Boolean("bias") ? output : 0);
        return Make(kind, setting, input, [output, .. spatial], parameters, span);
    }

    /// <summary>
    /// <c>conv_transpose1d</c>/<c>conv_transpose2d</c>, PyTorch's ConvTranspose: per spatial dimension
    /// (L − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1, output_padding below
    /// the stride or the dilation; in·(out/groups)·kernel weights (PyTorch's [in, out/groups, kh, kw])
    /// and out biases.
    /// </summary>
    private Layer? TransposedConvolution(LayerKind kind, Setting setting, TensorType input, SourceSpan span)
    {
        var spatialRank = kind == LayerKind.ConvTranspose2d ? 2 : 1;
        var name = setting.Name;
        if (ConvolutionChannels(setting, input, span, spatialRank) is not var (channels, output, groups))
        {
            return null;
        }

        var window = Window.Of(setting, spatialRank);
        var outputPadding = setting.PerDimension("output_padding", spatialRank);
        if (outputPadding.Where((p, i) => p >= window.Stride[i] && p >= window.Dilation[i]).Any())
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.OutputPaddingTooLarge,
                span,
                "lower output_padding or raise the stride",
                name,
                Window.Format(outputPadding),
                Window.Format(window.Stride),
                Window.Format(window.Dilation));
            return null;
        }

        var spatial = new long[spatialRank];
        for (var i = 0; i < spatialRank; i++)
        {
            var size = Saturating.Add(
                Saturating.Multiply(input.Shape.Dimensions[i + 1] - 1, window.Stride[i]) - (2 * window.Padding[i]),
                Saturating.Add(Saturating.Multiply(window.Dilation[i], window.Kernel[i] - 1), outputPadding[i] + 1));
            if (size < 1)
            {
                _diagnostics.ReportWithFix(DiagnosticCode.EmptyOutput, span, "use less padding", name, input.Shape);
                return null;
            }

            spatial[i] = size;
        }

        var weights = Saturating.Multiply(Saturating.Multiply(channels, output / groups), Saturating.Product(window.Kernel));
        var parameters = Saturating.Add(weights, setting.Boolean("bias") ? output : 0);
        return Make(kind, setting, input, [output, .. spatial], parameters, span);
    }

    /// <summary>
    /// <c>upsample(scale: s, mode)</c> or <c>upsample(size: n, mode)</c>, PyTorch's nn.Upsample with
    /// align_corners false: each spatial size floor(size · scale), or the sizes given. Each is one
    /// value for every spatial dimension or a list with one per dimension; exactly one of the two.
    /// Nearest reads [C, L] or [C, H, W], bilinear [C, H, W].
    /// </summary>
    private Layer? Upsample(Setting setting, TensorType input, SourceSpan span)
    {
        var name = setting.Name;
        var (scale, size) = (setting["scale"], setting["size"]);
        if (scale is not null && size is not null)
        {
            _diagnostics.ReportWithFix(DiagnosticCode.OptionsConflict, span, "keep one: 'scale' multiplies each size, 'size' sets it", name, "give 'scale' or 'size', not both");
            return null;
        }

        if (scale is null && size is null)
        {
            _diagnostics.ReportWithFix(DiagnosticCode.MissingArgument, span, "give 'scale' (upsample(2)) or 'size' (upsample(size: [28, 28]))", name, "scale' or 'size");
            return null;
        }

        var rank = input.Shape.Rank;
        if (setting.Word("mode") == "bilinear")
        {
            if (rank != 3)
            {
                _diagnostics.ReportWithFix(
                    DiagnosticCode.WrongRank, span, rank == 2 ? "use mode: nearest for [channels, length]" : null, name, "[channels, height, width] (mode bilinear)", input.Shape);
                return null;
            }
        }
        else if (rank is not (2 or 3))
        {
            ReportRank(name, input, span, "[channels, length] or [channels, height, width]");
            return null;
        }

        var dims = input.Shape.Dimensions;
        var spatialRank = rank - 1;
        var given = scale ?? size!;
        if (given is ListValue list && list.Items.Count != spatialRank)
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.DimensionCountMismatch,
                span,
                $"give {Wording.Count(spatialRank, "value")}, one per spatial dimension, or one number for all",
                name,
                scale is null ? "size" : "scale",
                Wording.Count(list.Items.Count, "value"),
                input.Shape,
                Wording.Count(spatialRank, "spatial dimension"));
            return null;
        }

        double[] spatial;
        if (size is not null)
        {
            spatial = [.. setting.PerDimension("size", spatialRank).Select(v => (double)v)];
        }
        else
        {
            var scales = setting.PerDimensionNumbers("scale", spatialRank);
            spatial = [.. dims.Skip(1).Select((d, i) => Math.Floor(d * scales[i]))];
            if (spatial.Any(s => s < 1))
            {
                _diagnostics.ReportWithFix(DiagnosticCode.EmptyOutput, span, "use a larger scale", name, input.Shape);
                return null;
            }
        }

        // Above long's range the size is only "too large": Make reports it.
        return Make(LayerKind.Upsample, setting, input, [dims[0], .. spatial.Select(s => s >= long.MaxValue ? long.MaxValue : (long)s)], 0, span);
    }

    private Layer? Pool(LayerKind kind, Setting setting, TensorType input, SourceSpan span)
    {
        var spatialRank = kind is LayerKind.MaxPool2d or LayerKind.AvgPool2d ? 2 : 1;
        var name = setting.Name;
        if (!CheckRank(name, input, span, spatialRank + 1, spatialRank == 2 ? "[channels, height, width]" : "[channels, length]"))
        {
            return null;
        }

        var window = Window.Of(setting, spatialRank);
        if (window.Padding.Where((p, i) => p * 2 > window.Kernel[i]).Any())
        {
            _diagnostics.Report(DiagnosticCode.PaddingTooLarge, span, name, Window.Format(window.Padding), Window.Format(window.Kernel));
            return null;
        }

        var dims = input.Shape.Dimensions;
        var spatial = SlidingWindow(setting, input, span, window);
        return spatial is null ? null : Make(kind, setting, input, [dims[0], .. spatial], 0, span);
    }

    /// <summary>
    /// A convolution's or pool's kernel, stride, padding and dilation, one value per spatial
    /// dimension (height then width); a pool without dilation has dilation 1.
    /// </summary>
    private sealed record Window(long[] Kernel, long[] Stride, long[] Padding, long[] Dilation)
    {
        public static Window Of(Setting setting, int spatialRank) => new(
            setting.PerDimension("kernel", spatialRank),
            setting.PerDimension("stride", spatialRank),
            setting.PerDimension("padding", spatialRank),
            setting["dilation"] is null ? [.. Enumerable.Repeat(1L, spatialRank)] : setting.PerDimension("dilation", spatialRank));

        /// <summary>One value as itself, several as a list: <c>1</c>, <c>[1, 2]</c>.</summary>
        public static string Format(long[] values) =>
            values.Distinct().Count() == 1 ? values[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : "[" + string.Join(", ", values) + "]";
    }

    /// <summary>floor((size + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1 per spatial dimension.</summary>
    private long[]? SlidingWindow(Setting setting, TensorType input, SourceSpan span, Window window)
    {
        var sizes = input.Shape.Dimensions.Skip(1).ToArray();
        var result = new long[sizes.Length];
        for (var i = 0; i < sizes.Length; i++)
        {
            long kernel = window.Kernel[i], stride = window.Stride[i], padding = window.Padding[i], dilation = window.Dilation[i];
            var reach = Saturating.Add(Saturating.Multiply(dilation, kernel - 1), 1);
            var padded = Saturating.Add(sizes[i], Saturating.Multiply(2, padding));
            if (padded < reach)
            {
                _diagnostics.ReportWithFix(
                    DiagnosticCode.EmptyOutput, span, "use a smaller kernel or stride, or add padding", setting.Name, input.Shape);
                return null;
            }

            result[i] = ((padded - reach) / stride) + 1;
        }

        return result;
    }

    /// <summary>
    /// <c>permute(dims)</c>: dims name each of 0 (the batch, which must stay first) to rank once,
    /// negative ones counted from the end as PyTorch does; output dim i is input dim dims[i].
    /// </summary>
    private Layer? Permute(Setting setting, TensorType input, SourceSpan span)
    {
        var rank = input.Shape.Rank;
        var written = setting["dims"] is ListValue list ? list.Items.Select(i => ((IntegerValue)i).Value).ToArray() : [];
        var resolved = written.Select(d => d < 0 ? d + rank + 1 : d).ToArray();
        var isPermutation = resolved.Length == rank + 1 && resolved[0] == 0
            && resolved.OrderBy(d => d).Select((d, i) => d == i).All(x => x);
        if (!isPermutation)
        {
            var fix = rank switch
            {
                0 => "the input has no dimensions besides the batch: remove 'permute'",
                1 => "the input has one dimension besides the batch: remove 'permute'",
                _ => $"for example permute({string.Join(", ", Enumerable.Range(0, rank + 1).Select(i => i == 0 ? 0 : rank + 1 - i))}) reverses the per-example dims",
            };
            _diagnostics.ReportWithFix(
                DiagnosticCode.NotAPermutation, span, fix, "[" + string.Join(", ", written) + "]", rank, input.Shape);
            return null;
        }

        var dims = input.Shape.Dimensions;
        return Make(LayerKind.Permute, setting, input, [.. resolved.Skip(1).Select(d => (long)dims[(int)d - 1])], 0, span);
    }

    private Layer? Recurrent(LayerKind kind, Setting setting, TensorType input, SourceSpan span)
    {
        if (!CheckRank(setting.Name, input, span, 2, "a sequence [length, features]"))
        {
            return null;
        }

        var dims = input.Shape.Dimensions;
        var hidden = setting.Integer("hidden");
        var directions = setting.Boolean("bidirectional") ? 2 : 1;
        var gates = kind == LayerKind.Lstm ? 4 : 3;
        var output = hidden * directions;

        // Per layer and direction: gates·(hidden·in + hidden·hidden + 2·hidden), PyTorch's two bias vectors;
        // the first layer reads the features, later layers the previous layer's output.
        long PerLayer(long inputSize) => Saturating.Multiply(
            directions,
            Saturating.Multiply(gates, Saturating.Add(Saturating.Multiply(hidden, Saturating.Add(inputSize, hidden)), 2 * hidden)));
        var parameters = Saturating.Add(
            PerLayer(dims[1]), Saturating.Multiply(setting.Integer("layers") - 1, PerLayer(output)));

        long[] shape = setting.Word("reduce") == "none" ? [dims[0], output] : [output];
        return Make(kind, setting, input, shape, parameters, span);
    }

    /// <summary>The 1-based per-example position of a PyTorch dim, or null (reported) when out of range.</summary>
    private int? ResolveDim(string name, long dim, TensorType input, SourceSpan span)
    {
        var rank = input.Shape.Rank;
        var resolved = dim < 0 ? dim + rank + 1 : dim;
        if (resolved >= 1 && resolved <= rank)
        {
            return (int)resolved;
        }

        var fix = rank switch
        {
            0 => "the input has no dimensions besides the batch",
            1 => "use 1 or -1 (dim 0 is the batch)",
            _ => $"use 1 to {rank} or -{rank} to -1 (dim 0 is the batch)",
        };
        _diagnostics.ReportWithFix(DiagnosticCode.DimOutOfRange, span, fix, name, dim, input.Shape);
        return null;
    }

    private bool CheckDType(LayerKind kind, string name, TensorType input, SourceSpan span)
    {
        if (kind == LayerKind.Embedding)
        {
            if (input.DType.IsInteger())
            {
                return true;
            }

            _diagnostics.ReportWithFix(
                DiagnosticCode.WrongDType, span, "embedding looks up integer token ids: declare the input as long", name, "long or int", input);
            return false;
        }

        if (kind is LayerKind.Flatten or LayerKind.Permute or LayerKind.Transpose or LayerKind.CastFloat or LayerKind.CastLong || input.DType.IsFloatingPoint())
        {
            return true;
        }

        ReportDType(name, input, span);
        return false;
    }

    /// <summary>Whether <paramref name="input"/> is float or double; reports when it is not.</summary>
    public bool RequireFloatingPoint(string name, TensorType input, SourceSpan span)
    {
        if (input.DType.IsFloatingPoint())
        {
            return true;
        }

        ReportDType(name, input, span);
        return false;
    }

    private void ReportDType(string name, TensorType input, SourceSpan span)
    {
        var fix = input.DType.IsInteger()
            ? "add 'embedding' first to turn ids into vectors, or 'float' to use the values as numbers"
            : "declare the input as float, or add 'float' first";
        _diagnostics.ReportWithFix(DiagnosticCode.WrongDType, span, fix, name, "float or double", input);
    }

    /// <summary>Checks the rank; -1 means "at least one dimension".</summary>
    private bool CheckRank(string name, TensorType input, SourceSpan span, int rank, string expected)
    {
        var actual = input.Shape.Rank;
        if (rank == -1 ? actual >= 1 : actual == rank)
        {
            return true;
        }

        ReportRank(name, input, span, expected);
        return false;
    }

    private void ReportRank(string name, TensorType input, SourceSpan span, string expected)
    {
        var rank = input.Shape.Rank;
        var fix = rank == 0
            ? "give the input a size, for example float[1]"
            : null;
        _diagnostics.ReportWithFix(DiagnosticCode.WrongRank, span, fix, name, expected, input.Shape);
    }

    /// <summary>
    /// The one place every shape is made, so none escapes the size check: a tensor type, or null
    /// (reported as <paramref name="what"/>, "'conv2d' output" or "input 'x'") when a dimension or
    /// the element count per example is above int.MaxValue, which PyTorch indexing and the
    /// generated code cannot hold.
    /// </summary>
    public TensorType? Type(string what, DType dtype, IReadOnlyList<long> dimensions, SourceSpan span)
    {
        if (dimensions.Any(d => d > int.MaxValue) || Saturating.Product(dimensions) > int.MaxValue)
        {
            _diagnostics.Report(DiagnosticCode.ShapeTooLarge, span, what);
            return null;
        }

        return new TensorType(dtype, new Shape(dimensions.Select(d => (int)d).ToEquatableArray()));
    }

    private Layer? Make(
        LayerKind kind, Setting setting, TensorType input, IReadOnlyList<long> output, long parameters, SourceSpan span, DType? dtype = null) =>
        Type($"'{setting.Name}' output", dtype ?? input.DType, output, span) is { } type
            ? new Layer(kind, setting, input, type, parameters, default)
            : null;
}
