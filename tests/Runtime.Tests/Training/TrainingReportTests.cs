using System.Text.RegularExpressions;
using Mtl.Training;
using Xunit;

namespace Mtl.Runtime.Tests.Training;

[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainingReportTests
{
    private static readonly EpochRecord[] History =
    [
        new(1, 10, 2.0, new Dictionary<string, double> { ["income"] = 0.9, ["marital"] = 1.5 }, new Dictionary<string, double> { ["income"] = 1, ["marital"] = 0.5 }, [1e-3],
            new Dictionary<string, double> { ["income.loss"] = 0.8, ["income.accuracy"] = 0.61, ["marital.loss"] = 1.4, ["marital.macro_f1"] = 0.3, ["loss"] = 1.5 }, 1.25),
        new(2, 20, 1.0, new Dictionary<string, double> { ["income"] = 0.5, ["marital"] = 1.0 }, new Dictionary<string, double> { ["income"] = 0.8, ["marital"] = 1.2 }, [5e-4],
            new Dictionary<string, double> { ["income.loss"] = 0.6, ["income.accuracy"] = 0.72, ["marital.loss"] = 1.1, ["marital.macro_f1"] = 0.45, ["loss"] = 1.15 }, 1.5),
        new(3, 30, 0.7, new Dictionary<string, double> { ["income"] = 0.4, ["marital"] = 0.6 }, new Dictionary<string, double> { ["income"] = 0.7, ["marital"] = 1.3 }, [2.5e-4],
            new Dictionary<string, double> { ["income.loss"] = 0.5, ["income.accuracy"] = 0.75, ["marital.loss"] = 1.0, ["marital.macro_f1"] = double.NaN, ["loss"] = 1.0 }, 1.0),
    ];

    private static string Series(string html, string chart, string series)
    {
        var svg = Regex.Match(html, "<svg[^>]*data-chart=\"" + Regex.Escape(chart) + "\"[^>]*>(.*?)</svg>", RegexOptions.Singleline);
        Assert.True(svg.Success, $"chart '{chart}' is missing");
        var line = Regex.Match(svg.Groups[1].Value, "<polyline[^>]*data-series=\"" + Regex.Escape(series) + "\"[^>]*data-values=\"([^\"]*)\"[^>]*points=\"([^\"]*)\"");
        Assert.True(line.Success, $"series '{series}' is missing from chart '{chart}'");
        return line.Groups[1].Value + "|" + line.Groups[2].Value;
    }

    [Fact]
    public void The_report_has_a_chart_per_view_carrying_the_data()
    {
        var html = TrainingReport.Render(History, "Census <run>");
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<title>Census &lt;run&gt;</title>", html);
        Assert.DoesNotContain("<script", html);
        Assert.Equal(7, Regex.Matches(html, "<svg ").Count);

        var (values, points) = Split(Series(html, "Training loss per task", "income"));
        Assert.Equal("0.9 0.5 0.4", values);
        Assert.Equal(3, points.Split(' ').Length);
        Assert.Equal("1.5 1 0.6", Split(Series(html, "Training loss per task", "marital")).values);
        Assert.Equal("2 1 0.7", Split(Series(html, "Total training loss", "total")).values);
        Assert.Equal("0.61 0.72 0.75", Split(Series(html, "income · accuracy", "accuracy")).values);
        Assert.Equal("1 0.8 0.7", Split(Series(html, "Task weights", "income")).values);
        Assert.Equal("0.001 0.0005 0.00025", Split(Series(html, "Learning rate", "group 1")).values);

        // A NaN is kept in the data but not drawn.
        var (f1, f1Points) = Split(Series(html, "marital · macro_f1", "macro_f1"));
        Assert.Equal("0.3 0.45 NaN", f1);
        Assert.Equal(2, f1Points.Split(' ').Length);
    }

    [Fact]
    public void Points_rise_and_fall_with_the_values()
    {
        var html = TrainingReport.Render(History);
        var (_, points) = Split(Series(html, "Total training loss", "total"));
        var ys = points.Split(' ').Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        // SVG y grows downwards: a falling loss means rising y.
        Assert.True(ys[0] < ys[1] && ys[1] < ys[2]);
    }

    [Fact]
    public void A_trainer_writes_the_report_after_every_epoch()
    {
        var folder = Directory.CreateTempSubdirectory("mtl-report-").FullName;
        try
        {
            Mtl.Torch.torch.manual_seed(2);
            using var data = TwoTaskData.Make(64, seed: 1);
            using var model = new TwoTaskModel();
            using var optimizer = Mtl.Torch.torch.optim.Adam(model.parameters(), lr: 1e-2);
            var path = Path.Combine(folder, "report.html");
            using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 3, BatchSize = 16, ReportPath = path });
            var history = trainer.Fit(data, data);
            var html = File.ReadAllText(path);
            var expected = string.Join(" ", history.Select(r => r.TaskLosses["kind"].ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(expected, Split(Series(html, "Training loss per task", "kind")).values);
            Assert.Contains("data-chart=\"value · mae\"", html);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_empty_history_renders_a_page_without_charts()
    {
        var html = TrainingReport.Render([]);
        Assert.Contains("No epoch has completed yet", html);
        Assert.DoesNotContain("<svg", html);
    }

    private static (string values, string points) Split(string pair)
    {
        var parts = pair.Split('|');
        return (parts[0], parts[1]);
    }
}
