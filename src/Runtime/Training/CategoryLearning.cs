using Mtl.Data;

namespace Mtl.Training;

/// <summary>
/// Before the first step, the model takes the vocabulary of each input whose categories it learns
/// (<see cref="MultiTaskModule.LearnedCategoryInputs"/>) from the training data, never from the
/// validation data: the training datasets must agree on it, a vocabulary the model already has
/// (a loaded checkpoint, an earlier Fit) must be the same, the validation data must have been read
/// with it, and it must fit the embedding the input feeds (any data, evaluation data too, must have
/// been read with a vocabulary the model has learned: <see cref="RequireLearned"/>). Every check
/// passes before the model takes anything. Data that does not come from a table carries no
/// vocabulary and is not checked.
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
            // A vocabulary the model already has was checked against the data (RequireLearned).
            if (vocabulary is null) continue;
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

    /// <summary>
    /// Data read with another vocabulary than one the model has learned would give the model other
    /// indices than it learned: an <see cref="InvalidDataException"/> naming the input and both
    /// vocabularies (training, validation and evaluation data alike).
    /// </summary>
    public static void RequireLearned(string role, MultiTaskDataset data, MultiTaskModule model)
    {
        foreach (var (name, known) in model.LearnedCategories)
        {
            if (data.Categories.TryGetValue(name, out var read) && !CategoryVocabulary.Same(known, read))
            {
                throw new InvalidDataException($"input '{name}': the {role} was read with the categories {CategoryVocabulary.Show(read)}, but the model has learned {CategoryVocabulary.Show(known)}; read it with CsvOptions.Categories = the model's LearnedCategories");
            }
        }
    }
}
