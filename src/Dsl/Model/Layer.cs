namespace Mtl.Dsl.Model;

/// <summary>
/// One step of a pipeline with every option bound (defaults included), its inferred input and
/// output, and its trainable parameter count. <see cref="Body"/> holds the wrapped layers of a
/// <see cref="LayerKind.Residual"/>, the layers of one expert of a <see cref="LayerKind.Mmoe"/>
/// (whose <see cref="Output"/> is each task's mixture, the expert's output), and is empty otherwise.
/// </summary>
public sealed record Layer(
    LayerKind Kind,
    Setting Setting,
    TensorType Input,
    TensorType Output,
    long ParameterCount,
    EquatableArray<Layer> Body);
