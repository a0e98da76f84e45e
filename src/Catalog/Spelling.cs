namespace Mtl.Catalog;

/// <summary>
/// The one rule for "did you mean": the closest candidate by edit distance, within a distance that
/// still reads as a typo. The language's diagnostics and the runtime's data errors (CSV columns and
/// categories) both suggest by it, each in its own wording.
/// </summary>
public static class Spelling
{
    // Longer words are not typos of a name; skipping them bounds the quadratic distance cost.
    private const int MaxWordLength = 64;

    /// <summary>The closest candidate within a distance that still reads as a typo, or null.</summary>
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        if (word.Length > MaxWordLength)
        {
            return null;
        }

        var limit = Math.Max(1, Math.Min(3, word.Length / 3));
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (candidate.Length > MaxWordLength)
            {
                continue;
            }

            var distance = Distance(word, candidate);
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>Optimal string alignment distance (Levenshtein plus adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
