using System.Globalization;
using Mtl.Data;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Data;

/// <summary>
/// Reading a model's data from CSV text (<see cref="CsvTable"/>): quoting, the invariant culture,
/// category inputs, each label form of each task kind, missing cells, the report, and the exact
/// message of each error with its file, line, column and cell.
/// </summary>
public sealed class CsvTableTests
{
    private const string Source = "penguins.csv";

    // Line 1 is the header; the Gentoo record spans lines 3 and 4 (a line break inside quotes).
    private const string Penguins =
        "species,island,bill_length_mm,bill_depth_mm,body_mass_g,sex,note\n" +
        "Adelie,Torgersen,39.1,18.7,3750,male,\"calm, small\"\n" +
        "Gentoo,Biscoe,46.1,13.2,4500,female,\"two\n" +
        "lines\"\n" +
        "Chinstrap,Dream,46.5,17.9,3500,NA,\n";

    private static readonly TaskSpec Species = new("species", TaskKind.Classes, 3);
    private static readonly TaskSpec Mass = new("mass", TaskKind.Regression);
    private static readonly TaskSpec Sex = new("sex", TaskKind.Binary);
    private static readonly TaskSpec[] Tasks = [Species, Mass, Sex];

    private static CsvInput Bills => new("bills", ScalarType.Float32, [2], new ColumnSource(["bill_length_mm", "bill_depth_mm"]));

    private static CsvInput Island => new("island", ScalarType.Int64, [], new ColumnSource(["island"], ["Biscoe", "Dream", "Torgersen"]));

    private static CsvSchema Schema(TaskSpec? sex = null, CsvInput? bills = null) => new(
        [bills ?? Bills, Island],
        [
            new CsvLabel(Species, new ColumnSource(["species"], ["Adelie", "Chinstrap", "Gentoo"])),
            new CsvLabel(Mass, new ColumnSource(["body_mass_g"])),
            new CsvLabel(sex ?? Sex, new ColumnSource(["sex"], ["female", "male"])),
        ]);

    private static (MultiTaskDataset Data, CsvReport Report) Read(string text, CsvSchema? schema = null, IReadOnlyList<TaskSpec>? tasks = null, CsvOptions? options = null) =>
        CsvTable.Read(new StringReader(text), Source, schema ?? Schema(), tasks ?? Tasks, options);

    private static CsvDataException Fails(string text, CsvSchema? schema = null, IReadOnlyList<TaskSpec>? tasks = null, CsvOptions? options = null) =>
        Assert.Throws<CsvDataException>(() => Read(text, schema, tasks, options).Data.Dispose());

    // ---- reading -------------------------------------------------------------------------------

    [Fact]
    public void Quoted_fields_with_commas_and_line_breaks_are_one_cell_and_every_column_lands_in_its_tensor()
    {
        var (data, report) = Read(Penguins);
        using var _ = data;
        Assert.Equal(3, data.Count);
        var bills = data.Inputs["bills"];
        Assert.Equal(ScalarType.Float32, bills.dtype);
        Assert.Equal(new long[] { 3, 2 }, bills.shape);
        Assert.Equal([39.1f, 18.7f, 46.1f, 13.2f, 46.5f, 17.9f], bills.data<float>());
        var island = data.Inputs["island"];
        Assert.Equal(ScalarType.Int64, island.dtype);
        Assert.Equal(new long[] { 3 }, island.shape);
        Assert.Equal([2L, 0, 1], island.data<long>());
        Assert.Equal([0L, 2, 1], data.Targets["species"].data<long>());
        Assert.Equal(new long[] { 3, 1 }, data.Targets["mass"].shape);
        Assert.Equal([3750f, 4500f, 3500f], data.Targets["mass"].data<float>());
        Assert.Equal(new long[] { 3, 1 }, data.Targets["sex"].shape);
        Assert.Equal([1f, 0f, float.NaN], data.Targets["sex"].data<float>());

        Assert.Equal(new CsvReport(Source, 3, 0, report.MissingLabels), report);
        Assert.Equal(new Dictionary<string, long> { ["species"] = 0, ["mass"] = 0, ["sex"] = 1 }, report.MissingLabels);
        Assert.Equal("penguins.csv: 3 rows; missing labels: sex 1", report.ToString());
    }

    [Fact]
    public void A_record_spanning_lines_is_named_by_its_first_line_and_the_lines_after_it_keep_their_numbers()
    {
        var inSpanning = Fails(Penguins.Replace("46.1", "4x"));
        Assert.Equal("penguins.csv, line 3, column 'bill_length_mm': '4x' is not a number", inSpanning.Message);
        Assert.Equal(3, inSpanning.Line);

        var after = Fails(Penguins.Replace("46.5", "abc"));
        Assert.Equal("penguins.csv, line 5, column 'bill_length_mm': 'abc' is not a number", after.Message);
        Assert.Equal(Source, after.Source);
        Assert.Equal(5, after.Line);
        Assert.Equal("bill_length_mm", after.Column);
        Assert.Equal("abc", after.Value);

        // Windows line ends, and blank lines (which hold no record) count as lines too.
        var crlf = Fails(Penguins.Replace("46.5", "abc").Replace("\n", "\r\n"));
        Assert.Equal("penguins.csv, line 5, column 'bill_length_mm': 'abc' is not a number", crlf.Message);
        var blank = Fails(Penguins.Replace("46.5", "abc").Replace("Chinstrap", "\n\nChinstrap"));
        Assert.Equal("penguins.csv, line 7, column 'bill_length_mm': 'abc' is not a number", blank.Message);
    }

    [Fact]
    public void Numbers_are_read_in_the_invariant_culture_whatever_the_current_one()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            // de-DE's number format (the tests may run in globalization-invariant mode, without ICU's cultures).
            var german = (CultureInfo)CultureInfo.InvariantCulture.Clone();
            german.NumberFormat.NumberDecimalSeparator = ",";
            german.NumberFormat.NumberGroupSeparator = ".";
            CultureInfo.CurrentCulture = german;
            Assert.False(float.TryParse("39.1", NumberStyles.Float, CultureInfo.CurrentCulture, out var misread));
            var (data, report) = Read(Penguins);
            using var _ = data;
            Assert.Equal(3, report.Rows);
            Assert.Equal([39.1f, 18.7f, 46.1f, 13.2f, 46.5f, 17.9f], data.Inputs["bills"].data<float>());

            // A decimal comma (quoted, so it stays one field) is not a number in a CSV file.
            var comma = Fails(Penguins.Replace("39.1", "\"39,1\""));
            Assert.Equal("penguins.csv, line 2, column 'bill_length_mm': '39,1' is not a number", comma.Message);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    [Fact]
    public void Float64_and_integer_inputs_keep_their_element_type_and_integers_are_strict()
    {
        const string text = "a,b,c\n1.25,7,-3\n0.5,-2,4\n";
        var schema = new CsvSchema(
            [
                new CsvInput("a", ScalarType.Float64, [], new ColumnSource(["a"])),
                new CsvInput("bc", ScalarType.Int32, [2], new ColumnSource(["b", "c"])),
            ],
            []);
        var (inputs, report) = CsvTable.ReadInputs(new StringReader(text), "numbers.csv", schema);
        using var a = inputs["a"];
        using var bc = inputs["bc"];
        Assert.Equal(ScalarType.Float64, a.dtype);
        Assert.Equal([1.25, 0.5], a.data<double>());
        Assert.Equal(ScalarType.Int32, bc.dtype);
        Assert.Equal(new long[] { 2, 2 }, bc.shape);
        Assert.Equal([7, -3, -2, 4], bc.data<int>());
        Assert.Equal("numbers.csv: 2 rows", report.ToString());

        var fraction = Assert.Throws<CsvDataException>(() => CsvTable.ReadInputs(new StringReader("a,b,c\n1,2.5,3\n"), "numbers.csv", schema));
        Assert.Equal("numbers.csv, line 2, column 'b': '2.5' is not an integer (int32)", fraction.Message);
    }

    [Fact]
    public void Non_finite_numbers_are_errors_in_inputs_and_labels()
    {
        Assert.Equal("penguins.csv, line 2, column 'bill_depth_mm': 'nan' is not a finite number", Fails(Penguins.Replace("18.7", "nan")).Message);
        Assert.Equal("penguins.csv, line 5, column 'bill_depth_mm': '-Infinity' is not a finite number", Fails(Penguins.Replace("17.9", "-Infinity")).Message);
        // Beyond float32's range: infinite once read as the input's element type.
        Assert.Equal("penguins.csv, line 2, column 'bill_length_mm': '1e39' is not a finite number", Fails(Penguins.Replace("39.1", "1e39")).Message);
        Assert.Equal("penguins.csv, line 3, column 'body_mass_g': 'inf' is not a finite number", Fails(Penguins.Replace("4500", "inf")).Message);
    }

    [Fact]
    public void An_unknown_category_lists_the_categories_and_suggests_the_closest()
    {
        var typo = Fails(Penguins.Replace("Biscoe", "Bisco"));
        Assert.Equal("penguins.csv, line 3, column 'island': 'Bisco' is not one of the categories of input 'island': Biscoe, Dream, Torgersen (did you mean 'Biscoe'?)", typo.Message);
        Assert.Equal("Bisco", typo.Value);

        var unknown = Fails(Penguins.Replace("Adelie,", "Emperor,"));
        Assert.Equal("penguins.csv, line 2, column 'species': 'Emperor' is not one of the categories of task 'species': Adelie, Chinstrap, Gentoo", unknown.Message);

        // Compared after trimming spaces, and exactly (case counts).
        var (data, report) = Read(Penguins.Replace(",Dream,", ", Dream ,"));
        using var _ = data;
        Assert.Equal(3, report.Rows);
        Assert.Equal([2L, 0, 1], data.Inputs["island"].data<long>());
        Assert.Equal("penguins.csv, line 5, column 'island': 'dream' is not one of the categories of input 'island': Biscoe, Dream, Torgersen (did you mean 'Dream'?)", Fails(Penguins.Replace(",Dream,", ",dream,")).Message);
    }

    // ---- labels of each kind -------------------------------------------------------------------

    private const string Labels =
        "x,alive,kind,kind_name,a,b,t1,t2,t3\n" +
        "1,1,0,low,0.5,-1,1,0,true\n" +
        "2,false,2,high,1.5,NA,0,,1\n" +
        "3,TRUE,1,mid,2.5,3,False,1,0\n" +
        "4,,NA,,,NA,0,0,0\n";

    private static readonly TaskSpec Alive = new("alive", TaskKind.Binary);
    private static readonly TaskSpec Kind = new("kind", TaskKind.Classes, 3);
    private static readonly TaskSpec KindName = new("kind_name", TaskKind.Classes, 3);
    private static readonly TaskSpec Pair = new("pair", TaskKind.Regression, 2);
    private static readonly TaskSpec Tags = new("tags", TaskKind.Multilabel, 3);
    private static readonly TaskSpec Unlabelled = new("other", TaskKind.Regression);
    private static readonly TaskSpec[] LabelTasks = [Alive, Kind, KindName, Pair, Tags, Unlabelled];

    private static CsvSchema LabelSchema(params CsvLabel[] labels) => new(
        [new CsvInput("x", ScalarType.Float32, [], new ColumnSource(["x"]))],
        labels.Length > 0 ? labels :
        [
            new CsvLabel(Alive, new ColumnSource(["alive"])),
            new CsvLabel(Kind, new ColumnSource(["kind"])),
            new CsvLabel(KindName, new ColumnSource(["kind_name"], ["low", "mid", "high"])),
            new CsvLabel(Pair, new ColumnSource(["a", "b"])),
            new CsvLabel(Tags, new ColumnSource(["t1", "t2", "t3"])),
        ]);

    [Fact]
    public void Each_label_form_of_each_kind_reads_into_the_target_layout_and_missing_cells_are_missing_labels()
    {
        var (data, report) = Read(Labels, LabelSchema(), LabelTasks);
        using var _ = data;
        Assert.Equal(4, data.Count);
        Assert.Equal([1f, 0f, 1f, float.NaN], data.Targets["alive"].data<float>());
        Assert.Equal(new long[] { 4, 1 }, data.Targets["alive"].shape);
        Assert.Equal(ScalarType.Int64, data.Targets["kind"].dtype);
        Assert.Equal([0L, 2, 1, -1], data.Targets["kind"].data<long>());
        Assert.Equal([0L, 2, 1, -1], data.Targets["kind_name"].data<long>());
        Assert.Equal(new long[] { 4, 2 }, data.Targets["pair"].shape);
        Assert.Equal([0.5f, -1f, 1.5f, float.NaN, 2.5f, 3f, float.NaN, float.NaN], data.Targets["pair"].data<float>());
        Assert.Equal(new long[] { 4, 3 }, data.Targets["tags"].shape);
        Assert.Equal([1f, 0f, 1f, 0f, float.NaN, 1f, 0f, 1f, 0f, 0f, 0f, 0f], data.Targets["tags"].data<float>());
        // A task without a label column has no targets.
        Assert.False(data.Targets.ContainsKey("other"));

        // Rows missing at least one element, per task.
        Assert.Equal(new Dictionary<string, long> { ["alive"] = 1, ["kind"] = 1, ["kind_name"] = 1, ["pair"] = 2, ["tags"] = 1 }, report.MissingLabels);
        Assert.Equal("penguins.csv: 4 rows; missing labels: alive 1, kind 1, kind_name 1, pair 2, tags 1", report.ToString());
    }

    [Fact]
    public void A_label_cell_that_is_not_of_its_kind_is_an_error_naming_the_task()
    {
        Assert.Equal(
            "penguins.csv, line 2, column 'alive': 'yes' is not a 0/1 label of task 'alive': expected one of 1, true, 0, false (ignoring case)",
            Fails(Labels.Replace("1,1,0,low", "1,yes,0,low"), LabelSchema(), LabelTasks).Message);
        Assert.Equal(
            "penguins.csv, line 3, column 'kind': '3' is not a class of task 'kind': expected an integer in [0, 3)",
            Fails(Labels.Replace("2,false,2,", "2,false,3,"), LabelSchema(), LabelTasks).Message);
        Assert.Equal(
            "penguins.csv, line 3, column 'kind': '2.0' is not a class of task 'kind': expected an integer in [0, 3)",
            Fails(Labels.Replace("2,false,2,", "2,false,2.0,"), LabelSchema(), LabelTasks).Message);
        Assert.Equal(
            "penguins.csv, line 4, column 'kind_name': 'middle' is not one of the categories of task 'kind_name': low, mid, high",
            Fails(Labels.Replace(",mid,", ",middle,"), LabelSchema(), LabelTasks).Message);
        Assert.Equal(
            "penguins.csv, line 4, column 'a': 'two' is not a number",
            Fails(Labels.Replace("2.5", "two"), LabelSchema(), LabelTasks).Message);
        Assert.Equal(
            "penguins.csv, line 2, column 't2': '2' is not a 0/1 label of task 'tags': expected one of 1, true, 0, false (ignoring case)",
            Fails(Labels.Replace("-1,1,0,true", "-1,1,2,true"), LabelSchema(), LabelTasks).Message);
    }

    [Fact]
    public void A_missing_label_of_a_task_that_forbids_them_is_an_error_naming_line_and_column()
    {
        var strict = Sex with { MissingLabels = false };
        var na = Fails(Penguins, Schema(sex: strict), [Species, Mass, strict]);
        Assert.Equal("penguins.csv, line 5, column 'sex': the label of task 'sex' is missing ('NA'), and this task forbids missing labels", na.Message);
        Assert.Equal("NA", na.Value);

        var strictPair = Pair with { MissingLabels = false };
        var empty = Fails(Labels.Replace("1.5,NA", "1.5,0"), LabelSchema(new CsvLabel(strictPair, new ColumnSource(["a", "b"]))), [strictPair]);
        Assert.Equal("penguins.csv, line 5, column 'a': the label of task 'pair' is missing (an empty cell), and this task forbids missing labels", empty.Message);
    }

    // ---- missing inputs --------------------------------------------------------------------------

    private const string WithMissingInputs =
        "species,island,bill_length_mm,bill_depth_mm,body_mass_g,sex,note\n" +
        "Adelie,Torgersen,39.1,18.7,3750,male,\n" +
        "Adelie,Torgersen,NA,NA,,,\n" +
        "Gentoo,Biscoe,46.1,13.2,4500,female,\n" +
        "Gentoo, ,47.0,14.0,4600,NA,\n" +
        "Chinstrap,Dream,46.5,17.9,3500,NA,\n";

    [Fact]
    public void A_missing_input_is_an_error_by_default()
    {
        var error = Fails(WithMissingInputs);
        Assert.Equal("penguins.csv, line 3, column 'bill_length_mm': the value of input 'bills' is missing ('NA'); fill it in, or skip rows with missing inputs", error.Message);
        var category = Fails(WithMissingInputs.Replace("NA,NA,,,", "1,2,3,,"));
        Assert.Equal("penguins.csv, line 5, column 'island': the value of input 'island' is missing (an empty cell); fill it in, or skip rows with missing inputs", category.Message);
    }

    [Fact]
    public void Rows_with_a_missing_input_are_skipped_and_counted_when_asked()
    {
        var (data, report) = Read(WithMissingInputs, options: new CsvOptions { SkipRowsWithMissingInputs = true });
        using var _ = data;
        Assert.Equal(3, data.Count);
        Assert.Equal([39.1f, 18.7f, 46.1f, 13.2f, 46.5f, 17.9f], data.Inputs["bills"].data<float>());
        Assert.Equal([3750f, 4500f, 3500f], data.Targets["mass"].data<float>());
        Assert.Equal([1f, 0f, float.NaN], data.Targets["sex"].data<float>());
        Assert.Equal(3, report.Rows);
        Assert.Equal(2, report.SkippedRows);
        // The skipped rows' missing labels are not counted: only kept rows are.
        Assert.Equal("penguins.csv: 3 rows (2 skipped: missing inputs); missing labels: sex 1", report.ToString());
    }

    [Fact]
    public void Which_cells_are_missing_can_be_chosen()
    {
        var options = new CsvOptions { SkipRowsWithMissingInputs = true, MissingValues = ["?"] };
        // "NA" is now a value (not a number), "?" is missing.
        Assert.Equal(
            "penguins.csv, line 3, column 'bill_length_mm': 'NA' is not a number",
            Fails(WithMissingInputs, options: options).Message);
        var (data, report) = Read(Penguins.Replace("46.1", "?").Replace(",NA,", ",female,"), options: options);
        using var _ = data;
        Assert.Equal("penguins.csv: 2 rows (1 skipped: missing inputs)", report.ToString());
    }

    [Fact]
    public void A_file_whose_every_row_is_skipped_has_no_data_rows()
    {
        var error = Fails("species,island,bill_length_mm,bill_depth_mm,body_mass_g,sex,note\nAdelie,Torgersen,NA,1,2,male,\n", options: new CsvOptions { SkipRowsWithMissingInputs = true });
        Assert.Equal("penguins.csv, line 2: no data rows left: each of the 1 rows misses an input and was skipped", error.Message);
    }

    // ---- the file's shape ------------------------------------------------------------------------

    [Fact]
    public void A_missing_column_is_named_with_the_closest_header_name_and_the_header()
    {
        var schema = Schema(bills: Bills with { Source = new ColumnSource(["bill_lenght_mm", "bill_depth_mm"]) });
        var error = Fails(Penguins, schema);
        Assert.Equal(
            "penguins.csv, line 1, column 'bill_lenght_mm': no column 'bill_lenght_mm', which input 'bills' reads (did you mean 'bill_length_mm'?); the header has 'species', 'island', 'bill_length_mm', 'bill_depth_mm', 'body_mass_g', 'sex', 'note'",
            error.Message);
        Assert.Equal(1, error.Line);

        var label = Fails(Penguins.Replace("body_mass_g", "mass_kg"));
        Assert.Equal(
            "penguins.csv, line 1, column 'body_mass_g': no column 'body_mass_g', which the label of task 'mass' reads; the header has 'species', 'island', 'bill_length_mm', 'bill_depth_mm', 'mass_kg', 'sex', 'note'",
            label.Message);
    }

    [Fact]
    public void Header_names_match_exactly()
    {
        var error = Fails(Penguins.Replace("island,", "Island,"));
        Assert.StartsWith("penguins.csv, line 1, column 'island': no column 'island', which input 'island' reads (did you mean 'Island'?)", error.Message);
    }

    [Fact]
    public void A_used_column_named_twice_in_the_header_is_ambiguous_and_an_unused_one_is_not()
    {
        var error = Fails(Penguins.Replace(",note", ",bill_depth_mm"));
        Assert.Equal("penguins.csv, line 1, column 'bill_depth_mm': the header names column 'bill_depth_mm' 2 times (columns 4, 7), so which one input 'bills' reads is ambiguous; rename the others", error.Message);

        var (data, report) = Read(Penguins.Replace("species,island", "note,island").Replace(",note\n", ",species\n").Replace("\"calm, small\"", "Adelie").Replace("\"two\nlines\"", "Gentoo").Replace("NA,\n", "NA,Chinstrap\n"));
        using var _ = data;
        Assert.Equal(3, report.Rows);
        Assert.Equal([0L, 2, 1], data.Targets["species"].data<long>());
    }

    [Fact]
    public void An_empty_file_or_one_with_only_a_header_has_no_data_rows()
    {
        var empty = Fails("");
        Assert.Equal("penguins.csv, line 1: no data rows: the file is empty (it needs a header row naming the columns, then one row per example)", empty.Message);
        var header = Fails("species,island,bill_length_mm,bill_depth_mm,body_mass_g,sex,note\n");
        Assert.Equal("penguins.csv, line 2: no data rows: the file has only its header", header.Message);
        Assert.Null(header.Column);
        Assert.Null(header.Value);
    }

    [Fact]
    public void A_row_with_too_few_or_too_many_fields_is_an_error()
    {
        Assert.Equal("penguins.csv, line 2: the row has 6 fields but the header has 7", Fails(Penguins.Replace(",\"calm, small\"", "")).Message);
        Assert.Equal("penguins.csv, line 5: the row has 8 fields but the header has 7", Fails(Penguins.Replace("NA,\n", "NA,,extra\n")).Message);
        Assert.Equal("penguins.csv, line 6: the row has 1 field but the header has 7", Fails(Penguins + "Adelie\n").Message);
    }

    // ---- files, inputs only, schema errors ---------------------------------------------------------

    [Fact]
    public void A_file_is_read_by_path_and_named_by_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mtl-csv-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, Penguins.Replace("46.5", "abc"));
        try
        {
            var error = Assert.Throws<CsvDataException>(() => CsvTable.Read(path, Schema(), Tasks).Data.Dispose());
            Assert.Equal($"{path}, line 5, column 'bill_length_mm': 'abc' is not a number", error.Message);
            File.WriteAllText(path, Penguins);
            var (data, report) = CsvTable.Read(path, Schema(), Tasks);
            using var _ = data;
            Assert.Equal($"{path}: 3 rows; missing labels: sex 1", report.ToString());
            var (inputs, inputReport) = CsvTable.ReadInputs(path, Schema());
            foreach (var tensor in inputs.Values) tensor.Dispose();
            Assert.Equal(3, inputReport.Rows);
        }
        finally
        {
            File.Delete(path);
        }
        var missing = Assert.Throws<FileNotFoundException>(() => CsvTable.Read(path, Schema(), Tasks));
        Assert.StartsWith($"{path}: no such file", missing.Message);
    }

    [Fact]
    public void Inputs_alone_are_read_without_label_columns_and_outlive_the_callers_scope()
    {
        const string text = "bill_length_mm,bill_depth_mm,island\n39.1,18.7,Dream\n";
        IReadOnlyDictionary<string, Tensor> inputs;
        CsvReport report;
        using (var scope = NewDisposeScope()) (inputs, report) = CsvTable.ReadInputs(new StringReader(text), "new.csv", Schema());
        Assert.Equal([39.1f, 18.7f], inputs["bills"].data<float>());
        Assert.Equal([1L], inputs["island"].data<long>());
        Assert.Empty(report.MissingLabels);
        Assert.Equal("new.csv: 1 row", report.ToString());
        foreach (var tensor in inputs.Values) tensor.Dispose();
    }

    [Fact]
    public void A_schema_that_does_not_fit_its_tasks_is_an_argument_error()
    {
        var wrongWidth = Assert.Throws<ArgumentException>(() => Read(Labels, LabelSchema(new CsvLabel(Pair, new ColumnSource(["a"]))), LabelTasks));
        Assert.StartsWith("the label of task 'pair' (regression(2)) reads 2 columns, not 1", wrongWidth.Message);
        var threeCategories = Assert.Throws<ArgumentException>(() => Read(Labels, LabelSchema(new CsvLabel(Alive, new ColumnSource(["kind_name"], ["low", "mid", "high"]))), LabelTasks));
        Assert.StartsWith("the label of task 'alive' (binary) needs 2 categories, [negative, positive], not 3 (low, mid, high)", threeCategories.Message);
        var notATask = Assert.Throws<ArgumentException>(() => Read(Labels, LabelSchema(), [Alive]));
        Assert.StartsWith("the schema has a label for task 'kind', which is not one of the tasks (alive)", notATask.Message);
        var shape = Assert.Throws<ArgumentException>(() => Read(Penguins, Schema(bills: Bills with { Shape = [3] })));
        Assert.StartsWith("input 'bills': shape [3] has 3 elements per example, but 2 columns are given (one per element, row-major)", shape.Message);
        var floatCategory = Assert.Throws<ArgumentException>(() => Read(Penguins, new CsvSchema([Island with { DType = ScalarType.Float32 }], [])));
        Assert.StartsWith("input 'island': a category column gives one class index per example", floatCategory.Message);
    }

    [Fact]
    public void A_quote_inside_an_unquoted_field_is_an_error_not_a_guess()
    {
        var error = Fails(Penguins.Replace("18.7", "18\"7"));
        Assert.Equal("penguins.csv, line 2, column 'bill_depth_mm': '18\"7' holds a quote but is not quoted: quote the whole field and double each quote inside it", error.Message);
        var after = Fails(Penguins.Replace("46.5,17.9", "46.5,\"17.9\"x"));
        Assert.Equal("penguins.csv, line 5, column 'bill_depth_mm': '\"17.9\"x' holds a quote but is not quoted: quote the whole field and double each quote inside it", after.Message);
    }

    [Fact]
    public void A_quoted_field_never_closed_is_an_error_naming_the_line_it_opens_on()
    {
        var error = Fails(Penguins.Replace("\"two\nlines\"", "two lines").Replace("\"calm, small\"", "\"calm, small"));
        Assert.Equal("penguins.csv, line 2: a quoted field is not closed: it runs to the end of the file (a field that starts with a quote ends with one, and each quote inside it is doubled)", error.Message);
        var last = Fails(Penguins + "\"Adelie,Dream,1,2,3,male,\n");
        Assert.Equal("penguins.csv, line 6: a quoted field is not closed: it runs to the end of the file (a field that starts with a quote ends with one, and each quote inside it is doubled)", last.Message);
    }

    [Theory]
    [InlineData("abc", "'abc' is not a number")]
    [InlineData("NaN", "'NaN' is not a finite number")]
    [InlineData("-inf", "'-inf' is not a finite number")]
    public void A_float64_cell_that_is_not_a_finite_number_is_an_error(string cell, string problem)
    {
        var schema = new CsvSchema([new CsvInput("a", ScalarType.Float64, [], new ColumnSource(["a"]))], []);

        var error = Assert.Throws<CsvDataException>(() => CsvTable.ReadInputs(new StringReader($"a\n1.5\n{cell}\n"), "numbers.csv", schema));

        Assert.Equal($"numbers.csv, line 3, column 'a': {problem}", error.Message);
    }

    [Fact]
    public void An_int64_cell_that_is_not_an_integer_is_an_error()
    {
        var schema = new CsvSchema([new CsvInput("n", ScalarType.Int64, [], new ColumnSource(["n"]))], []);

        var error = Assert.Throws<CsvDataException>(() => CsvTable.ReadInputs(new StringReader("n\n3\n1.5\n"), "numbers.csv", schema));

        Assert.Equal("numbers.csv, line 3, column 'n': '1.5' is not an integer (int64)", error.Message);
    }

    public static TheoryData<TaskSpec, string[], string[]?, string> MisfitLabels => new()
    {
        { Sex, ["sex", "smoker"], null, "the label of task 'sex' (binary) reads 1 column, not 2" },
        { new TaskSpec("pair", TaskKind.Regression, 2), ["x"], null, "the label of task 'pair' (regression(2)) reads 2 columns, not 1" },
        { Mass, ["body_mass_g"], ["light", "heavy"], "the label of task 'mass' (regression(1)) takes no categories: its cells are numbers" },
        { new TaskSpec("tags", TaskKind.Multilabel, 2), ["red", "blue"], ["no", "yes"], "the label of task 'tags' (multilabel(2)) takes no categories: its cells are 0/1 values" },
        { Sex, ["sex"], ["female", "male", "other"], "the label of task 'sex' (binary) needs 2 categories, [negative, positive], not 3 (female, male, other)" },
        { Species, ["species"], ["Adelie", "Gentoo"], "the label of task 'species' (classes(3)) needs 3 categories, one per class in index order, not 2 (Adelie, Gentoo)" },
        { Species, ["species"], ["Adelie", "Gentoo", "Adelie"], "the label of task 'species' (classes(3)): the categories list a value twice (Adelie, Gentoo, Adelie)" },
    };

    [Theory]
    [MemberData(nameof(MisfitLabels))]
    public void A_label_that_does_not_fit_its_task_is_an_argument_error_naming_it(TaskSpec task, string[] columns, string[]? categories, string message)
    {
        var schema = new CsvSchema([Bills], [new CsvLabel(task, new ColumnSource(columns, categories))]);

        var error = Assert.Throws<ArgumentException>(() => Read(Penguins, schema, [task]).Data.Dispose());

        Assert.Equal(message + " (Parameter 'label')", error.Message);
    }
}
