using System.Globalization;
using System.Reflection;
using System.Text;
using Mtl.Data;
using Mtl.Training;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated code of a model that reads a table (the Penguins example of docs/language.md),
/// compiled and run: FromCsv reads the columns the file names, the trainer fits the
/// standardisation on the training data and predicts in original units.
/// </summary>
public sealed class CsvTests
{
    private static readonly Lazy<GeneratedAssembly> Penguins = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("Penguins")));

    private const string Header = "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex\n";

    [Fact]
    public void FromCsv_reads_the_columns_categories_and_labels_the_file_names()
    {
        var csv = Header +
            "Gentoo,Biscoe,46.1,13.2,211,4500,female\n" +
            "Adelie,Torgersen,39.1,18.7,181,3750,NA\n" +
            "Chinstrap,Dream,46.5,17.9,192,3500,male\n";

        using var dataset = (IDisposable)FromCsv(csv);

        var report = (CsvReport)GeneratedAssembly.Get(dataset, "Report")!;
        Assert.Equal((3L, 0L, 1L), (report.Rows, report.SkippedRows, report.MissingLabels["sex"]));
        var data = (MultiTaskDataset)GeneratedAssembly.Get(dataset, "Data")!;
        Assert.Equal([0L, 2L, 1L], data.Inputs["island"].data<long>().ToArray());
        Assert.Equal([46.1f, 13.2f, 211f, 39.1f, 18.7f, 181f, 46.5f, 17.9f, 192f], data.Inputs["measures"].data<float>().ToArray());
        Assert.Equal([2L, 0L, 1L], data.Targets["species"].data<long>().ToArray());
        var sex = data.Targets["sex"].data<float>().ToArray();
        Assert.Equal(0f, sex[0]);
        Assert.True(float.IsNaN(sex[1]));
        Assert.Equal(1f, sex[2]);
        Assert.Equal([4500f, 3750f, 3500f], data.Targets["mass"].data<float>().ToArray());
    }

    [Fact]
    public void A_cell_outside_the_listed_categories_is_an_error_naming_line_column_and_value()
    {
        var csv = Header + "Gentoo,Biscoe,46.1,13.2,211,4500,female\nGentoo,Bsicoe,46.1,13.2,211,4500,female\n";

        var error = Assert.IsType<CsvDataException>(Assert.Throws<TargetInvocationException>(() => FromCsv(csv)).InnerException);

        Assert.Equal((3L, "island", "Bsicoe"), (error.Line, error.Column, error.Value));
        Assert.StartsWith("penguins.csv, line 3, column 'island': ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_trainer_fits_the_standardisation_on_the_training_data_and_predicts_in_grams()
    {
        var random = new Random(3);
        var rows = new StringBuilder(Header);
        for (var i = 0; i < 96; i++)
        {
            var flipper = 180 + random.Next(50);
            var mass = 20 * flipper + random.Next(200);
            rows.Append(CultureInfo.InvariantCulture, $"Adelie,Dream,{40 + random.NextDouble() * 5:F1},{18 + random.NextDouble():F1},{flipper},{mass},male\n");
        }
        var generated = Penguins.Value;
        var options = ((TrainerOptions)generated.Type("PenguinsTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)!) with { Epochs = 40, EarlyStop = null };
        using var trainer = (IDisposable)generated.Create("PenguinsTrainer", options);
        using var train = (IDisposable)FromCsv(rows.ToString());
        var data = (MultiTaskDataset)GeneratedAssembly.Get(train, "Data")!;
        var masses = data.Targets["mass"].data<float>().ToArray().Select(v => (double)v).ToList();

        GeneratedAssembly.Call(trainer, "Fit", train, null);

        var model = (MultiTaskModule)GeneratedAssembly.Get(trainer, "Model")!;
        var mean = masses.Average();
        var std = Math.Sqrt(masses.Select(m => (m - mean) * (m - mean)).Average());
        Assert.Equal(mean, model.TargetStandardizers["mass"].Mean.item<float>(), 1e-1);
        Assert.Equal(std, model.TargetStandardizers["mass"].Std.item<float>(), 1e-1);
        var path = Path.Combine(Path.GetTempPath(), $"mtl-penguins-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, "island,bill_length_mm,bill_depth_mm,flipper_length_mm\nDream,42.0,18.5,185\nDream,42.0,18.5,225\n");
        try
        {
            var predictions = (System.Collections.IList)GeneratedAssembly.Call(trainer, "PredictCsv", path, null)!;
            var grams = predictions.Cast<object>().Select(p => (float)GeneratedAssembly.Get(p, "Mass")!).ToList();
            // Masses follow 20·flipper: about 3,700 g and 4,500 g, in grams rather than in standard deviations.
            Assert.InRange(grams[0], 3200, 4300);
            Assert.InRange(grams[1], 4000, 5100);
            Assert.True(grams[1] > grams[0] + 300, $"predicted {grams[0]} g and {grams[1]} g");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static object FromCsv(string csv)
    {
        var dataset = Penguins.Value.Type("PenguinsDataset");
        var read = dataset.GetMethod("FromCsv", [typeof(TextReader), typeof(string), typeof(CsvOptions)])!;
        return read.Invoke(null, [new StringReader(csv), "penguins.csv", null])!;
    }
}
