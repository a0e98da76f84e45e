using System.Globalization;
using System.Text.RegularExpressions;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// What report.html shows beside the curves: one axis per metric with round ticks, the best epoch
/// marked and named, the run's settings as the trainer holds them, durations a person reads, and
/// the comparison with single-task training.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class ReportContentTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-report-content-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static EpochRecord Record(int epoch, double mae, double r2, bool best = false, string? stage = null) =>
        new(epoch, 10L * epoch, 1.0 / epoch, new Dictionary<string, double> { ["value"] = 1.0 / epoch }, new Dictionary<string, double> { ["value"] = 1 }, [1e-3],
            new Dictionary<string, double> { ["value.loss"] = 1.0 / epoch, ["value.mae"] = mae, ["value.r2"] = r2, ["loss"] = 1.0 / epoch }, 2.815924)
        {
            Best = best,
            Stage = stage,
        };

    private static string Svg(string html, string chart)
    {
        var svg = Regex.Match(html, "<svg[^>]*data-chart=\"" + Regex.Escape(chart) + "\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(svg.Success, $"chart '{chart}' is missing");
        return svg.Groups[1].Value;
    }

    private static double[] YTicks(string svg) =>
        Regex.Matches(svg, "data-tick=\"y\">([^<]*)<").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void Each_metric_has_a_chart_and_an_axis_of_its_own()
    {
        EpochRecord[] history = [Record(1, 412.5, 0.31), Record(2, 301.0, 0.62), Record(3, 265.25, 0.835)];
        var html = TrainingReport.Render(history);
        var mae = Svg(html, "value · mae");
        var r2 = Svg(html, "value · r2");
        Assert.Single(Regex.Matches(mae, "<polyline"));
        Assert.Single(Regex.Matches(r2, "<polyline"));
        // Each axis spans its own metric's values with round ticks, not the union of both.
        Assert.Equal([250, 300, 350, 400, 450], YTicks(mae));
        Assert.Equal([0.2, 0.4, 0.6, 0.8, 1.0], YTicks(r2));
    }

    [Theory]
    [InlineData(new[] { 0.61, 0.75 }, 0.6, 0.75, 0.05)]
    [InlineData(new[] { 412.5, 265.25 }, 250, 450, 50)]
    [InlineData(new[] { -0.3, 0.9 }, -0.5, 1.0, 0.5)]
    [InlineData(new[] { 2.0, 2.0 }, 1.8, 2.2, 0.1)]
    [InlineData(new[] { 0.0 }, -1, 1, 0.5)]
    public void The_axis_runs_between_round_numbers_around_the_values(double[] values, double low, double high, double step)
    {
        var axis = LineChart.Axis(values);
        Assert.Equal(step, axis.Step, 12);
        Assert.Equal(low, axis.Low, 9);
        Assert.Equal(high, axis.High, 9);
    }

    [Fact]
    public void Tick_labels_have_the_decimals_of_the_step()
    {
        EpochRecord[] history = [Record(1, 1, 0.1), Record(2, 1, 0.2), Record(3, 1, 0.3)];
        var ticks = Regex.Matches(Svg(TrainingReport.Render(history), "value · r2"), "data-tick=\"y\">([^<]*)<").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(["0.10", "0.15", "0.20", "0.25", "0.30"], ticks);
    }

    [Theory]
    [InlineData(80, "1 20 40 60 80")]
    [InlineData(12, "1 2 4 6 8 10 12")]
    [InlineData(5, "1 2 3 4 5")]
    [InlineData(1, "1")]
    public void Epochs_are_labelled_at_round_numbers_and_at_both_ends(int count, string labels)
    {
        var history = Enumerable.Range(1, count).Select(e => Record(e, 1, 0.5)).ToArray();
        var svg = Svg(TrainingReport.Render(history), "value · r2");
        Assert.Equal(labels, string.Join(" ", Regex.Matches(svg, "data-tick=\"x\">([^<]*)<").Select(m => m.Groups[1].Value)));
    }

    [Fact]
    public void A_difference_that_rounds_to_zero_reads_plus_zero() =>
        Assert.Equal("+0.0000 ± 0.0407", SingleTaskComparison.MeanSpread(-1e-17, 0.0407, signed: true));

    [Theory]
    [InlineData(0.42, "0.42 s")]
    [InlineData(2.815924, "2.8 s")]
    [InlineData(59.4, "59 s")]
    [InlineData(252, "4 min 12 s")]
    [InlineData(3900, "1 h 05 min")]
    public void Durations_read_as_a_person_writes_them(double seconds, string text) => Assert.Equal(text, ReportText.Duration(seconds));

    [Fact]
    public void The_best_epoch_is_marked_on_every_chart_named_in_the_summary_and_given_a_column()
    {
        EpochRecord[] history = [Record(1, 400, 0.3, best: true), Record(2, 300, 0.6, best: true), Record(3, 350, 0.5)];
        var html = TrainingReport.Render(history, content: new ReportContent { Monitor = "value.mae", RestoresBest = true });
        var charts = Regex.Matches(html, "<svg[^>]*data-chart=").Count;
        Assert.Equal(charts, Regex.Matches(html, "data-best=\"best\" data-epoch=\"2\"").Count);
        Assert.DoesNotContain("data-epoch=\"1\"/>", html);
        Assert.Contains("<p data-best-epochs=\"2\">Best epoch 2 (value.mae = 300.0); its weights are restored when training ends.</p>", html);
        Assert.Contains("<th>best epoch 2</th><th>epoch 3</th>", html);
        Assert.Contains("<tr><td class=\"name\">value.mae</td><td data-epoch=\"2\">300.0</td><td data-epoch=\"3\">350.0</td></tr>", html);
        Assert.Contains("3 epochs, 30 steps, 8.4 s (2.8 s an epoch).", html);
    }

    [Fact]
    public void Each_stage_has_its_own_best_epoch_and_without_early_stopping_none_is_marked()
    {
        EpochRecord[] staged = [Record(1, 4, 0, true, "warm"), Record(2, 5, 0, false, "warm"), Record(3, 3, 0, true, "fine"), Record(4, 2, 0, true, "fine")];
        var html = TrainingReport.Render(staged, content: new ReportContent { Monitor = "value.mae" });
        Assert.Equal([0, 3], TrainingReport.BestEpochs(staged));
        Assert.Contains("<p data-best-epochs=\"1 4\">Best epoch of each stage: warm 1 (value.mae = 4.000), fine 4 (value.mae = 2.000).</p>", html);

        var plain = TrainingReport.Render([Record(1, 4, 0), Record(2, 3, 0)]);
        Assert.DoesNotContain("data-best", plain);
        Assert.DoesNotContain("best epoch", plain);
    }

    [Fact]
    public void The_trainer_flags_each_new_best_logs_it_and_the_report_marks_the_one_it_restores()
    {
        var model = ScriptedValidationModel.Mae(4, 2, 3, 1, 5);
        using var data = ScriptedValidationModel.Data();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        var (log, report) = (Path.Combine(_folder, "log.jsonl"), Path.Combine(_folder, "report.html"));
        using var trainer = new Trainer(model, ScriptedValidationModel.Tasks, optimizer, new TrainerOptions
        {
            Epochs = model.Epochs,
            BatchSize = ScriptedValidationModel.Rows,
            EarlyStop = new EarlyStopping("value.mae", Patience: 10),
            LogPath = log,
            ReportPath = report,
        });
        var history = trainer.Fit(data, data);
        Assert.Equal([true, true, false, true, false], history.Select(r => r.Best));
        Assert.Equal([true, true, false, true, false], TrainingLog.Read(log).Select(r => r.Best));
        Assert.Equal(3, File.ReadLines(log).Count(l => l.Contains("\"best\":true", StringComparison.Ordinal)));
        var html = File.ReadAllText(report);
        Assert.Contains("<p data-best-epochs=\"4\">Best epoch 4 (value.mae = 1.000); its weights are restored when training ends.</p>", html);
        Assert.Contains("data-best=\"best\" data-epoch=\"4\"", html);
        model.Dispose();
    }

    [Fact]
    public void The_settings_table_shows_what_the_trainer_runs_with()
    {
        manual_seed(3);
        using var model = new TwoTaskModel();
        var trunk = model.Trunk.parameters().ToList();
        var heads = model.parameters().Where(p => !trunk.Contains(p)).ToList();
        using var optimizer = optim.Adam([new ParamGroup(trunk), new ParamGroup(heads, lr: 1e-3)], lr: 1e-2);
        var report = Path.Combine(_folder, "report.html");
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
        {
            Epochs = 1,
            BatchSize = 16,
            Accumulate = 2,
            Seed = 7,
            ClipGradNorm = 5,
            Weighting = TaskWeighting.Create("cagrad", [1, 0.5], new Dictionary<string, object> { ["c"] = 0.25 }),
            EarlyStop = new EarlyStopping("kind.accuracy", Patience: 3),
            ReportPath = report,
        });
        var settings = trainer.ReportContent.Settings.ToDictionary(s => s.Name, s => s.Value);
        Assert.Equal("regression(1), loss mse, weight 1, metrics mae, r2", settings["task value"]);
        Assert.Equal("classes(3), loss cross_entropy, weight 0.5, metrics accuracy, macro_f1", settings["task kind"]);
        Assert.Equal("1", settings["epochs"]);
        Assert.Equal("16 × 2 accumulated", settings["batch size"]);
        Assert.Equal("joint", settings["update"]);
        Assert.Equal("7", settings["seed"]);
        Assert.Equal("Adam: lr 0.01, beta1 0.9, beta2 0.999, eps 1e-08, weight_decay 0; 2 parameter groups: group 1 (2 tensors), group 2 (6 tensors): lr 0.001", settings["optimizer"]);
        Assert.Equal("constant", settings["schedule"]);
        Assert.Equal("cagrad(c: 0.25)", settings["weighting"]);
        Assert.Equal("kind.accuracy, default direction, patience 3, min_delta 0; best weights restored", settings["early stopping"]);
        Assert.Equal("5", settings["clip gradient norm"]);
        Assert.False(settings.ContainsKey("L2"));

        using var data = TwoTaskData.Make(32, seed: 1);
        trainer.Fit(data, data);
        Assert.Contains("<th class=\"name\">weighting</th><td class=\"name\" data-setting=\"weighting\">cagrad(c: 0.25)</td>", File.ReadAllText(report));
    }

    [Fact]
    public void The_optimizer_row_gives_the_learning_rate_as_set_not_as_scheduled_by_now()
    {
        manual_seed(3);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
        {
            Epochs = 2,
            BatchSize = 16,
            Schedule = new LearningRateSchedule([new SchedulePhase("cosine", new Dictionary<string, object> { ["min_lr"] = 1e-4 })]),
        });
        using var data = TwoTaskData.Make(32, seed: 1);
        trainer.Fit(data, data);
        Assert.True(optimizer.param_groups[0].lr < 1e-2);
        var settings = trainer.ReportContent.Settings.ToDictionary(s => s.Name, s => s.Value);
        Assert.StartsWith("Adam: lr 0.01, ", settings["optimizer"]);
        Assert.Equal("cosine(min_lr: 0.0001)", settings["schedule"]);
    }

    [Fact]
    public void A_comparison_added_to_the_report_shows_as_a_table_of_its_metrics()
    {
        using var train = TwoTaskData.Make(64, seed: 1);
        using var validation = TwoTaskData.Make(32, seed: 2);
        var options = new TrainerOptions { Epochs = 2, BatchSize = 32, Seed = 5 };
        var comparison = SingleTaskComparison.Run(TwoTaskData.Tasks, options, 2, train, validation, o =>
        {
            manual_seed(o.Seed);
            var m = new TwoTaskModel();
            var opt = optim.Adam(m.parameters(), lr: 1e-2);
            var t = new Trainer(m, TwoTaskData.Tasks, opt, o);
            return (t, new Disposables(t, opt, m));
        });

        var report = Path.Combine(_folder, "report.html");
        manual_seed(5);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, options with { ReportPath = report });
        trainer.AddToReport(comparison);
        // Written at once, before any epoch, and kept by the reports written after each epoch.
        Assert.Contains("data-table=\"comparison\"", File.ReadAllText(report));
        trainer.Fit(train, validation);
        var html = File.ReadAllText(report);
        var rows = Regex.Matches(html, "<tr data-task=\"([^\"]*)\" data-metric=\"([^\"]*)\" data-difference=\"([^\"]*)\">(.*?)</tr>");
        Assert.Equal(comparison.Metrics.Select(m => (m.Task, m.Metric)), rows.Select(r => (r.Groups[1].Value, r.Groups[2].Value)));
        foreach (var (metric, row) in comparison.Metrics.Zip(rows))
        {
            Assert.Equal(ReportText.Number(metric.Difference), row.Groups[3].Value);
            Assert.Contains(">" + metric.Transfer + "</td>", row.Groups[4].Value);
            Assert.Contains(SingleTaskComparison.MeanSpread(metric.SingleTaskMean, metric.SingleTaskSpread, signed: false), row.Groups[4].Value);
        }
        Assert.Contains("value</td><td class=\"name\">mae ↓</td>", html);
        Assert.Contains("kind</td><td class=\"name\">accuracy ↑</td>", html);
    }

    private sealed class Disposables(params IDisposable[] parts) : IDisposable
    {
        public void Dispose()
        {
            foreach (var part in parts) part.Dispose();
        }
    }
}
