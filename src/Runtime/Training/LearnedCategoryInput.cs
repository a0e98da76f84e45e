using Mtl.Data;

namespace Mtl.Training;

/// <summary>
/// A model input whose categories are learned from the training rows (<c>category island</c>
/// without a list), and the smallest vocab of the embeddings it feeds (null when it feeds none):
/// a learned vocabulary of n values needs a vocab of at least n + 1, index 0 being a value not seen
/// in training.
/// </summary>
public sealed record LearnedCategoryInput(string Name, long? EmbeddingVocabulary = null)
{
    /// <summary>Why <paramref name="vocabulary"/> cannot be this input's (see <see cref="CategoryVocabulary.Problem"/>, or too large for its embedding), or null when it can.</summary>
    public string? Problem(IReadOnlyList<string> vocabulary)
    {
        if (CategoryVocabulary.Problem($"input '{Name}'", vocabulary) is { } problem) return problem;
        var size = CategoryVocabulary.Size(vocabulary);
        return EmbeddingVocabulary is { } vocab && size > vocab
            ? $"input '{Name}' learned {vocabulary.Count} categories from the training rows, so its indices go up to {vocabulary.Count} (0 is a value unseen in training), but the embedding it feeds has vocab {vocab}: give the embedding vocab: {size} or more"
            : null;
    }
}
