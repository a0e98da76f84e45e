using System.Text.RegularExpressions;
using Mtl.Data;
using Mtl.Runtime.Tests.Weighting;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// Task relatedness measured during training (<see cref="TrainerOptions.Relatedness"/>): cosines,
/// norm ratios and shares against hand computation, the update unchanged by measuring, the JSONL
/// round trip and checkpoints, and the heatmap of report.html.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class RelatednessTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-relatedness-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// Lᵢ = aᵢ·θ + hᵢ with a₀ = (1, 0), a₁ = (1, 1), a₂ = (−1, 0) and fixed weights 1, 2, ½:
    /// gᵢ = aᵢ, so cos(g₀, g₁) = 1/√2, cos(g₀, g₂) = −1, cos(g₁, g₂) = −1/√2; ‖g₀‖/‖g₁‖ = 1/√2,
    /// ‖g₀‖/‖g₂‖ = 1, ‖g₁‖/‖g₂‖ = √2. Sample 1: d = a₀ + 2a₁ + ½a₂ = (2.5, 2), ‖d‖² = 10.25, shares
    /// 2.5, 9 and −1.25 over 10.25 (sum 1). Sample 2: task 2 absent, the losses halved as for
    /// accumulating two micro-batches over a .grad of (5, 5) already there: d = a₀ + 2a₁ = (3, 2),
    /// ‖d‖² = 13, shares 3/13 and 10/13; the pairs with task 2 keep sample 1's value alone.
    /// </summary>
    [Fact]
    public void Cosines_norm_ratios_and_shares_match_the_hand_computation()
    {
        using var tasks = new LinearTasks([[1, 0], [1, 1], [-1, 0]]);
        using var weighting = new FixedWeighting([1, 2, 0.5]);
        var context = tasks.Context();
        weighting.Attach(context);
        var probe = new RelatednessProbe(1, context.TaskNames);
        using (var scope = NewDisposeScope())
        {
            var losses = tasks.Losses();
            probe.Before(losses, context.SharedParameters);
            weighting.Backward(losses, context);
            probe.After(weighting.Weights, context.SharedParameters, accumulate: 1);
        }
        tasks.ZeroGrad();
        using (var scope = NewDisposeScope())
        {
            using (no_grad()) tasks.Theta.grad = tensor(new double[] { 5, 5 });
            var losses = tasks.Losses(2);
            probe.Before(losses, context.SharedParameters);
            weighting.Backward(losses.Select(l => l is null ? null : l * 0.5).ToArray(), context);
            probe.After(weighting.Weights, context.SharedParameters, accumulate: 2);
        }

        var related = probe.TakeEpoch()!;
        Assert.Equal(2, related.Samples);
        Expect.Close(1 / Math.Sqrt(2), related.Cosine["t0"]["t1"], what: "cos(t0, t1)");
        Expect.Close(-1, related.Cosine["t0"]["t2"], what: "cos(t0, t2)");
        Expect.Close(-1 / Math.Sqrt(2), related.Cosine["t1"]["t2"], what: "cos(t1, t2)");
        Expect.Close(-1 / Math.Sqrt(2), related.CosineOf("t2", "t1"), what: "cos(t2, t1)");
        Expect.Close(1 / Math.Sqrt(2), related.NormRatio["t0"]["t1"], what: "‖t0‖/‖t1‖");
        Expect.Close(1, related.NormRatio["t0"]["t2"], what: "‖t0‖/‖t2‖");
        Expect.Close(Math.Sqrt(2), related.NormRatio["t1"]["t2"], what: "‖t1‖/‖t2‖");
        Expect.Close((2.5 / 10.25 + 3.0 / 13) / 2, related.Share["t0"], what: "share t0");
        Expect.Close((9 / 10.25 + 10.0 / 13) / 2, related.Share["t1"], what: "share t1");
        Expect.Close(-1.25 / 10.25, related.Share["t2"], what: "share t2");
        Assert.False(related.Cosine.ContainsKey("t2"));
        Assert.Null(probe.TakeEpoch());
    }

    [Fact]
    public void Orthogonal_gradients_have_cosine_zero_and_a_task_without_gradient_is_left_out()
    {
        var probe = new RelatednessProbe(1, ["a", "b", "c"]);
        // g_a = (3, 0), g_b = (0, 4), g_c = 0; d = g_a + g_b: shares 9/25 and 16/25.
        double[] gram = [9, 0, 0, 0, 16, 0, 0, 0, 0];
        probe.Add(gram, [9, 16, 0], 25, [true, true, true], [1, 1, 1]);
        var related = probe.TakeEpoch()!;
        Expect.Close(0, related.Cosine["a"]["b"]);
        Expect.Close(0.75, related.NormRatio["a"]["b"]);
        Assert.Equal(["b"], related.Cosine["a"].Keys);
        Assert.False(related.Cosine.ContainsKey("b"));
        Expect.Close([9.0 / 25, 16.0 / 25, 0], [related.Share["a"], related.Share["b"], related.Share["c"]]);
    }

    [Fact]
    public void Sampling_takes_every_nth_step_from_the_first()
    {
        var probe = new RelatednessProbe(20, ["a", "b"]);
        Assert.Equal([0L, 20, 40], Enumerable.Range(0, 50).Select(s => (long)s).Where(probe.Samples));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RelatednessProbe(0, ["a", "b"]));
    }

    public static TheoryData<string, int, int> Runs => new()
    {
        { "fixed", 1, 1 },
        { "fixed", 2, 3 },
        { "mgda", 1, 2 },
        { "pcgrad", 1, 1 },
    };

    /// <summary>With dropout (a generator draw per forward pass), measuring at every step leaves every weight bit for bit as without.</summary>
    [Theory]
    [MemberData(nameof(Runs))]
    public void Measuring_leaves_the_update_bit_identical(string method, int accumulate, int every)
    {
        float[][] Train(int? relatedness)
        {
            manual_seed(11);
            using var data = TwoTaskData.Make(64, seed: 5);
            using var model = new TwoTaskModel(dropout: 0.2);
            using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
            TaskWeighting weighting = method switch
            {
                "mgda" => new MGDA([1, 0.5]),
                "pcgrad" => new PCGrad([1, 0.5]),
                _ => new FixedWeighting([1, 0.5]),
            };
            using var owned = weighting;
            using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
            {
                Epochs = 2, BatchSize = 16, Accumulate = accumulate, Weighting = weighting, Relatedness = relatedness,
            });
            var history = trainer.Fit(data);
            Assert.Equal(relatedness is not null, history.All(r => r.Relatedness is not null));
            return model.parameters().Select(p => p.detach().flatten().data<float>()).ToArray();
        }

        var without = Train(null);
        var with = Train(every);
        Assert.Equal(without.Length, with.Length);
        for (var i = 0; i < without.Length; i++) Assert.Equal(without[i], with[i]);
    }

    [Fact]
    public void The_log_writes_relatedness_reads_it_back_and_checkpoints_keep_it()
    {
        manual_seed(4);
        using var data = ThreeTasks.Make(48);
        using var model = new ThreeTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var log = Path.Combine(_folder, "log.jsonl");
        var checkpoint = Path.Combine(_folder, "run.safetensors");
        using var trainer = new Trainer(model, ThreeTasks.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 8, LogPath = log, CheckpointPath = checkpoint, Relatedness = 2 });
        var history = trainer.Fit(data);

        // 6 steps an epoch, sampled at steps 0, 2, 4 and 6, 8, 10.
        Assert.All(history, r => Assert.Equal(3, r.Relatedness!.Samples));
        var first = history[0].Relatedness!;
        Assert.Equal(["a", "b"], first.Cosine.Keys);
        Assert.Equal(["b", "c"], first.Cosine["a"].Keys);
        Assert.Equal(["c"], first.NormRatio["b"].Keys);
        // Fixed weights: d = Σ wᵢgᵢ, so the shares sum to 1.
        Expect.Close(1, first.Share.Values.Sum(), tolerance: 1e-6, what: "Σ shares");

        var lines = File.ReadAllLines(log);
        Assert.Contains("\"relatedness\":{\"samples\":3,\"cosine\":{\"a\":{\"b\":", lines[0]);
        for (var i = 0; i < lines.Length; i++)
        {
            var read = TrainingLog.FromJson(lines[i]).Relatedness!;
            Assert.Equal(history[i].Relatedness!.Samples, read.Samples);
            Assert.Equal(history[i].Relatedness!.Cosine["a"]["c"], read.Cosine["a"]["c"]);
            Assert.Equal(history[i].Relatedness!.NormRatio["b"]["c"], read.NormRatio["b"]["c"]);
            Assert.Equal(history[i].Relatedness!.Share["b"], read.Share["b"]);
            Assert.Equal(lines[i], TrainingLog.ToJson(TrainingLog.FromJson(lines[i])));
        }

        using var resumedModel = new ThreeTaskModel();
        using var resumedOptimizer = optim.Adam(resumedModel.parameters(), lr: 1e-2);
        using var resumed = new Trainer(resumedModel, ThreeTasks.Tasks, resumedOptimizer, new TrainerOptions { Epochs = 2, BatchSize = 8, Relatedness = 2 });
        Checkpoint.Load(checkpoint, resumed);
        Assert.Equal(lines[1], TrainingLog.ToJson(resumed.History[1]));
    }

    [Fact]
    public void The_report_of_a_three_task_run_has_the_heatmap_and_the_pair_curves()
    {
        manual_seed(4);
        using var data = ThreeTasks.Make(48);
        using var model = new ThreeTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var report = Path.Combine(_folder, "report.html");
        using var trainer = new Trainer(model, ThreeTasks.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 8, ReportPath = report, Relatedness = 1 });
        var history = trainer.Fit(data);
        var html = File.ReadAllText(report);

        var heatmap = Regex.Match(html, "<svg[^>]*data-heatmap=\"cosine\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(heatmap.Success, "the report has no relatedness heatmap");
        var cells = Regex.Matches(heatmap.Groups[1].Value, "data-row=\"(\\w)\" data-column=\"(\\w)\" data-cosine=\"([^\"]+)\"");
        Assert.Equal(9, cells.Count);
        var last = history[^1].Relatedness!;
        foreach (Match cell in cells)
        {
            var (row, column) = (cell.Groups[1].Value, cell.Groups[2].Value);
            var expected = last.CosineOf(row, column);
            Assert.True(Math.Abs(expected - double.Parse(cell.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture)) < 1e-6, $"cell {row}×{column}");
        }
        Assert.Contains("data-row=\"b\" data-column=\"b\" data-cosine=\"1\"", heatmap.Groups[1].Value);
        Assert.Contains("Gradient cosine, epoch 2", html);

        var curves = Regex.Match(html, "<svg[^>]*data-chart=\"Gradient cosine per task pair\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(curves.Success, "the report has no per-pair cosine chart");
        Assert.Equal(["a–b", "a–c", "b–c"], Regex.Matches(curves.Groups[1].Value, "data-series=\"([^\"]+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("data-chart=\"Gradient norm ratio per task pair\"", html);
        Assert.Contains("data-chart=\"Share of the shared update\"", html);
    }

    [Fact]
    public void A_run_without_relatedness_logs_and_draws_none()
    {
        manual_seed(4);
        using var data = ThreeTasks.Make(16);
        using var model = new ThreeTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var log = Path.Combine(_folder, "plain.jsonl");
        using var trainer = new Trainer(model, ThreeTasks.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 8, LogPath = log });
        var history = trainer.Fit(data);
        Assert.Null(history[0].Relatedness);
        Assert.DoesNotContain("relatedness", File.ReadAllText(log));
        Assert.DoesNotContain("data-heatmap", TrainingReport.Render(history));
    }

    [Fact]
    public void A_task_of_pure_noise_shows_near_zero_cosine_and_related_tasks_a_high_one()
    {
        // a = x₀ + x₁, b = 1.1·a (the same task scaled), c = noise drawn independently of x.
        manual_seed(6);
        const long count = 512;
        var random = new Random(21);
        var x = Enumerable.Range(0, (int)count * 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var a = Enumerable.Range(0, (int)count).Select(r => x[r * 4] + x[(r * 4) + 1]).ToArray();
        var noise = Enumerable.Range(0, (int)count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [count, 4]) },
            new Dictionary<string, Tensor>
            {
                ["a"] = tensor(a, [count, 1]),
                ["b"] = tensor(a.Select(v => 1.1f * v).ToArray(), [count, 1]),
                ["c"] = tensor(noise, [count, 1]),
            },
            ThreeTasks.Tasks);
        using var model = new ThreeTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, ThreeTasks.Tasks, optimizer, new TrainerOptions { Epochs = 6, BatchSize = 32, Relatedness = 1 });

        var history = trainer.Fit(data);
        var last = history[^1].Relatedness!;

        Assert.Equal(16, last.Samples);
        // Measured: cos(a, b) 0.61 in the last epoch (both fit, their residuals partly noise now),
        // cos(a, c) and cos(b, c) −0.007.
        Assert.True(last.CosineOf("a", "b") > 0.5, $"cos(a, b) = {last.CosineOf("a", "b")}");
        Assert.True(Math.Abs(last.CosineOf("a", "c")) < 0.05, $"cos(a, c) = {last.CosineOf("a", "c")}");
        Assert.True(Math.Abs(last.CosineOf("b", "c")) < 0.05, $"cos(b, c) = {last.CosineOf("b", "c")}");

        // The report's heatmap shows the same: the noise task's cells near zero, the related pair's high.
        var html = TrainingReport.Render(history);
        double Cell(string row, string column) => double.Parse(
            Regex.Match(html, $"data-row=\"{row}\" data-column=\"{column}\" data-cosine=\"([^\"]*)\"").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(last.CosineOf("a", "c"), Cell("a", "c"), 6);
        Assert.Equal(last.CosineOf("a", "c"), Cell("c", "a"), 6);
        Assert.True(Math.Abs(Cell("b", "c")) < 0.05 && Cell("a", "b") > 0.5);
    }

    /// <summary>A shared trunk over x (4 features) with three regression heads a, b, c.</summary>
    private sealed class ThreeTaskModel : MultiTaskModule
    {
        private readonly Sequential trunk;
        private readonly Linear a, b, c;

        public ThreeTaskModel() : base(nameof(ThreeTaskModel))
        {
            trunk = nn.Sequential(nn.Linear(4, 8), nn.Tanh());
            (a, b, c) = (nn.Linear(8, 1), nn.Linear(8, 1), nn.Linear(8, 1));
            RegisterComponents();
        }

        public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
        {
            var shared = trunk.forward(inputs["x"]);
            return new MultiTaskOutput(new Dictionary<string, Tensor> { ["a"] = a.forward(shared), ["b"] = b.forward(shared), ["c"] = c.forward(shared) }, shared);
        }

        public override IEnumerable<nn.Module> SharedModules() => [trunk];
    }

    private static class ThreeTasks
    {
        public static readonly TaskSpec[] Tasks = [new("a", TaskKind.Regression), new("b", TaskKind.Regression), new("c", TaskKind.Regression)];

        /// <summary>a = x₀ + x₁, b = x₀ − x₁ (partly related to a), c = −(x₀ + x₁) (a's opposite).</summary>
        public static MultiTaskDataset Make(long count)
        {
            using var scope = NewDisposeScope();
            var random = new Random(9);
            var x = Enumerable.Range(0, (int)count * 4).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float Row(int r, int k) => x[r * 4 + k];
            float[] Target(Func<int, float> f) => Enumerable.Range(0, (int)count).Select(f).ToArray();
            return new MultiTaskDataset(
                new Dictionary<string, Tensor> { ["x"] = tensor(x, [count, 4]) },
                new Dictionary<string, Tensor>
                {
                    ["a"] = tensor(Target(r => Row(r, 0) + Row(r, 1)), [count, 1]),
                    ["b"] = tensor(Target(r => Row(r, 0) - Row(r, 1)), [count, 1]),
                    ["c"] = tensor(Target(r => -Row(r, 0) - Row(r, 1)), [count, 1]),
                },
                Tasks);
        }
    }
}
