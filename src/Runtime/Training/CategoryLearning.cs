using Mtl.Data;

namespace Mtl.Training;

/// <summary>
/// Before the first step, the model takes the vocabulary of each input whose categories it learns
/// (<see cref="MultiTaskModule.LearnedCategoryInputs"/>) from the training data, never from the
/// validation data: the training datasets must agree on it, a vocabulary the model already has
/// (a loaded checkpoint, an earlier Fit) must be the same, the validation data must have been read
/// with it, and it must fit the embedding the input feeds. Every check passes before the model
/// takes anything. Data that does not come from a table carries no vocabulary and is not checked.
/// </summary>
internal static class CategoryLearning
{
    public static void BeforeFit(MultiTaskModule model, IReadOnlyList<(string What, MultiTaskDataset Data)> train, IReadOnlyList<(string What, MultiTaskDataset Data)> validation)
    {
        var learned = new Dictionary<string, IReadOnlyList<string>>(model.LearnedCategories);
        foreach (var input in model.LearnedCategoryInputs)
        {
            IReadOnlyList<string>? vocabulary = null;
            string? from = null;
            foreach (var (what, data) in train)
            {
                if (!data.Categories.TryGetValue(input.Name, out var read)) continue;
                if (vocabulary is not null && !CategoryVocabulary.Same(vocabulary, read))
                {
                    throw new ArgumentException($"input '{input.Name}': {from} and {what} were read with different categories ({CategoryVocabulary.Show(vocabulary)} and {CategoryVocabulary.Show(read)}); read every training file with one vocabulary (CsvOptions.Categories)");
                }
                (vocabulary, from) = (read, what);
            }
            if (vocabulary is null) continue;
            if (model.LearnedCategories.TryGetValue(input.Name, out var known) && !CategoryVocabulary.Same(known, vocabulary))
            {
                throw new ArgumentException($"input '{input.Name}': {from} was read with the categories {CategoryVocabulary.Show(vocabulary)}, but the model has learned {CategoryVocabulary.Show(known)}; read it with CsvOptions.Categories = the model's LearnedCategories");
            }
            if (input.Problem(vocabulary) is { } problem) throw new ArgumentException(problem);
            foreach (var (what, data) in validation)
            {
                if (data.Categories.TryGetValue(input.Name, out var read) && !CategoryVocabulary.Same(read, vocabulary))
                {
                    throw new ArgumentException($"input '{input.Name}': {what} was read with the categories {CategoryVocabulary.Show(read)}, not with those learned from {from} {CategoryVocabulary.Show(vocabulary)}; read it with CsvOptions.Categories = the training data's Categories");
                }
            }
            learned[input.Name] = vocabulary;
        }
        model.SetLearnedCategories(learned);
    }
}
