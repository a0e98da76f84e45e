// Trains the reference model declared in reference.mtl (a shared trunk, a regression head and a
// 10-class head) through the classes the Mtl generator makes of that file, on synthetic data whose
// targets can be learned; then prints held-out quality, a few predictions, and where the log,
// report and checkpoint went.
using Mtl.Torch;
using Mtl.Training;
using QuickStart;
using static Mtl.Torch.torch;

set_num_threads(1);

using var train = SyntheticData.Make(8192, seed: 1);
using var validation = SyntheticData.Make(2048, seed: 2);
var output = Path.Combine(Path.GetTempPath(), "mtl-quickstart");
Directory.CreateDirectory(output);
var log = Path.Combine(output, "training.jsonl");
File.Delete(log);

using var trainer = new ReferenceTrainer(ReferenceTrainer.DefaultOptions() with
{
    LogPath = log,
    ReportPath = Path.Combine(output, "report.html"),
    Display = ProgressMode.Auto,
});
Console.WriteLine($"Mtl quick start: libtorch {__version__}; reference.mtl: {ReferenceModel.ParameterCount} parameters, tasks signal (regression), argmax (10 classes)");
var history = trainer.Fit(train, validation);

var metrics = trainer.Evaluate(validation);
Console.WriteLine($"held out: signal r2 {metrics.Signal.R2:F3}, mae {metrics.Signal.Mae:F3}; argmax accuracy {metrics.Argmax.Accuracy:P1}, macro F1 {metrics.Argmax.MacroF1:F3}");

var checkpoint = Path.Combine(output, "reference.ckpt");
trainer.Save(checkpoint);
using var restored = new ReferenceTrainer();
restored.Load(checkpoint);
var examples = Enumerable.Range(0, 3).Select(i => SyntheticData.Example(seed: 100 + i)).ToList();
foreach (var (example, prediction) in examples.Zip(restored.Predict(examples)))
{
    var largest = Array.IndexOf(example.Features, example.Features.Take(10).Max());
    Console.WriteLine($"  argmax: predicted {prediction.Argmax.Class} ({prediction.Argmax.Probabilities[prediction.Argmax.Class]:P0}), true {largest}; signal: predicted {prediction.Signal:F3}");
}
Console.WriteLine($"{history.Count} epochs, {trainer.Step} steps, {history.Sum(r => r.Seconds):F1} s; log: {log}; report: {Path.Combine(output, "report.html")}; checkpoint: {checkpoint}");

/// <summary>64 standard-normal features; signal = a fixed linear function plus noise; argmax = which of the first 10 features is largest.</summary>
static class SyntheticData
{
    public static ReferenceDataset Make(long count, long seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        var x = randn(count, 64);
        manual_seed(1000);
        var w = randn(64, 1) / 8.0;
        manual_seed(seed + 1);
        var signal = x.matmul(w) + 0.1 * randn(count, 1);
        var argmax = x.narrow(1, 0, 10).argmax(1);
        return ReferenceDataset.From(new ReferenceInputs(x), new ReferenceTargets(signal, argmax));
    }

    /// <summary>One example as .NET values, as an application would have it.</summary>
    public static ReferenceExample Example(int seed)
    {
        var random = new Random(seed);
        var features = Enumerable.Range(0, 64).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        return new ReferenceExample { Features = features };
    }
}
