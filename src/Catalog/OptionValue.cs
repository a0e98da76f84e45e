using System.Globalization;

namespace Mtl.Catalog;

/// <summary>The value of a layer, loss, optimizer, schedule or weighting option.</summary>
public abstract record OptionValue
{
    /// <summary>
    /// The option value of a .NET value given to a runtime call: an integer, a floating-point
    /// number, a bool, a string (a word) or a list of numbers; an <see cref="OptionValue"/> as is.
    /// </summary>
    public static OptionValue From(object value) => value switch
    {
        OptionValue option => option,
        int or long or short or byte => new IntegerValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        double or float or decimal => new NumberValue(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        bool flag => new BooleanValue(flag),
        string word => new NameValue(word),
        System.Collections.IEnumerable items => new ListValue(items.Cast<object>().Select(From).ToEquatableArray()),
        null => throw new ArgumentNullException(nameof(value)),
        _ => throw new ArgumentException($"{value.GetType().Name} is not an option value: use a number, a bool, a word or a list of numbers", nameof(value)),
    };

    /// <summary>The number an integer or number option holds.</summary>
    public double AsNumber() => this switch
    {
        NumberValue number => number.Value,
        IntegerValue integer => integer.Value,
        _ => throw new InvalidOperationException($"'{this}' is not a number"),
    };
}

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
