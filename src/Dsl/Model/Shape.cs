namespace Mtl.Dsl.Model;

/// <summary>A per-example shape: the batch dimension is implicit and not listed.</summary>
public sealed record Shape(EquatableArray<int> Dimensions)
{
    public static Shape Of(params int[] dimensions) => new(new EquatableArray<int>(dimensions));

    public int Rank => Dimensions.Count;

    public long ElementCount => Saturating.Product(Dimensions);

    public override string ToString() => "[" + string.Join(", ", Dimensions) + "]";
}
