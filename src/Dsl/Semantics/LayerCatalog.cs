using Mtl.Dsl.Model;

namespace Mtl.Dsl.Semantics;

/// <summary>The layers a pipeline may use, with PyTorch's option names and defaults.</summary>
internal static class LayerCatalog
{
    public const string Residual = "residual";
    public const string Concat = "concat";
    public const string Add = "add";

    private static readonly Dictionary<string, (LayerKind Kind, Signature Signature)> Layers = Build();

    public static IReadOnlyCollection<string> Names => Layers.Keys;

    public static bool TryGet(string name, out LayerKind kind, out Signature signature)
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

    private static Dictionary<string, (LayerKind, Signature)> Build()
    {
        var one = ValueRange.AtLeastOne;
        var nonNegative = ValueRange.NonNegative;
        Parameter[] Conv() =>
        [
            Parameter.RequiredInt("out", one), Parameter.RequiredInt("kernel", one), Parameter.Int("stride", 1, one),
            Parameter.Int("padding", 0, nonNegative), Parameter.Int("dilation", 1, one), Parameter.Int("groups", 1, one),
            Parameter.Bool("bias", true),
        ];
        Parameter[] Pool(bool dilation) =>
        [
            Parameter.RequiredInt("kernel", one),
            new("stride", ParameterType.Integer, Range: one, DefaultFrom: "kernel"),
            Parameter.Int("padding", 0, nonNegative),
            .. dilation ? [Parameter.Int("dilation", 1, one)] : Array.Empty<Parameter>(),
        ];
        Parameter[] Recurrent() =>
        [
            Parameter.RequiredInt("hidden", one), Parameter.Int("layers", 1, one), Parameter.Bool("bidirectional", false),
            Parameter.Num("dropout", 0, ValueRange.UnitOpen), Parameter.Choice("reduce", "none", "none", "last", "mean"),
        ];
        Parameter[] Reduction() => [Parameter.RequiredInt("dim")];
        Parameter[] SoftmaxDim() => [Parameter.Int("dim", -1)];

        var entries = new (string Name, LayerKind Kind, Parameter[] Parameters)[]
        {
            ("linear", LayerKind.Linear, [Parameter.RequiredInt("out", one), Parameter.Bool("bias", true)]),
            ("conv1d", LayerKind.Conv1d, Conv()),
            ("conv2d", LayerKind.Conv2d, Conv()),
            ("maxpool1d", LayerKind.MaxPool1d, Pool(dilation: true)),
            ("maxpool2d", LayerKind.MaxPool2d, Pool(dilation: true)),
            ("avgpool1d", LayerKind.AvgPool1d, Pool(dilation: false)),
            ("avgpool2d", LayerKind.AvgPool2d, Pool(dilation: false)),
            ("adaptive_avgpool1d", LayerKind.AdaptiveAvgPool1d, [Parameter.RequiredInt("out", one)]),
            ("adaptive_avgpool2d", LayerKind.AdaptiveAvgPool2d, [Parameter.RequiredInt("out", one)]),

            // batchnorm becomes BatchNorm1d or BatchNorm2d by the rank of its input.
            ("batchnorm", LayerKind.BatchNorm1d,
                [Parameter.Num("eps", 1e-5, ValueRange.Positive), Parameter.Num("momentum", 0.1, ValueRange.Probability)]),
            ("layernorm", LayerKind.LayerNorm, [Parameter.Num("eps", 1e-5, ValueRange.Positive)]),
            ("dropout", LayerKind.Dropout, [Parameter.Num("p", 0.5, ValueRange.Probability)]),
            ("embedding", LayerKind.Embedding, [Parameter.RequiredInt("vocab", one), Parameter.RequiredInt("dim", one)]),
            ("flatten", LayerKind.Flatten, []),
            ("lstm", LayerKind.Lstm, Recurrent()),
            ("gru", LayerKind.Gru, Recurrent()),
            ("relu", LayerKind.Relu, []),
            ("leaky_relu", LayerKind.LeakyRelu, [Parameter.Num("slope", 0.01, nonNegative)]),
            ("gelu", LayerKind.Gelu, []),
            ("silu", LayerKind.Silu, []),
            ("tanh", LayerKind.Tanh, []),
            ("sigmoid", LayerKind.Sigmoid, []),
            ("elu", LayerKind.Elu, [Parameter.Num("alpha", 1.0, nonNegative)]),
            ("selu", LayerKind.Selu, []),
            ("mish", LayerKind.Mish, []),
            ("softplus", LayerKind.Softplus, [Parameter.Num("beta", 1.0, ValueRange.Positive), Parameter.Num("threshold", 20.0)]),
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

        return entries.ToDictionary(e => e.Name, e => (e.Kind, new Signature(e.Name, e.Parameters)), StringComparer.Ordinal);
    }

    /// <summary>Every word that may stand in a pipeline, for "did you mean" suggestions.</summary>
    public static IEnumerable<string> AllWords => Names.Concat([Residual]);
}
