// Trains a small two-task model — a shared trunk, a regression head and a 10-class head — with
// Mtl's training runtime on synthetic data whose targets can be learned, then prints held-out
// quality and where the log and report went. The model is the one bench/ times.
using Mtl;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using static Mtl.Torch.torch;

manual_seed(42);
set_num_threads(1);

TaskSpec[] tasks =
[
    new("signal", TaskKind.Regression) { Metrics = ["mae", "r2"] },
    new("argmax", TaskKind.Classes, 10) { Weight = 0.5, Metrics = ["accuracy", "macro_f1"] },
];
using var train = SyntheticTasks.Make(8192, seed: 1, tasks);
using var validation = SyntheticTasks.Make(2048, seed: 2, tasks);
using var model = new ReferenceModel();
using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
var output = Path.Combine(Path.GetTempPath(), "mtl-quickstart");
Directory.CreateDirectory(output);
var log = Path.Combine(output, "training.jsonl");
File.Delete(log);

Console.WriteLine($"Mtl quick start: libtorch {torch.__version__}, {model.parameters().Sum(p => p.numel())} parameters, tasks: signal (regression), argmax (10 classes)");
using var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions
{
    Epochs = 30,
    BatchSize = 256,
    Seed = 42,
    EarlyStop = new EarlyStopping("argmax.accuracy", Patience: 5),
    Scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max: 30 * 32, eta_min: 1e-4),
    LogPath = log,
    ReportPath = Path.Combine(output, "report.html"),
    Display = ProgressMode.Auto,
});
var history = trainer.Fit(train, validation);
var final = trainer.Evaluate(validation);
Console.WriteLine($"held out: signal r2 {final["signal.r2"]:F3}, mae {final["signal.mae"]:F3}; argmax accuracy {final["argmax.accuracy"]:P1}, macro F1 {final["argmax.macro_f1"]:F3}");
Console.WriteLine($"{history.Count} epochs, {trainer.Step} steps, {history.Sum(r => r.Seconds):F1} s; log: {log}; report: {Path.Combine(output, "report.html")}");

/// <summary>trunk Linear(64,128)-ReLU-Linear(128,64)-ReLU; signal head Linear(64,32)-ReLU-Linear(32,1); argmax head Linear(64,32)-ReLU-Linear(32,10).</summary>
sealed class ReferenceModel : MultiTaskModule
{
    private readonly Sequential trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU());
    private readonly Sequential signal = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1));
    private readonly Sequential argmax = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10));

    public ReferenceModel() : base(nameof(ReferenceModel)) => RegisterComponents();

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var shared = trunk.forward(inputs["features"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor>
        {
            ["signal"] = signal.forward(shared),
            ["argmax"] = argmax.forward(shared),
        }, shared);
    }

    public override IEnumerable<nn.Module> SharedModules() => [trunk];
}

/// <summary>64 standard-normal features; signal = a fixed linear function plus noise; argmax = which of the first 10 features is largest.</summary>
static class SyntheticTasks
{
    public static MultiTaskDataset Make(long count, long seed, IReadOnlyList<TaskSpec> tasks)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        var x = randn(count, 64);
        manual_seed(1000);
        var w = randn(64, 1) / 8.0;
        manual_seed(seed + 1);
        var signal = x.matmul(w) + 0.1 * randn(count, 1);
        var argmax = x.narrow(1, 0, 10).argmax(1);
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["features"] = x },
            new Dictionary<string, Tensor> { ["signal"] = signal, ["argmax"] = argmax },
            tasks);
    }
}
