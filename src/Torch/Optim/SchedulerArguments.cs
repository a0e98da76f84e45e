namespace Mtl.Torch.Modules;

/// <summary>Argument checks shared by the schedulers, with messages naming the scheduler.</summary>
internal static class SchedulerArguments
{
    public static void Positive(string owner, string name, double value)
    {
        if (!(value > 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be positive, got {value}");
    }

    public static void NonNegative(string owner, string name, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value)) throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be non-negative, got {value}");
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [<paramref name="low"/>, <paramref name="high"/>] (or [low, high) when <paramref name="highOpen"/>).</summary>
    public static void InRange(string owner, string name, double value, double low, double high, bool highOpen = false)
    {
        var inside = value >= low && (highOpen ? value < high : value <= high);
        if (!inside) throw new ArgumentOutOfRangeException(name, value, $"{owner}: {name} must be in [{low}, {high}{(highOpen ? ")" : "]")}, got {value}");
    }

    public static void OneOf(string owner, string name, string value, params string[] allowed)
    {
        if (!allowed.Contains(value)) throw new ArgumentException($"{owner}: {name} must be one of {string.Join(", ", allowed.Select(a => $"'{a}'"))}, got '{value}'", name);
    }
}
