using System.Globalization;
using System.Reflection;
using System.Text;
using Mtl.Data;
using Mtl.Training;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated code of a model whose category input learns its values (the LearnedIsland
/// example of docs/language.md), compiled and run: FromCsvSplit learns the vocabulary from the
/// training part only, Fit takes it into the model and checks it against the embedding, and a
/// checkpoint carries it so that a loaded trainer's PredictCsv maps categories as in training.
/// </summary>
public sealed class LearnedCategoryTests : IDisposable
{
    private static readonly Lazy<GeneratedAssembly> Island = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("LearnedIsland")));

    private const string Header = "species,island,bill_length_mm,flipper_length_mm\n";

    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-learned-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Rows whose species follows the island; the islands cycle through <paramref name="islands"/>.</summary>
    private static string Rows(int count, params string[] islands)
    {
        var random = new Random(5);
        var rows = new StringBuilder(Header);
        string[] species = ["Adelie", "Chinstrap", "Gentoo"];
        for (var i = 0; i < count; i++)
        {
            var island = i % islands.Length;
            rows.Append(CultureInfo.InvariantCulture, $"{species[island % 3]},{islands[island]},{40 + random.NextDouble() * 5:F1},{190 + random.Next(20)}\n");
        }
        return rows.ToString();
    }

    private object NewTrainer(int epochs = 3)
    {
        var generated = Island.Value;
        var options = ((TrainerOptions)generated.Type("LearnedIslandTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)!) with { Epochs = epochs, EarlyStop = null, Progress = TextWriter.Null };
        return generated.Create("LearnedIslandTrainer", options);
    }

    private static (IDisposable Train, IDisposable Validation) FromCsvSplit(string path, double fraction, long seed)
    {
        var read = Island.Value.Type("LearnedIslandDataset").GetMethod("FromCsvSplit")!;
        var parts = (System.Runtime.CompilerServices.ITuple)read.Invoke(null, [path, fraction, seed, null])!;
        return ((IDisposable)parts[0]!, (IDisposable)parts[1]!);
    }

    private static MultiTaskDataset Data(object dataset) => (MultiTaskDataset)GeneratedAssembly.Get(dataset, "Data")!;

    [Fact]
    public void FromCsvSplit_learns_from_the_training_part_only_and_counts_the_validation_values_it_did_not_see()
    {
        const long seed = 3;
        var text = new StringBuilder(Rows(9, "Dream", "Biscoe", "Torgersen"));
        // Row 9 (flipper 999) falls in the validation part with this seed: only it holds "Zed".
        text.Append("Adelie,Zed,41.0,999\n");
        var path = Write("islands.csv", text.ToString());

        var (train, validation) = FromCsvSplit(path, 0.7, seed);
        using var _t = train;
        using var _v = validation;

        Assert.DoesNotContain(999f, Data(train).Inputs["measures"].data<float>().ToArray());
        Assert.Contains(999f, Data(validation).Inputs["measures"].data<float>().ToArray());
        Assert.Equal(["Biscoe", "Dream", "Torgersen"], Data(train).Categories["island"]);
        Assert.Equal(["Biscoe", "Dream", "Torgersen"], Data(validation).Categories["island"]);
        var validationIslands = Data(validation).Inputs["island"].data<long>().ToArray();
        var validationFlippers = Data(validation).Inputs["measures"].data<float>().ToArray().Where((_, i) => i % 2 == 1).ToArray();
        Assert.Equal(0L, validationIslands[Array.IndexOf(validationFlippers, 999f)]);
        Assert.Single(validationIslands, i => i == 0);
        var report = (CsvReport)GeneratedAssembly.Get(validation, "Report")!;
        Assert.Equal(1, report.UnseenCategories["island"]);
        Assert.Same(report, GeneratedAssembly.Get(train, "Report"));
        Assert.Equal((7L, 3L), (Data(train).Count, Data(validation).Count));
    }

    [Fact]
    public void A_loaded_trainer_predicts_a_csv_file_exactly_as_the_trained_one()
    {
        var path = Write("train.csv", Rows(24, "Dream", "Biscoe", "Torgersen"));
        var newRows = Write("new.csv", "island,bill_length_mm,flipper_length_mm\nTorgersen,41.0,195\nAtlantis,41.0,195\nBiscoe,44.5,205\n");
        var checkpoint = Path.Combine(_folder, "island.ckpt");
        float[][] trained;
        using (var trainer = (IDisposable)NewTrainer())
        {
            var (train, validation) = FromCsvSplit(path, 0.75, 1);
            using (train)
            using (validation)
            {
                GeneratedAssembly.Call(trainer, "Fit", train, validation);
            }
            var model = (MultiTaskModule)GeneratedAssembly.Get(trainer, "Model")!;
            Assert.Equal(["Biscoe", "Dream", "Torgersen"], model.LearnedCategories["island"]);
            trained = Probabilities(GeneratedAssembly.Call(trainer, "PredictCsv", newRows, null)!);
            GeneratedAssembly.Call(trainer, "Save", checkpoint);
        }

        using var loaded = (IDisposable)NewTrainer();
        GeneratedAssembly.Call(loaded, "Load", checkpoint);

        Assert.Equal(["Biscoe", "Dream", "Torgersen"], ((MultiTaskModule)GeneratedAssembly.Get(loaded, "Model")!).LearnedCategories["island"]);
        Assert.Equal(trained, Probabilities(GeneratedAssembly.Call(loaded, "PredictCsv", newRows, null)!));
    }

    [Fact]
    public void PredictCsv_before_the_model_has_learned_its_categories_says_what_is_missing()
    {
        var newRows = Write("new.csv", "island,bill_length_mm,flipper_length_mm\nDream,41.0,195\n");
        using var trainer = (IDisposable)NewTrainer();

        var error = Assert.IsType<ArgumentException>(Assert.Throws<TargetInvocationException>(() => GeneratedAssembly.Call(trainer, "PredictCsv", newRows, null)).InnerException);

        Assert.StartsWith("input 'island' learns its categories from the training rows, so reading inputs needs its vocabulary", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_refuses_a_vocabulary_larger_than_the_embedding_before_the_first_step()
    {
        // The embedding has vocab 4: three learned values and index 0 fit, four do not.
        var path = Write("train.csv", Rows(8, "Dream", "Biscoe", "Torgersen", "Zed"));
        using var trainer = (IDisposable)NewTrainer();
        var read = Island.Value.Type("LearnedIslandDataset").GetMethod("FromCsv", [typeof(string), typeof(CsvOptions)])!;
        using var train = (IDisposable)read.Invoke(null, [path, null])!;

        var error = Assert.IsType<ArgumentException>(Assert.Throws<TargetInvocationException>(() => GeneratedAssembly.Call(trainer, "Fit", train, null)).InnerException);

        Assert.Equal("input 'island' learned 4 categories from the training rows, so its indices go up to 4 (0 is a value unseen in training), but the embedding it feeds has vocab 4: give the embedding vocab: 5 or more", error.Message);
        Assert.Equal(0, (int)GeneratedAssembly.Get(trainer, "Epoch")!);
    }

    /// <summary>The species probabilities of each prediction.</summary>
    private static float[][] Probabilities(object predictions) =>
        ((System.Collections.IList)predictions).Cast<object>().Select(p => ((IReadOnlyList<float>)GeneratedAssembly.Get(GeneratedAssembly.Get(p, "Species")!, "Probabilities")!).ToArray()).ToArray();
}
