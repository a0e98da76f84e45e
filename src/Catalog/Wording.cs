namespace Mtl.Catalog;

/// <summary>
/// English wording shared by the generated documentation and the training report, so that both
/// count things the same way: "1 task", "3 tasks", never "3 task(s)".
/// </summary>
public static class Wording
{
    /// <summary><paramref name="count"/> and the noun, singular for exactly one; the plural is the noun + "s" unless given.</summary>
    public static string Count(long count, string noun, string? plural = null) =>
        count == 1 ? "1 " + noun : count.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + (plural ?? noun + "s");
}
