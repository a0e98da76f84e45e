using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// Every generated file of the complete example of docs/language.md, and the files where each
/// other construct of the language shows, against the snapshots in Snapshots/.
/// </summary>
public sealed class SnapshotTests
{
    /// <summary>A model of the docs and the generated types to snapshot (all of them for the complete file).</summary>
    private static readonly Dictionary<string, string[]> Cases = new()
    {
        ["Census"] = ["Model", "Inputs", "Outputs", "Targets", "Example", "Dataset", "TaskDatasets", "Metrics", "Prediction", "Trainer", "Block"],
        ["Lexical"] = ["Model"],
        ["Inputs"] = ["Model", "Example", "Inputs"],
        ["Merges"] = ["Model"],
        ["Residual"] = ["Model"],
        ["Experts"] = ["Model", "Block"],
        ["Stacked"] = ["Model"],
        ["Extraction"] = ["Model"],
        ["Stitched"] = ["Model"],
        ["Arguments"] = ["Model"],
        ["Layers"] = ["Model"],
        ["Casts"] = ["Model", "Example"],
        ["Tasks"] = ["Targets", "Example", "Dataset", "Metrics", "Prediction", "Trainer"],
        ["Scene"] = ["Outputs", "Targets", "Example", "Dataset", "Metrics", "Prediction", "Trainer"],
        ["Tagger"] = ["Model"],
        ["Chain"] = ["Model"],
        ["Joined"] = ["Model"],
        ["Hierarchy"] = ["Model"],
        ["Weighting"] = ["Trainer"],
        ["W13"] = ["Trainer"],
        ["W15"] = ["Trainer"],
        ["Optimizers"] = ["Trainer"],
        ["O0"] = ["Trainer"],
        ["O2"] = ["Trainer"],
        ["Regularized"] = ["Trainer"],
        ["Related"] = ["Trainer"],
        ["DeclaredRelations"] = ["Trainer"],
        ["Schedules"] = ["Trainer"],
        ["Plateau"] = ["Trainer"],
        ["Exponential"] = ["Trainer"],
        ["Training"] = ["Trainer"],
        ["Features"] = ["Model", "Trainer"],
        ["Names"] = ["Model", "Example", "Trainer"],
        ["Penguins"] = ["Model", "Dataset", "Trainer"],
        ["LearnedIsland"] = ["Model", "Dataset", "Trainer"],
        ["Transfer"] = ["Model", "Trainer", "Block"],
        ["Stages"] = ["Trainer"],
        ["Relatedness"] = ["Trainer"],
    };

    public static TheoryData<string> Models => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Models))]
    public void Generated_files_match_their_snapshots(string model)
    {
        var run = GeneratorHarness.Generate((Path(model), DocExamples.Declaring(model)));

        Assert.Empty(run.GeneratorDiagnostics);
        foreach (var type in Cases[model])
        {
            var hint = Hint(model, type);
            var source = Assert.Single(run.Sources, s => s.HintName == hint);
            Snapshot.Verify(source.SourceText.ToString(), nameof(SnapshotTests), model, hint);
        }
    }

    [Fact]
    public void Every_snapshot_belongs_to_a_case()
    {
        var expected = Cases.SelectMany(c => c.Value.Select(type => Snapshot.FileName(nameof(SnapshotTests), c.Key, Hint(c.Key, type)))).Order().ToList();
        var present = Directory.GetFiles(Snapshot.Directory, nameof(SnapshotTests) + ".*.verified.cs").Select(f => System.IO.Path.GetFileName(f)!).Order().ToList();

        Assert.Equal(expected, present);
    }

    private static string Path(string model) => $"/project/docs/{model.ToLowerInvariant()}.mtl";

    private static string Hint(string model, string type) => $"docs.{model.ToLowerInvariant()}.mtl.{model}{type}.g.cs";
}
