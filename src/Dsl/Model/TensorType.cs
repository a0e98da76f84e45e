namespace Mtl.Dsl.Model;

/// <summary>What flows between layers: an element type and a per-example shape.</summary>
public sealed record TensorType(DType DType, Shape Shape)
{
    public override string ToString() => DType.ToName() + Shape;
}
