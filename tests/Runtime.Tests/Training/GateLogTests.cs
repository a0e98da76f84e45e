using System.Text.RegularExpressions;
using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// The mean gate weights of a mixture of experts, per epoch: in the history, the JSONL log (and
/// back), checkpoints, and a chart per block and task in report.html; absent for other models.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class GateLogTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-gates-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// An MMoE over x with three experts; gate "value" has constant logits [0, ln 2, 0] (weights ¼, ½, ¼)
    /// and gate "kind" [ln 3, 0, 0] (weights ⅗, ⅕, ⅕), both held fixed, so every epoch's means are exact.
    /// </summary>
    private sealed class GatedModel : MultiTaskModule
    {
        private readonly MixtureOfExperts mix;
        private readonly Sequential value;
        private readonly Sequential kind;

        public GatedModel() : base(nameof(GatedModel))
        {
            mix = new MixtureOfExperts(3, () => nn.Sequential(nn.Linear(6, 8), nn.ReLU()), ["value", "kind"], () => nn.Linear(6, 3));
            value = nn.Sequential(nn.Linear(8, 1));
            kind = nn.Sequential(nn.Linear(8, 3));
            using (no_grad())
            {
                foreach (var (task, logits) in new[] { ("value", new[] { 0, Math.Log(2), 0 }), ("kind", new[] { Math.Log(3), 0, 0 }) })
                {
                    var gate = mix.Gates[task];
                    using var zero = zeros([3, 6]);
                    using var bias = tensor(logits.Select(v => (float)v).ToArray(), [3]);
                    gate.weight.copy_(zero);
                    gate.bias!.copy_(bias);
                    foreach (var p in gate.parameters()) p.requires_grad = false;
                }
            }
            register_module("mix", mix);
            register_module("value", value);
            register_module("kind", kind);
        }

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var mixed = mix.forward(inputs["x"]);
            return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = value.forward(mixed["value"]), ["kind"] = kind.forward(mixed["kind"]) });
        }

        public override IEnumerable<nn.Module> SharedModules() => [mix.Experts];
    }

    [Fact]
    public void Each_epoch_logs_each_tasks_mean_gate_weight_per_expert_and_the_report_draws_them()
    {
        manual_seed(4);
        using var data = TwoTaskData.Make(48, seed: 3);
        using var model = new GatedModel();
        using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad).ToList(), lr: 1e-2);
        var log = Path.Combine(_folder, "log.jsonl");
        var report = Path.Combine(_folder, "report.html");
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 16, LogPath = log, ReportPath = report });
        var history = trainer.Fit(data, data);

        foreach (var record in history)
        {
            var gates = Assert.Single(record.Gates!);
            Assert.Equal("mix", gates.Key);
            Assert.Equal(["value", "kind"], gates.Value.Keys);
            AssertClose([0.25, 0.5, 0.25], gates.Value["value"]);
            AssertClose([0.6, 0.2, 0.2], gates.Value["kind"]);
        }

        var lines = File.ReadAllLines(log);
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"gates\":{\"mix\":{\"value\":[", lines[0]);
        for (var i = 0; i < 2; i++)
        {
            var read = TrainingLog.FromJson(lines[i]);
            Assert.Equal(history[i].Gates!["mix"]["kind"], read.Gates!["mix"]["kind"]);
            Assert.Equal(history[i].Gates!["mix"]["value"], read.Gates!["mix"]["value"]);
            Assert.Equal(lines[i], TrainingLog.ToJson(read));
        }

        var html = File.ReadAllText(report);
        var chart = Regex.Match(html, "<svg[^>]*data-chart=\"Gates of mix for kind\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(chart.Success, "the report has no gate chart for kind");
        Assert.Matches("data-series=\"expert 0\" data-values=\"0\\.6 0\\.6\"", chart.Groups[1].Value);
        Assert.Contains("data-chart=\"Gates of mix for value\"", html);
    }

    [Fact]
    public void A_model_without_a_mixture_logs_no_gates()
    {
        manual_seed(4);
        using var data = TwoTaskData.Make(32, seed: 3);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var log = Path.Combine(_folder, "plain.jsonl");
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 16, LogPath = log });
        var history = trainer.Fit(data);
        Assert.Null(history[0].Gates);
        Assert.DoesNotContain("gates", File.ReadAllText(log));
        Assert.DoesNotContain("Gate weights", TrainingReport.Render(history));
    }

    private static void AssertClose(double[] expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6, $"[{i}]: expected {expected[i]}, got {actual[i]}");
    }
}
