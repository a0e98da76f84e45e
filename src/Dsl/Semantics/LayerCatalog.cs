using Mtl.Dsl.Model;

namespace Mtl.Dsl.Semantics;

/// <summary>The layers a pipeline may use, with PyTorch's option names and defaults.</summary>
internal static class LayerCatalog
{
    public const string Residual = "residual";
    public const string Concat = "concat";
    public const string Add = "add";
    public const string Mmoe = "mmoe";
    public const string Cgc = "cgc";
    public const string Ple = "ple";
    public const string CrossStitch = "cross_stitch";
    public const string Stitch = "stitch";

    private static readonly Dictionary<string, (LayerKind Kind, SettingSpec SettingSpec)> Layers = Build();

    public static IReadOnlyCollection<string> Names => Layers.Keys;

    public static bool TryGet(string name, out LayerKind kind, out SettingSpec signature)
    {
        if (Layers.TryGetValue(name, out var entry))
        {
            (kind, signature) = entry;
            return true;
        }

        kind = default;
        signature = null!;
        return false;
    }

    private static Dictionary<string, (LayerKind, SettingSpec)> Build()
    {
        var one = ValueRange.AtLeastOne;
        var nonNegative = ValueRange.NonNegative;
        // A 2-d layer's kernel, stride, padding and dilation are one integer for both dimensions or [height, width].
        OptionSpec Window(string name, int dimensions, long? defaultValue, ValueRange range, bool required = false) =>
            dimensions == 1
                ? new OptionSpec(name, OptionType.Integer, defaultValue is { } d ? new IntegerValue(d) : null, required, range)
                : OptionSpec.PerDimension(name, dimensions, defaultValue, range, required);
        OptionSpec[] Conv(int dimensions) =>
        [
            OptionSpec.RequiredInt("out", one), Window("kernel", dimensions, null, one, required: true), Window("stride", dimensions, 1, one),
            Window("padding", dimensions, 0, nonNegative), Window("dilation", dimensions, 1, one), OptionSpec.Int("groups", 1, one),
            OptionSpec.Bool("bias", true),
        ];
        OptionSpec[] ConvTranspose(int dimensions) =>
        [
            OptionSpec.RequiredInt("out", one), Window("kernel", dimensions, null, one, required: true), Window("stride", dimensions, 1, one),
            Window("padding", dimensions, 0, nonNegative), Window("output_padding", dimensions, 0, nonNegative), Window("dilation", dimensions, 1, one),
            OptionSpec.Int("groups", 1, one), OptionSpec.Bool("bias", true),
        ];
        OptionSpec[] Pool(int dimensions, bool dilation) =>
        [
            Window("kernel", dimensions, null, one, required: true),
            Window("stride", dimensions, null, one) with { DefaultFrom = "kernel" },
            Window("padding", dimensions, 0, nonNegative),
            .. dilation ? [Window("dilation", dimensions, 1, one)] : Array.Empty<OptionSpec>(),
        ];
        OptionSpec[] Recurrent() =>
        [
            OptionSpec.RequiredInt("hidden", one), OptionSpec.Int("layers", 1, one), OptionSpec.Bool("bidirectional", false),
            OptionSpec.Num("dropout", 0, ValueRange.UnitOpen), OptionSpec.Choice("reduce", "none", "none", "last", "mean"),
        ];
        OptionSpec[] Reduction() => [OptionSpec.RequiredInt("dim")];
        OptionSpec[] SoftmaxDim() => [OptionSpec.Int("dim", -1)];

        var entries = new (string Name, LayerKind Kind, OptionSpec[] Options)[]
        {
            ("linear", LayerKind.Linear, [OptionSpec.RequiredInt("out", one), OptionSpec.Bool("bias", true)]),
            ("conv1d", LayerKind.Conv1d, Conv(1)),
            ("conv2d", LayerKind.Conv2d, Conv(2)),
            ("conv_transpose1d", LayerKind.ConvTranspose1d, ConvTranspose(1)),
            ("conv_transpose2d", LayerKind.ConvTranspose2d, ConvTranspose(2)),
            ("maxpool1d", LayerKind.MaxPool1d, Pool(1, dilation: true)),
            ("maxpool2d", LayerKind.MaxPool2d, Pool(2, dilation: true)),
            ("avgpool1d", LayerKind.AvgPool1d, Pool(1, dilation: false)),
            ("avgpool2d", LayerKind.AvgPool2d, Pool(2, dilation: false)),
            // Exactly one of scale and size (checked with the input's shape): nn.Upsample(scale_factor=...) or nn.Upsample(size=...).
            // Each is one value for every spatial dimension or a list with one per dimension.
            ("upsample", LayerKind.Upsample,
                [
                    new OptionSpec("scale", OptionType.NumberOrList, Range: ValueRange.Positive), OptionSpec.Choice("mode", "nearest", "nearest", "bilinear"),
                    new OptionSpec("size", OptionType.IntegerPerDimension, Range: one),
                ]),
            ("adaptive_avgpool1d", LayerKind.AdaptiveAvgPool1d, [OptionSpec.RequiredInt("out", one)]),
            ("adaptive_avgpool2d", LayerKind.AdaptiveAvgPool2d, [OptionSpec.RequiredInt("out", one)]),

            // batchnorm becomes BatchNorm1d or BatchNorm2d by the rank of its input.
            ("batchnorm", LayerKind.BatchNorm1d,
                [OptionSpec.Num("eps", 1e-5, ValueRange.Positive), OptionSpec.Num("momentum", 0.1, ValueRange.Probability)]),
            ("layernorm", LayerKind.LayerNorm, [OptionSpec.Num("eps", 1e-5, ValueRange.Positive)]),
            ("dropout", LayerKind.Dropout, [OptionSpec.Num("p", 0.5, ValueRange.Probability)]),
            // padding_idx: the id whose row stays zero and gets no gradient (PyTorch's); none when not written.
            ("embedding", LayerKind.Embedding, [OptionSpec.RequiredInt("vocab", one), OptionSpec.RequiredInt("dim", one), OptionSpec.Int("padding_idx", null, nonNegative)]),
            ("flatten", LayerKind.Flatten, []),

            // permute(0, 2, 1) is written with its dims one by one, as PyTorch's x.permute; the binder gathers them into 'dims'.
            ("permute", LayerKind.Permute, [new OptionSpec("dims", OptionType.IntegerList, Required: true)]),
            // Casts, named as the element types of inputs: bool or int inputs become float for linear, or long for embedding.
            ("float", LayerKind.CastFloat, []),
            ("long", LayerKind.CastLong, []),
            ("transpose", LayerKind.Transpose, [OptionSpec.RequiredInt("dim0"), OptionSpec.RequiredInt("dim1")]),
            ("lstm", LayerKind.Lstm, Recurrent()),
            ("gru", LayerKind.Gru, Recurrent()),
            ("relu", LayerKind.Relu, []),
            ("leaky_relu", LayerKind.LeakyRelu, [OptionSpec.Num("slope", 0.01, nonNegative)]),
            ("gelu", LayerKind.Gelu, []),
            ("silu", LayerKind.Silu, []),
            ("tanh", LayerKind.Tanh, []),
            ("sigmoid", LayerKind.Sigmoid, []),
            ("elu", LayerKind.Elu, [OptionSpec.Num("alpha", 1.0, nonNegative)]),
            ("selu", LayerKind.Selu, []),
            ("mish", LayerKind.Mish, []),
            ("softplus", LayerKind.Softplus, [OptionSpec.Num("beta", 1.0, ValueRange.Positive), OptionSpec.Num("threshold", 20.0)]),
            ("relu6", LayerKind.Relu6, []),
            ("hardswish", LayerKind.Hardswish, []),
            ("hardsigmoid", LayerKind.Hardsigmoid, []),
            ("identity", LayerKind.Identity, []),
            ("softmax", LayerKind.Softmax, SoftmaxDim()),
            ("log_softmax", LayerKind.LogSoftmax, SoftmaxDim()),
            ("mean", LayerKind.Mean, Reduction()),
            ("sum", LayerKind.Sum, Reduction()),
            ("max", LayerKind.Max, Reduction()),
        };

        return entries.ToDictionary(e => e.Name, e => (e.Kind, new SettingSpec(e.Name, e.Options)), StringComparer.Ordinal);
    }

    /// <summary>Every word that may stand in a pipeline, for "did you mean" suggestions.</summary>
    public static IEnumerable<string> AllWords => Names.Concat([Residual, Mmoe, Cgc, Ple, CrossStitch, Stitch]);
}
