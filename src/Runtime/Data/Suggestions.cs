namespace Mtl.Data;

/// <summary>
/// "Did you mean" for the names data refers to (CSV columns and categories), by the same rule as
/// the language's diagnostics (<see cref="Catalog.Spelling"/>).
/// </summary>
internal static class Suggestions
{
    /// <summary>" (did you mean 'x'?)" for the closest candidate, or empty when none is close.</summary>
    public static string DidYouMean(string word, IEnumerable<string> candidates) =>
        Catalog.Spelling.Closest(word, candidates) is { } closest ? $" (did you mean '{closest}'?)" : "";
}
