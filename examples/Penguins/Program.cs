// Trains the model of penguins.mtl on the Palmer penguins table (penguins.csv, CC0): the generated
// dataset reads the CSV file as the .mtl file says (columns, categories, labels), the trainer fits
// the standardisation on the training rows only, and predictions of body mass come back in grams;
// then each task is trained alone to see whether sharing helps, and report.html shows it all.
using System.Globalization;
using Mtl.Data;
using Mtl.Training;
using Penguins;
using static Mtl.Torch.torch;

set_num_threads(1);
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var csv = Path.Combine(AppContext.BaseDirectory, "penguins.csv");
using var all = PenguinsDataset.FromCsv(csv, new CsvOptions { SkipRowsWithMissingInputs = true });
Console.WriteLine($"read {all.Report}");
var (train, validation) = all.Split(0.8, seed: 7);
using (train)
using (validation)
{
    var report = Path.Combine(Path.GetTempPath(), "mtl-penguins", "report.html");
    using var trainer = new PenguinsTrainer(PenguinsTrainer.DefaultOptions() with { Display = ProgressMode.Auto, ReportPath = report });
    var history = trainer.Fit(train, validation);
    var metrics = trainer.Evaluate(validation);
    Console.WriteLine($"held out ({validation.Count} penguins): species accuracy {metrics.Species.Accuracy:P1}, sex accuracy {metrics.Sex.Accuracy:P1}, body mass mae {metrics.Mass.Mae:F0} g, r2 {metrics.Mass.R2:F3}");

    var measures = trainer.Model.InputStandardizers["measures"];
    Console.WriteLine($"measures standardised with statistics of the {train.Count} training rows: mean {Format(measures.Mean)}, std {Format(measures.Std)}");

    // New penguins: a table without labels.
    var unseen = Path.Combine(Path.GetTempPath(), "mtl-penguins-unseen.csv");
    File.WriteAllText(unseen, "island,bill_length_mm,bill_depth_mm,flipper_length_mm\nTorgersen,39.1,18.7,181\nDream,49.5,19.0,200\nBiscoe,47.5,14.2,220\n");
    var species = PenguinsDataset.CsvSchema.Labels[0].Source.Categories!;
    foreach (var prediction in trainer.PredictCsv(unseen))
    {
        Console.WriteLine($"  {species[prediction.Species.Class]} ({prediction.Species.Probabilities[prediction.Species.Class]:P0}), male {prediction.Sex.Probability:P0}, {prediction.Mass:F0} g");
    }
    Console.WriteLine($"{history.Count} epochs, {trainer.Step} steps, {history.Sum(r => r.Seconds):F1} s");

    // Does sharing help? Each task trained alone, same architecture, budget and seeds.
    Console.WriteLine("multi-task against each task trained alone:");
    Console.Write(trainer.CompareWithSingleTask(train, validation, seeds: 3).ToTable());
    Console.WriteLine($"report: {report}");
}

static string Format(Mtl.Torch.Tensor values) =>
    "[" + string.Join(", ", values.data<float>().ToArray().Select(v => v.ToString("F2", CultureInfo.InvariantCulture))) + "]";
