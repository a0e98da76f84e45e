namespace Mtl.Dsl.Diagnostics;

/// <summary>"Did you mean" fixes for diagnostics, by the shared rule of <see cref="Catalog.Spelling"/>.</summary>
internal static class Suggestions
{
    /// <summary>The closest candidate within a distance that still reads as a typo, or null.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates) => Catalog.Spelling.Closest(word, candidates);

    /// <summary>"did you mean 'x'?" for the closest candidate, or null when none is close.</summary>
    public static string? DidYouMean(string word, IEnumerable<string> candidates)
    {
        var closest = Closest(word, candidates);
        return closest is null ? null : $"did you mean '{closest}'?";
    }

    /// <summary>A "did you mean" fix or, when nothing is close, the list of what is allowed.</summary>
    public static string DidYouMeanOrList(string word, IReadOnlyCollection<string> candidates) =>
        DidYouMean(word, candidates) ?? "expected one of: " + string.Join(", ", candidates);
}
