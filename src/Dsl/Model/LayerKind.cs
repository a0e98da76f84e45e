namespace Mtl.Dsl.Model;

public enum LayerKind
{
    Linear,
    Conv1d,
    Conv2d,
    ConvTranspose1d,
    ConvTranspose2d,
    MaxPool1d,
    MaxPool2d,
    AvgPool1d,
    AvgPool2d,
    Upsample,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    LayerNorm,
    Dropout,
    Embedding,
    Flatten,

    /// <summary><c>permute(0, 2, 1)</c>: reorders the dims, the batch (dim 0) staying first.</summary>
    Permute,

    /// <summary><c>transpose(1, 2)</c>: swaps two per-example dims.</summary>
    Transpose,

    /// <summary><c>float</c>: converts any element type to float (bool true is 1).</summary>
    CastFloat,

    /// <summary><c>long</c>: converts any element type to long (floats are truncated toward zero).</summary>
    CastLong,
    Lstm,
    Gru,
    Relu,
    LeakyRelu,
    Gelu,
    Silu,
    Tanh,
    Sigmoid,
    Elu,
    Selu,
    Mish,
    Softplus,
    Relu6,
    Hardswish,
    Hardsigmoid,
    Identity,
    Softmax,
    LogSoftmax,
    Mean,
    Sum,
    Max,
    Residual,

    /// <summary><c>mmoe(...)</c>: experts over one source and a softmax gate per task; <see cref="Layer.Body"/> is one expert's layers.</summary>
    Mmoe,

    /// <summary><c>cgc(...)</c>: shared and task-specific experts, a softmax gate per task over its own and the shared ones.</summary>
    Cgc,

    /// <summary><c>ple(levels: L, ...)</c>: L <c>cgc</c> levels; <see cref="Layer.Body"/> holds each level's expert layers in turn.</summary>
    Ple,

    /// <summary><c>cross_stitch(...)</c>: a tower per task, mixed by learned units at each <see cref="Stitch"/>; <see cref="Layer.Body"/> is the tower.</summary>
    CrossStitch,

    /// <summary><c>stitch</c> in a cross-stitch tower: where the towers' activations are mixed (T² parameters).</summary>
    Stitch,
}

public static class LayerKinds
{
    /// <summary>Whether the layer is a mixture of experts (<c>mmoe</c>, <c>cgc</c>, <c>ple</c>), with one output per task.</summary>
    public static bool IsMixture(this LayerKind kind) => kind is LayerKind.Mmoe or LayerKind.Cgc or LayerKind.Ple;

    /// <summary>Whether the layer has one output per task, read as <c>block.task</c>: a mixture of experts or <c>cross_stitch</c>.</summary>
    public static bool HasTaskOutputs(this LayerKind kind) => kind.IsMixture() || kind == LayerKind.CrossStitch;
}
