using Mtl.Dsl.Model;

namespace Mtl.Generator.Emit;

/// <summary>The text of generated XML docs: the .mtl file's own <c>///</c> comments first, then what the member is.</summary>
internal static class Docs
{
    public static string With(string? doc, string description) =>
        string.IsNullOrWhiteSpace(doc) ? description : doc!.Trim() + "\n" + description;

    /// <summary><c>float[14]</c>, <c>long[]</c>: a per-example type as the .mtl file writes it.</summary>
    public static string Type(TensorType type) => type.ToString();

    /// <summary>The batch shape of a per-example shape: <c>[N, 14]</c>.</summary>
    public static string Batch(Shape shape) => "[N" + string.Concat(shape.Dimensions.Select(d => ", " + d)) + "]";
}
