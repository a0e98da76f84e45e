using System.Globalization;
using System.Net;
using System.Text;

namespace Mtl.Training;

/// <summary>
/// A self-contained <c>report.html</c>: per-task training loss, validation metrics, task weights
/// and learning rate over the epochs, and for a model with mixtures of experts each task's mean gate
/// weight per expert (one chart per block and task), for <c>regularize mtrl</c> the last task covariance Ω as a matrix (<see cref="RelationMatrix"/>), and with relatedness measured a task × task
/// heatmap of gradient cosines (the last measured epoch) with per-pair curves, as inline SVG line charts (no scripts, no external files).
/// Each plotted series carries its values in a <c>data-values</c> attribute. In a run with stages
/// a list gives each stage's epochs, and every chart marks where each stage starts with a dashed
/// line (<c>data-stage</c>) labelled with its name.
/// </summary>
public static class TrainingReport
{
    private const int Width = 560, Height = 260, Left = 64, Right = 130, Top = 28, Bottom = 36;
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static void Write(string path, IReadOnlyList<EpochRecord> history, string title = "Mtl training report")
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllText(path, Render(history, title));
    }

    public static string Render(IReadOnlyList<EpochRecord> history, string title = "Mtl training report")
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title>\n<style>")
            .Append("body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}svg{background:#fff;border:1px solid #ddd}")
            .Append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}</style></head><body>\n");
        html.Append("<h1>").Append(Encode(title)).Append("</h1>\n");
        if (history.Count == 0)
        {
            html.Append("<p>No epoch has completed yet.</p></body></html>\n");
            return html.ToString();
        }
        var last = history[^1];
        html.Append("<p>").Append(history.Count).Append(" epochs, ").Append(last.Step).Append(" steps, ")
            .Append(Number(history.Sum(r => r.Seconds))).Append(" s.</p>\n");
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

        var tasks = last.TaskLosses.Keys.ToList();
        html.Append("<h2>Losses</h2><div class=\"charts\">\n");
        html.Append(Chart("Training loss per task", "loss", history, tasks.Select(t => (t, (Func<EpochRecord, double>)(r => Get(r.TaskLosses, t)))).ToList()));
        html.Append(Chart("Total training loss", "loss", history, [("total", r => r.TrainLoss)]));
        var validationLosses = last.Validation.Keys.Where(k => k.EndsWith(".loss", StringComparison.Ordinal)).ToList();
        if (validationLosses.Count > 0)
        {
            html.Append(Chart("Validation loss per task", "loss", history, validationLosses.Select(k => (k, (Func<EpochRecord, double>)(r => Get(r.Validation, k)))).ToList()));
        }
        html.Append("</div>\n");

        var metricKeys = last.Validation.Keys.Where(k => k.Contains('.') && !k.EndsWith(".loss", StringComparison.Ordinal)).ToList();
        if (metricKeys.Count > 0)
        {
            html.Append("<h2>Validation metrics</h2><div class=\"charts\">\n");
            foreach (var group in metricKeys.GroupBy(k => k[..k.IndexOf('.')]))
            {
                html.Append(Chart($"Task {group.Key}", "metric", history, group.Select(k => (k[(k.IndexOf('.') + 1)..], (Func<EpochRecord, double>)(r => Get(r.Validation, k)))).ToList()));
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
                    html.Append(Chart($"Gates of {block} for {task}", "mean weight", history, Enumerable.Range(0, experts.Count)
                        .Select(e => ($"expert {e}", (Func<EpochRecord, double>)(r => GateWeight(r, block, task, e)))).ToList()));
                }
            }
            html.Append("</div>\n");
        }

        if (last.Omega is { } omega) html.Append(RelationMatrix.Render(last.Weights.Keys.ToList(), omega, last.Epoch));

        if (history.LastOrDefault(r => r.Relatedness is not null) is { Relatedness: { } related } measured)
        {
            html.Append("<h2>Task relatedness</h2><p>Gradients of the shared parameters, from ").Append(related.Samples)
                .Append(" sampled steps of epoch ").Append(measured.Epoch).Append(": cosine between tasks (negative: conflict), norm ratio, and each task's share of the applied update.</p><div class=\"charts\">\n");
            html.Append(Heatmap($"Gradient cosine, epoch {measured.Epoch}", tasks, related));
            var pairs = tasks.SelectMany((a, i) => tasks.Skip(i + 1).Select(b => (a, b))).ToList();
            html.Append(Chart("Gradient cosine per task pair", "cosine", history, pairs.Select(p => ($"{p.a}–{p.b}", (Func<EpochRecord, double>)(r => r.Relatedness?.CosineOf(p.a, p.b) ?? double.NaN))).ToList()));
            html.Append(Chart("Gradient norm ratio per task pair", "norm ratio", history, pairs.Select(p => ($"{p.a}/{p.b}", (Func<EpochRecord, double>)(r => r.Relatedness is { } x ? Pair(x.NormRatio, p.a, p.b) : double.NaN))).ToList()));
            html.Append(Chart("Share of the shared update", "share", history, tasks.Select(t => (t, (Func<EpochRecord, double>)(r => r.Relatedness is { } x ? Get(x.Share, t) : double.NaN))).ToList()));
            html.Append("</div>\n");
        }

        html.Append("<h2>Task weights and learning rate</h2><div class=\"charts\">\n");
        html.Append(Chart("Task weights", "weight", history, tasks.Select(t => (t, (Func<EpochRecord, double>)(r => Get(r.Weights, t)))).ToList()));
        html.Append(Chart("Learning rate", "lr", history, Enumerable.Range(0, last.LearningRates.Count)
            .Select(g => ($"group {g}", (Func<EpochRecord, double>)(r => g < r.LearningRates.Count ? r.LearningRates[g] : double.NaN))).ToList()));
        html.Append("</div>\n");

        html.Append("<h2>Last epoch</h2><table><tr><th>value</th><th>").Append(last.Epoch).Append("</th></tr>\n");
        foreach (var (key, value) in last.Validation.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            html.Append("<tr><td style=\"text-align:left\">").Append(Encode(key)).Append("</td><td>").Append(Number(value)).Append("</td></tr>\n");
        }
        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }

    private static double Get(IReadOnlyDictionary<string, double> values, string key) => values.TryGetValue(key, out var v) ? v : double.NaN;

    private static double Pair(IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> pairs, string a, string b) =>
        pairs.TryGetValue(a, out var row) && row.TryGetValue(b, out var v) ? v : double.NaN;

    /// <summary>
    /// A task × task grid of mean gradient cosines, blue for +1 through white for 0 to red for −1
    /// (grey: not measured); each cell carries <c>data-row</c>, <c>data-column</c> and <c>data-cosine</c>.
    /// </summary>
    private static string Heatmap(string title, IReadOnlyList<string> tasks, TaskRelatedness related)
    {
        const int cell = 44, left = 110, top = 40;
        var size = Math.Max(cell * tasks.Count, 120);
        var (width, height) = (left + size + 70, top + size + 20);
        var svg = new StringBuilder();
        svg.Append("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(width).Append("\" height=\"").Append(height)
            .Append("\" role=\"img\" aria-label=\"").Append(Encode(title)).Append("\" data-chart=\"").Append(Encode(title)).Append("\" data-heatmap=\"cosine\">\n");
        svg.Append("<text x=\"").Append(left).Append("\" y=\"18\" font-size=\"13\" font-weight=\"bold\">").Append(Encode(title)).Append("</text>\n");
        for (var i = 0; i < tasks.Count; i++)
        {
            svg.Append("<text x=\"").Append(left - 6).Append("\" y=\"").Append(top + cell * i + cell / 2 + 4).Append("\" font-size=\"11\" text-anchor=\"end\">").Append(Encode(tasks[i])).Append("</text>\n");
            svg.Append("<text x=\"").Append(left + cell * i + cell / 2).Append("\" y=\"").Append(top - 6).Append("\" font-size=\"11\" text-anchor=\"middle\">").Append(Encode(tasks[i])).Append("</text>\n");
            for (var j = 0; j < tasks.Count; j++)
            {
                var value = related.CosineOf(tasks[i], tasks[j]);
                svg.Append("<rect x=\"").Append(left + cell * j).Append("\" y=\"").Append(top + cell * i).Append("\" width=\"").Append(cell).Append("\" height=\"").Append(cell)
                    .Append("\" fill=\"").Append(Diverging(value)).Append("\" stroke=\"#fff\" data-row=\"").Append(Encode(tasks[i])).Append("\" data-column=\"").Append(Encode(tasks[j]))
                    .Append("\" data-cosine=\"").Append(Number(value)).Append("\"/>");
                svg.Append("<text x=\"").Append(left + cell * j + cell / 2).Append("\" y=\"").Append(top + cell * i + cell / 2 + 4).Append("\" font-size=\"10\" text-anchor=\"middle\">")
                    .Append(double.IsNaN(value) ? "–" : value.ToString("0.00", CultureInfo.InvariantCulture)).Append("</text>\n");
            }
        }
        var legendX = left + cell * tasks.Count + 16;
        foreach (var (label, v, y) in new[] { ("+1", 1.0, top), ("0", 0.0, top + 24), ("−1", -1.0, top + 48) })
        {
            svg.Append("<rect x=\"").Append(legendX).Append("\" y=\"").Append(y).Append("\" width=\"12\" height=\"12\" fill=\"").Append(Diverging(v)).Append("\" stroke=\"#999\"/>");
            svg.Append("<text x=\"").Append(legendX + 16).Append("\" y=\"").Append(y + 10).Append("\" font-size=\"10\">").Append(label).Append("</text>\n");
        }
        svg.Append("</svg></figure>\n");
        return svg.ToString();
    }

    /// <summary>White at 0, toward blue (#2166ac) at +1 and red (#b2182b) at −1; grey for NaN.</summary>
    private static string Diverging(double value)
    {
        if (double.IsNaN(value)) return "#cccccc";
        var t = Math.Clamp(Math.Abs(value), 0, 1);
        var (r, g, b) = value >= 0 ? (0x21, 0x66, 0xac) : (0xb2, 0x18, 0x2b);
        int Mix(int c) => (int)Math.Round(255 + (c - 255) * t);
        return $"#{Mix(r):x2}{Mix(g):x2}{Mix(b):x2}";
    }

    private static double GateWeight(EpochRecord record, string block, string task, int expert) =>
        record.Gates is { } gates && gates.TryGetValue(block, out var tasks) && tasks.TryGetValue(task, out var experts) && expert < experts.Count
            ? experts[expert]
            : double.NaN;

    /// <summary>The position in the history of each stage's first epoch, with its name; none for a run without stages.</summary>
    private static List<(int Index, string Name)> StageStarts(IReadOnlyList<EpochRecord> history) =>
        history.Select((r, i) => (i, r.Stage)).Where(p => p.Stage is not null && (p.i == 0 || history[p.i - 1].Stage != p.Stage)).Select(p => (p.i, p.Stage!)).ToList();

    private static string Chart(string title, string unit, IReadOnlyList<EpochRecord> history, IReadOnlyList<(string name, Func<EpochRecord, double> value)> series)
    {
        var values = series.Select(s => history.Select(s.value).ToArray()).ToList();
        var finite = values.SelectMany(v => v).Where(double.IsFinite).ToList();
        var (low, high) = finite.Count == 0 ? (0.0, 1.0) : (finite.Min(), finite.Max());
        if (high - low < 1e-12 * Math.Max(1, Math.Abs(high))) (low, high) = (low - 0.5 * Math.Max(1e-12, Math.Abs(low)), high + 0.5 * Math.Max(1e-12, Math.Abs(high)));
        var plotWidth = Width - Left - Right;
        var plotHeight = Height - Top - Bottom;
        double X(int i) => Left + (history.Count == 1 ? plotWidth / 2.0 : plotWidth * i / (double)(history.Count - 1));
        double Y(double v) => Top + plotHeight * (1 - (v - low) / (high - low));

        var svg = new StringBuilder();
        svg.Append("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(Width).Append("\" height=\"").Append(Height)
            .Append("\" role=\"img\" aria-label=\"").Append(Encode(title)).Append("\" data-chart=\"").Append(Encode(title)).Append("\">\n");
        svg.Append("<text x=\"").Append(Left).Append("\" y=\"18\" font-size=\"13\" font-weight=\"bold\">").Append(Encode(title)).Append("</text>\n");
        svg.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Top + plotHeight).Append("\" x2=\"").Append(Left + plotWidth).Append("\" y2=\"").Append(Top + plotHeight).Append("\" stroke=\"#999\"/>\n");
        svg.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(Left).Append("\" y2=\"").Append(Top + plotHeight).Append("\" stroke=\"#999\"/>\n");
        foreach (var tick in new[] { low, (low + high) / 2, high })
        {
            svg.Append("<text x=\"").Append(Left - 4).Append("\" y=\"").Append(Number(Y(tick) + 4)).Append("\" font-size=\"10\" text-anchor=\"end\">").Append(tick.ToString("G3", CultureInfo.InvariantCulture)).Append("</text>\n");
        }
        svg.Append("<text x=\"").Append(Left).Append("\" y=\"").Append(Height - 8).Append("\" font-size=\"10\">epoch ").Append(history[0].Epoch).Append("</text>\n");
        svg.Append("<text x=\"").Append(Left + plotWidth).Append("\" y=\"").Append(Height - 8).Append("\" font-size=\"10\" text-anchor=\"end\">epoch ").Append(history[^1].Epoch).Append("</text>\n");
        svg.Append("<text x=\"10\" y=\"").Append(Top + plotHeight / 2).Append("\" font-size=\"10\" text-anchor=\"middle\" transform=\"rotate(-90 10 ").Append(Top + plotHeight / 2).Append(")\">").Append(Encode(unit)).Append("</text>\n");
        foreach (var (start, name) in StageStarts(history))
        {
            var x = Number(X(start));
            svg.Append("<line x1=\"").Append(x).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(x).Append("\" y2=\"").Append(Top + plotHeight)
                .Append("\" stroke=\"#888\" stroke-dasharray=\"4 3\" data-stage=\"").Append(Encode(name)).Append("\" data-epoch=\"").Append(history[start].Epoch).Append("\"/>");
            svg.Append("<text x=\"").Append(x).Append("\" y=\"").Append(Top - 2).Append("\" font-size=\"10\" fill=\"#555\">").Append(Encode(name)).Append("</text>\n");
        }
        for (var s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var points = string.Join(" ", values[s].Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v)).Select(p => $"{Number(X(p.i))},{Number(Y(p.v))}"));
            svg.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append("\" stroke-width=\"2\" data-series=\"").Append(Encode(series[s].name))
                .Append("\" data-values=\"").Append(string.Join(" ", values[s].Select(Number))).Append("\" points=\"").Append(points).Append("\"/>\n");
            var legendY = Top + 14 * s + 6;
            svg.Append("<rect x=\"").Append(Left + plotWidth + 10).Append("\" y=\"").Append(legendY - 8).Append("\" width=\"10\" height=\"10\" fill=\"").Append(color).Append("\"/>");
            svg.Append("<text x=\"").Append(Left + plotWidth + 24).Append("\" y=\"").Append(legendY + 1).Append("\" font-size=\"11\">").Append(Encode(series[s].name)).Append("</text>\n");
        }
        svg.Append("</svg></figure>\n");
        return svg.ToString();
    }

    private static string Number(double value) => double.IsNaN(value) ? "NaN" : value.ToString("0.######", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
