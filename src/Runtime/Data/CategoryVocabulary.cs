namespace Mtl.Data;

/// <summary>
/// A category input's vocabulary learned from training rows (<c>category island</c> without a
/// list): the distinct values of its non-missing cells, trimmed, in ordinal order
/// (<see cref="string.CompareOrdinal(string, string)"/>). The first value is index 1, the next 2,
/// and so on; index 0 is kept for a value not seen in training, so an embedding reading the input
/// needs a vocab of at least <c>count + 1</c>. Once learned it is fixed: other files are read with
/// it, and it is saved with the model.
/// </summary>
public static class CategoryVocabulary
{
    /// <summary>The index a value not in the vocabulary reads as.</summary>
    public const int Unseen = Catalog.DataCatalog.UnseenCategory;

    /// <summary>The vocabulary of <paramref name="values"/> (trimmed cells): distinct, in ordinal order.</summary>
    public static IReadOnlyList<string> Learn(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var distinct = new SortedSet<string>(values, StringComparer.Ordinal);
        return distinct.ToList();
    }

    /// <summary>The embedding vocab a learned vocabulary needs: its values, and index 0 for unseen ones.</summary>
    public static long Size(IReadOnlyList<string> vocabulary) => vocabulary.Count + 1L;

    /// <summary>Why <paramref name="vocabulary"/> cannot be a learned vocabulary of <paramref name="what"/> (empty, a value twice, not in ordinal order), or null when it can.</summary>
    public static string? Problem(string what, IReadOnlyList<string>? vocabulary)
    {
        if (vocabulary is null || vocabulary.Count == 0) return $"{what}: a learned vocabulary holds at least one value";
        for (var i = 1; i < vocabulary.Count; i++)
        {
            var order = string.CompareOrdinal(vocabulary[i - 1], vocabulary[i]);
            if (order == 0) return $"{what}: the learned vocabulary holds '{vocabulary[i]}' twice";
            if (order > 0) return $"{what}: the learned vocabulary is not in ordinal order ('{vocabulary[i - 1]}' comes before '{vocabulary[i]}')";
        }
        return null;
    }

    /// <summary>Whether two vocabularies are the same values in the same order.</summary>
    public static bool Same(IReadOnlyList<string> a, IReadOnlyList<string> b) => a.SequenceEqual(b, StringComparer.Ordinal);

    /// <summary>A vocabulary as messages show it: <c>[Biscoe, Dream, Torgersen]</c>, at most 10 values.</summary>
    public static string Show(IReadOnlyList<string> vocabulary) =>
        "[" + string.Join(", ", vocabulary.Take(10)) + (vocabulary.Count > 10 ? $", ... ({vocabulary.Count} values)" : "") + "]";
}
