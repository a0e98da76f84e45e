namespace Mtl.Dsl.Model;

/// <summary>Element types of inputs and targets.</summary>
public enum DType
{
    Float,
    Double,
    Long,
    Int,
    Bool,
}

public static class DTypes
{
    /// <summary>The names as written in .mtl files, in declaration order of <see cref="DType"/>.</summary>
    public static readonly IReadOnlyList<string> Names = ["float", "double", "long", "int", "bool"];

    public static string ToName(this DType dtype) => Names[(int)dtype];

    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float or DType.Double;

    public static bool IsInteger(this DType dtype) => dtype is DType.Long or DType.Int;
}
