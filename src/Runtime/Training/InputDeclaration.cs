using Mtl.Torch;

namespace Mtl.Training;

/// <summary>
/// One input a model reads: its name in the inputs dictionary, its element type and its
/// per-example shape (without the leading example dimension; empty for one value per example).
/// The trainer checks training, validation and evaluation data against a model's declared inputs
/// before the first step (see <see cref="MultiTaskModule.DeclaredInputs"/>).
/// </summary>
public sealed record InputDeclaration
{
    public InputDeclaration(string name, ScalarType dtype, IReadOnlyList<long> shape)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("an input needs a name", nameof(name));
        ArgumentNullException.ThrowIfNull(shape);
        foreach (var size in shape)
        {
            if (size < 0) throw new ArgumentOutOfRangeException(nameof(shape), size, $"input '{name}': a dimension of {Tensor.FormatShape(shape.ToArray())} is negative");
        }
        Name = name;
        DType = dtype;
        Shape = shape.ToArray();
    }

    public string Name { get; }

    public ScalarType DType { get; }

    /// <summary>The shape of one example (the data's shape less its first dimension).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Same name, dtype and shape (the shape compared by value).</summary>
    public bool Equals(InputDeclaration? other) =>
        other is not null && Name == other.Name && DType == other.DType && Shape.SequenceEqual(other.Shape);

    public override int GetHashCode() => HashCode.Combine(Name, DType, Shape.Count);

    /// <summary>The declaration as the trainer's messages write it: <c>x: float32 [N, 6]</c>.</summary>
    public override string ToString() => $"{Name}: {ScalarTypeInfo.Name(DType)} [N{string.Concat(Shape.Select(d => ", " + d))}]";
}
