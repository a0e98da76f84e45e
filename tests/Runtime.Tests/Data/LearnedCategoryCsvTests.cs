using Mtl.Data;
using Mtl.Torch;
using Xunit;

namespace Mtl.Runtime.Tests.Data;

/// <summary>
/// Category inputs whose values are learned from the training rows (<see cref="ColumnSource.LearnsCategories"/>):
/// the vocabulary (distinct non-missing values, ordinal order, index 0 for unseen ones), learned
/// from the training rows only, applied to other rows and files with unseen values counted, and
/// the errors of a vocabulary that is missing or malformed.
/// </summary>
public sealed class LearnedCategoryCsvTests
{
    private const string Source = "islands.csv";
    private static readonly TaskSpec Mass = new("mass", TaskKind.Regression);
    private static readonly TaskSpec[] Tasks = [Mass];

    private static CsvSchema Schema(ScalarType dtype = ScalarType.Int64) => new(
        [new CsvInput("island", dtype, [], new ColumnSource(["island"], LearnsCategories: true)), new CsvInput("id", ScalarType.Float32, [1], new ColumnSource(["id"]))],
        [new CsvLabel(Mass, new ColumnSource(["mass"]))]);

    /// <summary>One row per island cell, in order; the id column is the row number (0-based), the mass 1.</summary>
    private static string Csv(params string[] islands) =>
        "island,id,mass\n" + string.Concat(islands.Select((island, i) => $"{island},{i},1\n"));

    private static (MultiTaskDataset Data, CsvReport Report) Read(string text, CsvOptions? options = null, ScalarType dtype = ScalarType.Int64) =>
        CsvTable.Read(new StringReader(text), Source, Schema(dtype), Tasks, options);

    [Fact]
    public void The_vocabulary_is_the_distinct_values_in_ordinal_order_and_index_0_is_kept_for_unseen_ones()
    {
        // Ordinal: digits before uppercase before lowercase, "10" before "9"; cells are trimmed.
        var (data, report) = Read(Csv("b", "B", " a ", "10", "9", "b", "B"));
        using var _ = data;

        Assert.Equal(["10", "9", "B", "a", "b"], data.Categories["island"]);
        Assert.Equal([5L, 3, 4, 1, 2, 5, 3], data.Inputs["island"].data<long>());
        Assert.Equal(ScalarType.Int64, data.Inputs["island"].dtype);
        Assert.Equal(0, report.UnseenCategories["island"]);
        Assert.Equal("islands.csv: 7 rows", report.ToString());
    }

    [Fact]
    public void An_int32_input_holds_the_same_indices()
    {
        var (data, _) = Read(Csv("Dream", "Biscoe"), dtype: ScalarType.Int32);
        using var _d = data;

        Assert.Equal(ScalarType.Int32, data.Inputs["island"].dtype);
        Assert.Equal([2, 1], data.Inputs["island"].data<int>());
    }

    [Fact]
    public void Another_file_is_read_with_the_given_vocabulary_and_its_unseen_values_read_as_0_and_are_counted()
    {
        var options = new CsvOptions { Categories = new Dictionary<string, IReadOnlyList<string>> { ["island"] = ["Biscoe", "Dream"] } };
        var (data, report) = Read(Csv("Dream", "Torgersen", "Biscoe", "Torgersen", "dream"), options);
        using var _ = data;

        Assert.Equal([2L, 0, 1, 0, 0], data.Inputs["island"].data<long>());
        Assert.Equal(["Biscoe", "Dream"], data.Categories["island"]);
        Assert.Equal(3, report.UnseenCategories["island"]);
        Assert.Equal("islands.csv: 5 rows; categories unseen in training (read as 0): island 3", report.ToString());
    }

    [Fact]
    public void Missing_cells_are_never_learned_and_are_errors_or_skipped_rows_as_for_listed_categories()
    {
        var error = Assert.Throws<CsvDataException>(() => Read(Csv("Dream", "NA", "Biscoe")).Data.Dispose());
        Assert.Equal("islands.csv, line 3, column 'island': the value of input 'island' is missing ('NA'); fill it in, or skip rows with missing inputs", error.Message);

        var (data, report) = Read(Csv("Dream", "NA", " ", "Biscoe"), new CsvOptions { SkipRowsWithMissingInputs = true });
        using var _ = data;
        Assert.Equal(["Biscoe", "Dream"], data.Categories["island"]);
        Assert.Equal([2L, 1], data.Inputs["island"].data<long>());
        Assert.Equal([0f, 3f], data.Inputs["id"].data<float>());
        Assert.Equal("islands.csv: 2 rows (2 skipped: missing inputs)", report.ToString());
    }

    [Fact]
    public void A_split_learns_from_its_training_part_only_and_a_value_only_the_validation_part_holds_reads_as_0()
    {
        const long seed = 11;
        var (trainRows, validationRows) = MultiTaskDataset.SplitRows(10, 0.8, seed);
        Assert.Equal(2, validationRows.Count);
        var islands = Enumerable.Repeat("Dream", 10).ToArray();
        islands[validationRows[0]] = "Zed";        // only in validation
        islands[validationRows[1]] = "Biscoe";     // in both
        islands[trainRows[0]] = "Biscoe";
        islands[trainRows[1]] = "Alpha";           // only in training

        var (train, validation, report) = CsvTable.ReadSplit(new StringReader(Csv(islands)), Source, Schema(), Tasks, 0.8, seed);
        using var _t = train;
        using var _v = validation;

        Assert.Equal(["Alpha", "Biscoe", "Dream"], train.Categories["island"]);
        Assert.Equal(["Alpha", "Biscoe", "Dream"], validation.Categories["island"]);
        Assert.Equal(trainRows.Select(r => (float)r), train.Inputs["id"].data<float>());
        Assert.Equal(validationRows.Select(r => (float)r), validation.Inputs["id"].data<float>());
        Assert.Equal([0L, 2], validation.Inputs["island"].data<long>());
        Assert.Equal(trainRows.Select(r => islands[r] switch { "Alpha" => 1L, "Biscoe" => 2, _ => 3 }), train.Inputs["island"].data<long>());
        Assert.Equal(1, report.UnseenCategories["island"]);
        Assert.Equal("islands.csv: 10 rows; categories unseen in training (read as 0): island 1", report.ToString());
    }

    [Fact]
    public void A_split_puts_the_same_rows_in_each_part_as_splitting_the_whole_file()
    {
        var islands = Enumerable.Range(0, 9).Select(i => $"I{i % 4}").ToArray();
        var (whole, _) = Read(Csv(islands));
        var (wholeTrain, wholeValidation) = whole.Split(0.6, 5);
        var (train, validation, _) = CsvTable.ReadSplit(new StringReader(Csv(islands)), Source, Schema(), Tasks, 0.6, 5);
        using var _1 = whole;
        using var _2 = wholeTrain;
        using var _3 = wholeValidation;
        using var _4 = train;
        using var _5 = validation;

        Assert.Equal(wholeTrain.Inputs["id"].data<float>(), train.Inputs["id"].data<float>());
        Assert.Equal(wholeValidation.Inputs["id"].data<float>(), validation.Inputs["id"].data<float>());
        Assert.Equal(whole.Categories["island"], wholeTrain.Categories["island"]);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void A_split_fraction_outside_0_1_is_refused_before_reading(double fraction)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => CsvTable.ReadSplit(new StringReader(""), Source, Schema(), Tasks, fraction, 1));
        Assert.StartsWith("the training fraction must be in (0, 1)", error.Message);
    }

    [Fact]
    public void Reading_inputs_for_prediction_needs_the_vocabulary()
    {
        var error = Assert.Throws<ArgumentException>(() => CsvTable.ReadInputs(new StringReader(Csv("Dream")), Source, Schema()));
        Assert.Equal("input 'island' learns its categories from the training rows, so reading inputs needs its vocabulary: pass CsvOptions.Categories (a trained model's LearnedCategories, or the training dataset's Categories) (Parameter 'options')", error.Message);

        var options = new CsvOptions { Categories = new Dictionary<string, IReadOnlyList<string>> { ["island"] = ["Dream"] } };
        var (inputs, report) = CsvTable.ReadInputs(new StringReader(Csv("Dream", "Biscoe")), Source, Schema(), options);
        try
        {
            Assert.Equal([1L, 0], inputs["island"].data<long>());
            Assert.Equal(1, report.UnseenCategories["island"]);
        }
        finally
        {
            foreach (var tensor in inputs.Values) tensor.Dispose();
        }
    }

    [Theory]
    [InlineData("id", new[] { "a" }, "CsvOptions.Categories has a vocabulary for 'id', which is not an input that learns its categories (those are: 'island') (Parameter 'options')")]
    [InlineData("island", new[] { "b", "a" }, "CsvOptions.Categories of input 'island': the learned vocabulary is not in ordinal order ('b' comes before 'a') (Parameter 'options')")]
    [InlineData("island", new[] { "a", "a" }, "CsvOptions.Categories of input 'island': the learned vocabulary holds 'a' twice (Parameter 'options')")]
    [InlineData("island", new string[0], "CsvOptions.Categories of input 'island': a learned vocabulary holds at least one value (Parameter 'options')")]
    public void A_given_vocabulary_must_be_of_a_learning_input_and_well_formed(string input, string[] vocabulary, string message)
    {
        var options = new CsvOptions { Categories = new Dictionary<string, IReadOnlyList<string>> { [input] = vocabulary } };
        var error = Assert.Throws<ArgumentException>(() => Read(Csv("a"), options).Data.Dispose());
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_category_column_lists_its_values_or_learns_them_not_both()
    {
        var schema = new CsvSchema([new CsvInput("island", ScalarType.Int64, [], new ColumnSource(["island"], ["a"], LearnsCategories: true))], []);
        var error = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader(Csv("a")), Source, schema, Tasks).Data.Dispose());
        Assert.Equal("input 'island': a category column either lists its categories or learns them, not both (Parameter 'input')", error.Message);

        var wide = new CsvSchema([new CsvInput("island", ScalarType.Float32, [], new ColumnSource(["island"], LearnsCategories: true))], []);
        var dtype = Assert.Throws<ArgumentException>(() => CsvTable.Read(new StringReader(Csv("a")), Source, wide, Tasks).Data.Dispose());
        Assert.StartsWith("input 'island': a category column gives one class index per example, so the input must be an int64 or int32 scalar", dtype.Message);
    }

    [Fact]
    public void Subsets_and_per_task_views_keep_the_vocabulary()
    {
        var (data, _) = Read(Csv("b", "a", "c"));
        using var _d = data;
        using var subset = data.Subset([2]);
        using var view = data.WithTargets("mass");

        Assert.Equal(["a", "b", "c"], subset.Categories["island"]);
        Assert.Equal(["a", "b", "c"], view.Categories["island"]);
        Assert.Equal([3L], subset.Inputs["island"].data<long>());
    }

    [Fact]
    public void Messages_show_at_most_ten_values_of_a_vocabulary()
    {
        Assert.Equal("[a, b]", CategoryVocabulary.Show(["a", "b"]));
        Assert.Equal("[a, b, c, d, e, f, g, h, i, j]", CategoryVocabulary.Show(Enumerable.Range(0, 10).Select(i => ((char)('a' + i)).ToString()).ToList()));
        var twelve = Enumerable.Range(0, 12).Select(i => ((char)('a' + i)).ToString()).ToList();
        Assert.Equal("[a, b, c, d, e, f, g, h, i, j, ... (12 values)]", CategoryVocabulary.Show(twelve));
        Assert.Equal(13, CategoryVocabulary.Size(twelve));
        Assert.Equal(Catalog.DataCatalog.UnseenCategory, CategoryVocabulary.Unseen);
    }
}
