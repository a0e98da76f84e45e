using System.Globalization;

namespace Mtl.Dsl.Model;

/// <summary>The value of a layer, loss, optimizer or schedule option.</summary>
public abstract record OptionValue;

public sealed record IntegerValue(long Value) : OptionValue
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

public sealed record NumberValue(double Value) : OptionValue
{
    public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
}

public sealed record BooleanValue(bool Value) : OptionValue
{
    public override string ToString() => Value ? "true" : "false";
}

/// <summary>A word from a fixed set (<c>last</c>, <c>max</c>) or a reference (<c>marital.accuracy</c>).</summary>
public sealed record NameValue(string Value) : OptionValue
{
    public override string ToString() => Value;
}

public sealed record ListValue(EquatableArray<OptionValue> Items) : OptionValue
{
    public override string ToString() => Items.ToString();
}
