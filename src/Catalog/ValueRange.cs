using System.Globalization;

namespace Mtl.Catalog;

/// <summary>An allowed numeric interval; a null bound is open-ended.</summary>
public sealed record ValueRange(double? Min, bool MinExclusive, double? Max, bool MaxExclusive)
{
    public static readonly ValueRange AtLeastOne = new(1, false, null, false);
    public static readonly ValueRange AtLeastTwo = new(2, false, null, false);
    public static readonly ValueRange NonNegative = new(0, false, null, false);
    public static readonly ValueRange Positive = new(0, true, null, false);
    public static readonly ValueRange Probability = new(0, false, 1, false);
    public static readonly ValueRange UnitOpen = new(0, false, 1, true);
    public static readonly ValueRange UnitExclusive = new(0, true, 1, true);
    public static readonly ValueRange UnitLeftOpen = new(0, true, 1, false);

    public bool Contains(double value) =>
        (Min is not { } min || (MinExclusive ? value > min : value >= min)) &&
        (Max is not { } max || (MaxExclusive ? value < max : value <= max));

    /// <summary>"at least 1", "greater than 0", "in [0, 1)": the end of "must be ...".</summary>
    public string Describe()
    {
        if (Min is { } min && Max is { } max)
        {
            return "in " + (MinExclusive ? "(" : "[") + Format(min) + ", " + Format(max) + (MaxExclusive ? ")" : "]");
        }

        if (Min is { } lower)
        {
            return (MinExclusive ? "greater than " : "at least ") + Format(lower);
        }

        return Max is { } upper ? (MaxExclusive ? "less than " : "at most ") + Format(upper) : "a number";
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
