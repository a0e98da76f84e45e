using System.Text;
using static Mtl.Training.ReportText;

namespace Mtl.Training;

/// <summary>What report.html shows beside the history; the trainer fills it from what it runs with.</summary>
public sealed record ReportContent
{
    /// <summary>The settings table (<see cref="RunSetting"/>); empty: no table.</summary>
    public IReadOnlyList<RunSetting> Settings { get; init; } = [];

    /// <summary>The early-stopping monitor (<c>task.metric</c> or <c>loss</c>) whose best epochs are named; null without early stopping.</summary>
    public string? Monitor { get; init; }

    /// <summary>Whether the best epoch's weights are restored when training (each stage) ends (<see cref="TrainerOptions.RestoreBest"/>).</summary>
    public bool RestoresBest { get; init; }

    /// <summary>The model to draw (<see cref="ArchitectureDiagram"/>); null: no drawing.</summary>
    public ModelArchitecture? Architecture { get; init; }

    /// <summary>A comparison with single-task training to show as a table; null: none.</summary>
    public SingleTaskComparison? Comparison { get; init; }
}

/// <summary>
/// A self-contained <c>report.html</c> (inline SVG, no scripts, no external files): a summary with
/// the best epoch, the model's architecture (<see cref="ArchitectureDiagram"/>), the run's settings, the comparison with single-task training when one was run,
/// then line charts over the epochs — training and validation loss per task, one chart per
/// validation metric of each task (each on its own axis), each mixture of experts' mean gate
/// weight per task and expert, task weights and learning rates — for <c>regularize mtrl</c> the last
/// task covariance Ω as a matrix (<see cref="RelationMatrix"/>), with relatedness measured a
/// task × task heatmap of gradient cosines and per-pair curves, and the validation values of the
/// best and last epochs. Each series carries its values in <c>data-values</c>; every chart marks
/// where each stage starts (dashed, <c>data-stage</c>) and the best epoch of the run or of each
/// stage by the early-stopping monitor (dotted, <c>data-best</c>): the epoch whose weights are kept.
/// </summary>
public static class TrainingReport
{
    private const int MetricWidth = 380, MetricHeight = 220;

    public static void Write(string path, IReadOnlyList<EpochRecord> history, string title = "Mtl training report", ReportContent? content = null)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllText(path, Render(history, title, content));
    }

    public static string Render(IReadOnlyList<EpochRecord> history, string title = "Mtl training report", ReportContent? content = null)
    {
        content ??= new ReportContent();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title>\n<style>")
            .Append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1240px}h1{font-size:20px}h2{font-size:16px;margin-top:28px}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}svg{background:#fff;border:1px solid #ddd}")
            .Append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td.name,th.name{text-align:left}")
            .Append("td.positive{background:#e5f5e0}td.negative{background:#fde0dd}td.noise{color:#777}</style></head><body>\n");
        html.Append("<h1>").Append(Encode(title)).Append("</h1>\n");
        if (history.Count == 0)
        {
            html.Append("<p>No epoch has completed yet.</p>\n");
            Architecture(html, content.Architecture);
            Settings(html, content.Settings);
            if (content.Comparison is { } early) Comparison(html, early);
            html.Append("</body></html>\n");
            return html.ToString();
        }
        var last = history[^1];
        var seconds = history.Sum(r => r.Seconds);
        html.Append("<p>").Append(history.Count).Append(history.Count == 1 ? " epoch, " : " epochs, ").Append(last.Step).Append(" steps, ")
            .Append(Duration(seconds)).Append(" (").Append(Duration(seconds / history.Count)).Append(" an epoch).</p>\n");
        var stages = StageStarts(history);
        if (stages.Count > 0)
        {
            html.Append("<p>Stages: ");
            for (var s = 0; s < stages.Count; s++)
            {
                var (start, name) = stages[s];
                var end = s + 1 < stages.Count ? stages[s + 1].Index - 1 : history.Count - 1;
                html.Append(s == 0 ? "" : ", ").Append("<span data-stage=\"").Append(Encode(name)).Append("\">").Append(Encode(name)).Append(" (epochs ")
                    .Append(history[start].Epoch).Append('–').Append(history[end].Epoch).Append(")</span>");
            }
            html.Append(".</p>\n");
        }
        var best = BestEpochs(history);
        if (best.Count > 0) BestSummary(html, history, best, content);

        Architecture(html, content.Architecture);
        Settings(html, content.Settings);
        if (content.Comparison is { } comparison) Comparison(html, comparison);

        var epochs = history.Select(r => r.Epoch).ToList();
        var marks = stages.Select(s => new EpochMark(s.Index, MarkKind.Stage, s.Name)).Concat(best.Select(b => new EpochMark(b, MarkKind.Best, "best"))).ToList();
        string Chart(string chartTitle, string unit, IEnumerable<(string Name, Func<EpochRecord, double> Value)> series, int width = 560, int height = 260) =>
            LineChart.Render(chartTitle, unit, epochs, series.Select(s => new ChartSeries(s.Name, history.Select(s.Value).ToList())).ToList(), marks, width, height);

        var tasks = last.TaskLosses.Keys.Union(last.Weights.Keys).ToList();
        html.Append("<h2>Losses</h2><div class=\"charts\">\n");
        html.Append(Chart("Training loss per task", "loss", tasks.Select(t => (t, (Func<EpochRecord, double>)(r => Get(r.TaskLosses, t))))));
        html.Append(Chart("Total training loss", "loss", [("total", r => r.TrainLoss)]));
        var validationLosses = last.Validation.Keys.Where(k => k.EndsWith(".loss", StringComparison.Ordinal)).ToList();
        if (validationLosses.Count > 0)
        {
            html.Append(Chart("Validation loss per task", "loss", validationLosses.Select(k => (k[..^".loss".Length], (Func<EpochRecord, double>)(r => Get(r.Validation, k))))));
        }
        html.Append("</div>\n");

        var metricKeys = last.Validation.Keys.Where(k => k.Contains('.') && !k.EndsWith(".loss", StringComparison.Ordinal)).ToList();
        if (metricKeys.Count > 0)
        {
            html.Append("<h2>Validation metrics</h2><div class=\"charts\">\n");
            foreach (var key in metricKeys)
            {
                var (task, metric) = (key[..key.IndexOf('.')], key[(key.IndexOf('.') + 1)..]);
                html.Append(Chart($"{task} · {metric}", metric, [(metric, r => Get(r.Validation, key))], MetricWidth, MetricHeight));
            }
            html.Append("</div>\n");
        }

        if (last.Gates is { Count: > 0 } gates)
        {
            html.Append("<h2>Gate weights</h2><div class=\"charts\">\n");
            foreach (var (block, perTask) in gates)
            {
                foreach (var (task, experts) in perTask)
                {
                    html.Append(Chart($"Gates of {block} for {task}", "mean weight", Enumerable.Range(0, experts.Count)
                        .Select(e => ($"expert {e}", (Func<EpochRecord, double>)(r => GateWeight(r, block, task, e))))));
                }
            }
            html.Append("</div>\n");
        }

        if (last.Omega is { } omega) html.Append(RelationMatrix.Render(last.Weights.Keys.ToList(), omega, last.Epoch));

        if (history.LastOrDefault(r => r.Relatedness is not null) is { Relatedness: { } related } measured)
        {
            html.Append("<h2>Task relatedness</h2><p>Gradients of the shared parameters, from ").Append(related.Samples)
                .Append(" sampled steps of epoch ").Append(measured.Epoch).Append(": cosine between tasks (negative: conflict), norm ratio, and each task's share of the applied update.</p><div class=\"charts\">\n");
            html.Append(CosineHeatmap.Render($"Gradient cosine, epoch {measured.Epoch}", tasks, related));
            var pairs = tasks.SelectMany((a, i) => tasks.Skip(i + 1).Select(b => (a, b))).ToList();
            html.Append(Chart("Gradient cosine per task pair", "cosine", pairs.Select(p => ($"{p.a}–{p.b}", (Func<EpochRecord, double>)(r => r.Relatedness?.CosineOf(p.a, p.b) ?? double.NaN)))));
            html.Append(Chart("Gradient norm ratio per task pair", "norm ratio", pairs.Select(p => ($"{p.a}/{p.b}", (Func<EpochRecord, double>)(r => r.Relatedness is { } x ? Pair(x.NormRatio, p.a, p.b) : double.NaN)))));
            html.Append(Chart("Share of the shared update", "share", tasks.Select(t => (t, (Func<EpochRecord, double>)(r => r.Relatedness is { } x ? Get(x.Share, t) : double.NaN)))));
            html.Append("</div>\n");
        }

        html.Append("<h2>Task weights and learning rate</h2><div class=\"charts\">\n");
        html.Append(Chart("Task weights", "weight", last.Weights.Keys.Select(t => (t, (Func<EpochRecord, double>)(r => Get(r.Weights, t))))));
        html.Append(Chart("Learning rate", "lr", Enumerable.Range(0, last.LearningRates.Count)
            .Select(g => ($"group {g + 1}", (Func<EpochRecord, double>)(r => g < r.LearningRates.Count ? r.LearningRates[g] : double.NaN)))));
        html.Append("</div>\n");

        ValidationTable(html, history, best.Count > 0 ? history[best[^1]] : null);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    /// <summary>
    /// The position of the epoch whose weights early stopping keeps, in the run or in each stage:
    /// the last epoch marked <see cref="EpochRecord.Best"/> of each; none without early stopping.
    /// </summary>
    internal static IReadOnlyList<int> BestEpochs(IReadOnlyList<EpochRecord> history)
    {
        var best = new List<int>();
        var found = -1;
        for (var i = 0; i < history.Count; i++)
        {
            if (i > 0 && history[i].Stage != history[i - 1].Stage && found >= 0)
            {
                best.Add(found);
                found = -1;
            }
            if (history[i].Best) found = i;
        }
        if (found >= 0) best.Add(found);
        return best;
    }

    private static void BestSummary(StringBuilder html, IReadOnlyList<EpochRecord> history, IReadOnlyList<int> best, ReportContent content)
    {
        string Value(EpochRecord r) => content.Monitor is { } m && r.Validation.TryGetValue(m, out var v) ? $" ({Encode(m)} = {ReportText.Value(v)})" : "";
        html.Append("<p data-best-epochs=\"").Append(string.Join(" ", best.Select(i => history[i].Epoch))).Append("\">");
        if (best.Count == 1 && history[best[0]].Stage is null)
        {
            html.Append("Best epoch ").Append(history[best[0]].Epoch).Append(Value(history[best[0]]));
        }
        else
        {
            html.Append("Best epoch of each stage: ").Append(string.Join(", ", best.Select(i => $"{Encode(history[i].Stage ?? "")} {history[i].Epoch}{Value(history[i])}")));
        }
        html.Append(content.RestoresBest ? "; its weights are restored when training ends" : "").Append(".</p>\n");
    }

    private static void Architecture(StringBuilder html, ModelArchitecture? architecture)
    {
        if (architecture is null) return;
        html.Append("<h2>Architecture</h2>\n").Append(ArchitectureDiagram.Render(architecture));
    }

    private static void Settings(StringBuilder html, IReadOnlyList<RunSetting> settings)
    {
        if (settings.Count == 0) return;
        html.Append("<h2>Settings</h2><table data-table=\"settings\">\n");
        foreach (var setting in settings)
        {
            html.Append("<tr><th class=\"name\">").Append(Encode(setting.Name)).Append("</th><td class=\"name\" data-setting=\"").Append(Encode(setting.Name)).Append("\">")
                .Append(Encode(setting.Value)).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
    }

    /// <summary>The table of <see cref="SingleTaskComparison.ToTable"/>, with the transfer coloured.</summary>
    private static void Comparison(StringBuilder html, SingleTaskComparison comparison)
    {
        html.Append("<h2>Multi-task vs single-task</h2>\n<p>The same architecture trained on each task alone, from the same seeds (")
            .Append(string.Join(", ", comparison.Seeds)).Append("): mean ± sample standard deviation over the seeds; difference = multi-task − single-task; ")
            .Append(comparison.Runs.Count).Append(" runs, ").Append(comparison.Steps).Append(" steps, ").Append(Duration(comparison.Seconds)).Append(".</p>\n");
        html.Append("<table data-table=\"comparison\"><tr><th class=\"name\">task</th><th class=\"name\">metric</th><th>multi-task</th><th>single-task</th><th>difference</th><th class=\"name\">transfer</th></tr>\n");
        foreach (var m in comparison.Metrics)
        {
            var style = m.Transfer switch { "positive" => "positive", "negative" => "negative", "within noise" => "noise", _ => "" };
            html.Append("<tr data-task=\"").Append(Encode(m.Task)).Append("\" data-metric=\"").Append(Encode(m.Metric)).Append("\" data-difference=\"").Append(Number(m.Difference)).Append("\">")
                .Append("<td class=\"name\">").Append(Encode(m.Task)).Append("</td><td class=\"name\">").Append(Encode(m.Metric)).Append(m.Maximize ? " ↑" : " ↓").Append("</td>")
                .Append("<td>").Append(SingleTaskComparison.MeanSpread(m.MultiTaskMean, m.MultiTaskSpread, signed: false)).Append("</td>")
                .Append("<td>").Append(SingleTaskComparison.MeanSpread(m.SingleTaskMean, m.SingleTaskSpread, signed: false)).Append("</td>")
                .Append("<td>").Append(SingleTaskComparison.MeanSpread(m.Difference, m.DifferenceSpread, signed: true)).Append("</td>")
                .Append("<td class=\"name ").Append(style).Append("\">").Append(Encode(m.Transfer)).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
    }

    /// <summary>Every validation value at the last epoch, and at the best one when that is another.</summary>
    private static void ValidationTable(StringBuilder html, IReadOnlyList<EpochRecord> history, EpochRecord? best)
    {
        var last = history[^1];
        var columns = best is null || best.Epoch == last.Epoch ? [last] : new[] { best, last };
        html.Append("<h2>Validation</h2><table data-table=\"validation\"><tr><th class=\"name\">value</th>");
        foreach (var c in columns) html.Append("<th>").Append(c == best ? "best epoch " : "epoch ").Append(c.Epoch).Append("</th>");
        html.Append("</tr>\n");
        foreach (var key in last.Validation.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            html.Append("<tr><td class=\"name\">").Append(Encode(key)).Append("</td>");
            foreach (var c in columns) html.Append("<td data-epoch=\"").Append(c.Epoch).Append("\">").Append(Value(Get(c.Validation, key))).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n");
    }

    private static double Get(IReadOnlyDictionary<string, double> values, string key) => values.TryGetValue(key, out var v) ? v : double.NaN;

    private static double Pair(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> pairs, string a, string b) =>
        pairs.TryGetValue(a, out var row) && row.TryGetValue(b, out var v) ? v : double.NaN;

    private static double GateWeight(EpochRecord record, string block, string task, int expert) =>
        record.Gates is { } gates && gates.TryGetValue(block, out var tasks) && tasks.TryGetValue(task, out var experts) && expert < experts.Count
            ? experts[expert]
            : double.NaN;

    /// <summary>The position in the history of each stage's first epoch, with its name; none for a run without stages.</summary>
    private static List<(int Index, string Name)> StageStarts(IReadOnlyList<EpochRecord> history) =>
        history.Select((r, i) => (i, r.Stage)).Where(p => p.Stage is not null && (p.i == 0 || history[p.i - 1].Stage != p.Stage)).Select(p => (p.i, p.Stage!)).ToList();

}
