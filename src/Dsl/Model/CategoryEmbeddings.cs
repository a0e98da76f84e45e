namespace Mtl.Dsl.Model;

/// <summary>
/// The embeddings a category input feeds directly (<c>island -&gt; embedding(vocab: 3, dim: 4)</c>,
/// also inside a merge): their vocabularies bound the class indices the input may hold.
/// </summary>
public static class CategoryEmbeddings
{
    /// <summary>The vocab of every embedding that <paramref name="input"/> feeds directly, in the order of <paramref name="pipelines"/>.</summary>
    public static IReadOnlyList<long> Vocabularies(string input, IEnumerable<Pipeline> pipelines)
    {
        var vocabularies = new List<long>();
        foreach (var pipeline in pipelines) Collect(input, pipeline, vocabularies);
        return vocabularies;
    }

    /// <summary>The smallest vocab among the embeddings <paramref name="input"/> feeds, or null when it feeds none.</summary>
    public static long? Smallest(string input, IEnumerable<Pipeline> pipelines) =>
        Vocabularies(input, pipelines) is { Count: > 0 } vocabularies ? vocabularies.Min() : null;

    /// <summary>The pipelines of a model's shared blocks and tasks.</summary>
    public static IEnumerable<Pipeline> Of(MtlModel model) =>
        model.SharedBlocks.Select(b => b.Pipeline).Concat(model.Tasks.Select(t => t.Pipeline));

    private static void Collect(string input, Pipeline pipeline, List<long> vocabularies)
    {
        if (pipeline.Source is MergeSource merge)
        {
            foreach (var branch in merge.Branches) Collect(input, branch, vocabularies);
        }
        else if (pipeline.Source is ReferenceSource { Kind: SourceKind.Input } source && source.Name == input &&
                 pipeline.Layers.Count > 0 && pipeline.Layers[0].Kind == LayerKind.Embedding)
        {
            vocabularies.Add(pipeline.Layers[0].Setting.Integer("vocab"));
        }
    }
}
