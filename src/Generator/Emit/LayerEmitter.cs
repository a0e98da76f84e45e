using System.Globalization;
using Mtl.Catalog;
using Mtl.Dsl.Model;

namespace Mtl.Generator.Emit;

/// <summary>The C# that builds each layer of a pipeline as a module, with every inferred size written out.</summary>
internal static class LayerEmitter
{
    /// <summary>
    /// Lines of an expression building a <c>Sequential</c> of <paramref name="layers"/>, one layer
    /// per line; the last line ends with <paramref name="end"/>.
    /// </summary>
    public static IReadOnlyList<string> Sequential(IReadOnlyList<Layer> layers, string end) =>
        Sequential(layers, end, SequenceMasks.Plan(layers));

    /// <summary>
    /// As <see cref="Sequential(IReadOnlyList{Layer}, string)"/>, with the padding mask the pipeline
    /// carries: from an embedding, or with its input from its source block or task, and perhaps out
    /// with its output (<see cref="SequenceMasks.Flows"/>); null for none.
    /// </summary>
    public static IReadOnlyList<string> Sequential(IReadOnlyList<Layer> layers, string end, MaskSpan? mask)
    {
        // An embedding's padding mask carried to the layers that read it (docs/language.md, "Padding masks").
        if (mask is not null)
        {
            var carry = mask.Source == MaskSpan.Incoming
                ? $".with_incoming_mask({mask.Last})"
                : $".with_sequence_mask({mask.Source}, {mask.Last}, {mask.PaddingIdx})";
            end = carry + (mask.CarriesOut ? ".carries_mask_out()" : "") + end;
        }

        if (layers.Count == 0) return [$"{Types.Nn}.Sequential(){end}"];

        var lines = new List<string> { $"{Types.Nn}.Sequential(" };
        for (var i = 0; i < layers.Count; i++)
        {
            var module = Module(layers[i]);
            var last = module.Count - 1;
            for (var j = 0; j < module.Count; j++)
            {
                var suffix = j < last ? "" : i < layers.Count - 1 ? "," : ")" + end;
                lines.Add("    " + module[j] + suffix);
            }
        }
        return lines;
    }

    /// <summary>The lines of one layer's module expression (one line except for residual).</summary>
    public static IReadOnlyList<string> Module(Layer layer)
    {
        var s = layer.Setting;
        var input = layer.Input.Shape.Dimensions;
        var dtype = layer.Input.DType == DType.Double ? $", dtype: {Types.ScalarType}.Float64" : "";
        string Int(string option) => s.Integer(option).ToString(CultureInfo.InvariantCulture);
        string Num(string option) => Literals.Double(s.Number(option));
        string Flag(string option) => Literals.Bool(s.Boolean(option));

        // A 2-d window written per dimension anywhere is emitted as (height, width) tuples throughout,
        // as PyTorch's nn.Conv2d((3, 5), stride=(1, 2)); written as single integers, it stays one integer each.
        var perDimension = s.Options.Any(o => o.Value is ListValue) && layer.Kind is LayerKind.Conv2d or LayerKind.ConvTranspose2d or LayerKind.MaxPool2d or LayerKind.AvgPool2d;
        string Window(string option) => perDimension
            ? "(" + string.Join(", ", s.PerDimension(option, 2).Select(v => v.ToString(CultureInfo.InvariantCulture))) + ")"
            : Int(option);
        string Nn(string call) => $"{Types.Nn}.{call}";
        return layer.Kind switch
        {
            LayerKind.Linear => [Nn($"Linear({input[input.Count - 1]}, {Int("out")}, hasBias: {Flag("bias")}{dtype})")],
            LayerKind.Conv1d or LayerKind.Conv2d => [Nn($"{(layer.Kind == LayerKind.Conv1d ? "Conv1d" : "Conv2d")}({input[0]}, {Int("out")}, {Window("kernel")}, stride: {Window("stride")}, padding: {Window("padding")}, dilation: {Window("dilation")}, groups: {Int("groups")}, bias: {Flag("bias")}{dtype})")],
            LayerKind.ConvTranspose1d or LayerKind.ConvTranspose2d => [Nn($"{layer.Kind}({input[0]}, {Int("out")}, {Window("kernel")}, stride: {Window("stride")}, padding: {Window("padding")}, output_padding: {Window("output_padding")}, groups: {Int("groups")}, bias: {Flag("bias")}, dilation: {Window("dilation")}{dtype})")],
            LayerKind.MaxPool1d or LayerKind.MaxPool2d => [Nn($"{layer.Kind}({Window("kernel")}, stride: {Window("stride")}, padding: {Window("padding")}, dilation: {Window("dilation")})")],
            LayerKind.AvgPool1d or LayerKind.AvgPool2d => [Nn($"{layer.Kind}({Window("kernel")}, stride: {Window("stride")}, padding: {Window("padding")})")],
            LayerKind.Upsample => [Nn(Upsample(s, input.Count - 1))],
            LayerKind.AdaptiveAvgPool1d or LayerKind.AdaptiveAvgPool2d => [Nn($"{layer.Kind}({Int("out")})")],
            LayerKind.BatchNorm1d or LayerKind.BatchNorm2d => [Nn($"{layer.Kind}({input[0]}, eps: {Num("eps")}, momentum: {Num("momentum")}{dtype})")],
            LayerKind.LayerNorm => [Nn($"LayerNorm({input[input.Count - 1]}, eps: {Num("eps")}{dtype})")],
            LayerKind.Dropout => [Nn($"Dropout({Num("p")})")],
            LayerKind.Embedding => [Nn($"Embedding({Int("vocab")}, {Int("dim")}{(s["padding_idx"] is null ? "" : $", padding_idx: {Int("padding_idx")}")})")],
            LayerKind.Flatten => [input.Count == 0 ? $"new {Types.Layers}.Reshape(1)" : Nn("Flatten()")],
            LayerKind.Permute => [$"new {Types.Layers}.Permute({Dims(s)})"],
            LayerKind.CastFloat => [$"new {Types.Layers}.Cast({Types.ScalarType}.Float32)"],
            LayerKind.CastLong => [$"new {Types.Layers}.Cast({Types.ScalarType}.Int64)"],
            LayerKind.Transpose => [$"new {Types.Layers}.Transpose({Int("dim0")}, {Int("dim1")})"],
            LayerKind.Lstm or LayerKind.Gru => [Recurrent(layer, input[input.Count - 1], dtype)],
            LayerKind.Relu => [Nn("ReLU()")],
            LayerKind.LeakyRelu => [Nn($"LeakyReLU({Num("slope")})")],
            LayerKind.Gelu => [Nn("GELU()")],
            LayerKind.Silu => [Nn("SiLU()")],
            LayerKind.Tanh => [Nn("Tanh()")],
            LayerKind.Sigmoid => [Nn("Sigmoid()")],
            LayerKind.Elu => [Nn($"ELU({Num("alpha")})")],
            LayerKind.Selu => [Nn("SELU()")],
            LayerKind.Mish => [Nn("Mish()")],
            LayerKind.Softplus => [Nn($"Softplus({Num("beta")}, {Num("threshold")})")],
            LayerKind.Relu6 => [Nn("ReLU6()")],
            LayerKind.Hardswish => [Nn("Hardswish()")],
            LayerKind.Hardsigmoid => [Nn("Hardsigmoid()")],
            LayerKind.Identity => [Nn("Identity()")],
            LayerKind.Softmax => [Nn($"Softmax({Int("dim")})")],
            LayerKind.LogSoftmax => [Nn($"LogSoftmax({Int("dim")})")],
            LayerKind.Mean => [Reduce("Mean", Int("dim"))],
            LayerKind.Sum => [Reduce("Sum", Int("dim"))],
            LayerKind.Max => [Reduce("Max", Int("dim"))],
            LayerKind.Residual => Residual(layer),
            _ => throw new ArgumentOutOfRangeException(nameof(layer), layer.Kind, "no module for this layer"),
        };
    }

    /// <summary>
    /// nn.Upsample(2.0, mode) for one scale; with a scale per dimension or a size, the values for
    /// each spatial dimension as an array (a size written once is repeated for each).
    /// </summary>
    private static string Upsample(Setting setting, int spatialRank)
    {
        var mode = $"{Types.UpsampleMode}.{(setting.Word("mode") == "bilinear" ? "Bilinear" : "Nearest")}";
        return setting["size"] is not null
            ? $"Upsample(size: new long[] {{ {string.Join(", ", setting.PerDimension("size", spatialRank).Select(v => v.ToString(CultureInfo.InvariantCulture)))} }}, mode: {mode})"
            : setting["scale"] is ListValue
                ? $"Upsample(scale_factor: new double[] {{ {string.Join(", ", setting.PerDimensionNumbers("scale", spatialRank).Select(Literals.Double))} }}, mode: {mode})"
                : $"Upsample({Literals.Double(setting.Number("scale"))}, {mode})";
    }

    private static string Dims(Setting setting) =>
        setting["dims"] is ListValue list ? string.Join(", ", list.Items.Select(i => i.ToString())) : "";

    private static string Reduce(string mode, string dim) => $"new {Types.Layers}.Reduce({Types.Layers}.ReduceMode.{mode}, {dim})";

    private static string Recurrent(Layer layer, int features, string dtype)
    {
        var s = layer.Setting;
        var rnn = layer.Kind == LayerKind.Lstm ? "LSTM" : "GRU";
        var output = s.Word("reduce") switch
        {
            "last" => "Last",
            "mean" => "Mean",
            _ => "Sequence",
        };
        return $"new {Types.Layers}.Recurrent({Types.Nn}.{rnn}({features}, {s.Integer("hidden")}, num_layers: {s.Integer("layers")}, batch_first: true, "
            + $"dropout: {Literals.Double(s.Number("dropout"))}, bidirectional: {Literals.Bool(s.Boolean("bidirectional"))}{dtype}), {Types.Layers}.RecurrentOutput.{output})";
    }

    private static IReadOnlyList<string> Residual(Layer layer)
    {
        var body = Sequential(layer.Body, ")");
        return [$"new {Types.Layers}.Residual(" + body[0], .. body.Skip(1)];
    }
}
