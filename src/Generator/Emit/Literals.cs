using System.Globalization;

namespace Mtl.Generator.Emit;

/// <summary>C# literals for values of the semantic model.</summary>
internal static class Literals
{
    public static string String(string value)
    {
        var escaped = value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n").Replace("\r", "\\r").Replace("\t", "\\t");
        return "\"" + escaped + "\"";
    }

    /// <summary>A double literal that reads back to the same value and is a double wherever it stands (always with '.' or 'E').</summary>
    public static string Double(double value)
    {
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(value)) return "double.NegativeInfinity";
        if (double.IsNaN(value)) return "double.NaN";
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(['.', 'E', 'e']) < 0 ? text + ".0" : text;
    }

    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + (value is > int.MaxValue or < int.MinValue ? "L" : "");

    public static string Bool(bool value) => value ? "true" : "false";

    /// <summary>An option value as the runtime's option dictionaries take it (integers as long).</summary>
    public static string Option(OptionValue value) => value switch
    {
        IntegerValue integer => integer.Value.ToString(CultureInfo.InvariantCulture) + "L",
        NumberValue number => Double(number.Value),
        BooleanValue boolean => Bool(boolean.Value),
        NameValue name => String(name.Value),
        ListValue list when list.Items.All(i => i is IntegerValue) => "new long[] { " + string.Join(", ", list.Items.Select(i => ((IntegerValue)i).Value.ToString(CultureInfo.InvariantCulture))) + " }",
        ListValue list => "new double[] { " + string.Join(", ", list.Items.Select(i => Double(i.AsNumber()))) + " }",
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "no literal for this option value"),
    };
}
