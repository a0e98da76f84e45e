using System.Globalization;
using System.Text;
using static Mtl.Training.ReportText;

namespace Mtl.Training;

/// <summary>One plotted line: its name and a value per epoch (NaN: none that epoch).</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<double> Values);

/// <summary>Where a marked epoch is drawn: a stage's first epoch, or a best epoch (the one whose weights early stopping keeps).</summary>
internal enum MarkKind
{
    Stage,
    Best,
}

/// <summary>A vertical line at the epoch at <see cref="Index"/> in the history.</summary>
internal sealed record EpochMark(int Index, MarkKind Kind, string Label);

/// <summary>
/// An inline SVG line chart over the epochs: a y axis with round ticks and grid lines, epochs on
/// the x axis, one polyline per series (with a dot per value when there are few epochs), a legend
/// when there is more than one series, and marked epochs (stages dashed, best epochs dotted green).
/// Each series carries its values in <c>data-values</c>; a mark carries <c>data-stage</c> or
/// <c>data-best</c> and <c>data-epoch</c>.
/// </summary>
internal static class LineChart
{
    private const int Top = 30, Bottom = 36, Left = 62;
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
    private const string BestColor = "#1a9850";

    public static string Render(string title, string unit, IReadOnlyList<int> epochs, IReadOnlyList<ChartSeries> series, IReadOnlyList<EpochMark> marks, int width = 560, int height = 260)
    {
        var legend = series.Count > 1 ? Math.Clamp(series.Max(s => s.Name.Length) * 7 + 30, 60, 180) : 16;
        var plotWidth = width - Left - legend;
        var plotHeight = height - Top - Bottom;
        var finite = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        var (low, high, step) = Axis(finite);
        double X(int i) => Left + (epochs.Count <= 1 ? plotWidth / 2.0 : plotWidth * i / (double)(epochs.Count - 1));
        double Y(double v) => Top + plotHeight * (1 - (v - low) / (high - low));

        var svg = new StringBuilder();
        svg.Append("<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(width).Append("\" height=\"").Append(height)
            .Append("\" role=\"img\" aria-label=\"").Append(Encode(title)).Append("\" data-chart=\"").Append(Encode(title)).Append("\">\n");
        svg.Append("<text x=\"").Append(Left).Append("\" y=\"16\" font-size=\"13\" font-weight=\"bold\">").Append(Encode(title)).Append("</text>\n");
        for (var k = 0; low + k * step <= high + step * 1e-9; k++)
        {
            var tick = low + k * step;
            var y = Number(Y(tick));
            svg.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(y).Append("\" x2=\"").Append(Left + plotWidth).Append("\" y2=\"").Append(y).Append("\" stroke=\"#eee\"/>");
            svg.Append("<text x=\"").Append(Left - 4).Append("\" y=\"").Append(Number(Y(tick) + 4)).Append("\" font-size=\"10\" text-anchor=\"end\" data-tick=\"y\">").Append(Tick(tick, step)).Append("</text>\n");
        }
        svg.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Top + plotHeight).Append("\" x2=\"").Append(Left + plotWidth).Append("\" y2=\"").Append(Top + plotHeight).Append("\" stroke=\"#999\"/>\n");
        svg.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(Left).Append("\" y2=\"").Append(Top + plotHeight).Append("\" stroke=\"#999\"/>\n");
        foreach (var i in EpochTicks(epochs))
        {
            svg.Append("<text x=\"").Append(Number(X(i))).Append("\" y=\"").Append(Top + plotHeight + 14).Append("\" font-size=\"10\" text-anchor=\"middle\" data-tick=\"x\">").Append(epochs[i]).Append("</text>\n");
        }
        svg.Append("<text x=\"").Append(Left + plotWidth / 2).Append("\" y=\"").Append(height - 6).Append("\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">epoch</text>\n");
        svg.Append("<text x=\"12\" y=\"").Append(Top + plotHeight / 2).Append("\" font-size=\"10\" fill=\"#555\" text-anchor=\"middle\" transform=\"rotate(-90 12 ").Append(Top + plotHeight / 2).Append(")\">").Append(Encode(unit)).Append("</text>\n");
        foreach (var mark in marks)
        {
            var x = Number(X(mark.Index));
            var (stroke, dash, attribute) = mark.Kind == MarkKind.Stage ? ("#888", "4 3", "data-stage") : (BestColor, "1 3", "data-best");
            svg.Append("<line x1=\"").Append(x).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(x).Append("\" y2=\"").Append(Top + plotHeight)
                .Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"").Append(mark.Kind == MarkKind.Best ? 2 : 1).Append("\" stroke-dasharray=\"").Append(dash).Append("\" ")
                .Append(attribute).Append("=\"").Append(Encode(mark.Label)).Append("\" data-epoch=\"").Append(epochs[mark.Index]).Append("\"/>");
            var anchor = mark.Kind == MarkKind.Best ? "end" : "start";
            svg.Append("<text x=\"").Append(mark.Kind == MarkKind.Best ? Number(X(mark.Index) - 3) : Number(X(mark.Index) + 3)).Append("\" y=\"").Append(mark.Kind == MarkKind.Best ? Top + 10 : Top - 3)
                .Append("\" font-size=\"10\" text-anchor=\"").Append(anchor).Append("\" fill=\"").Append(mark.Kind == MarkKind.Best ? BestColor : "#555").Append("\">").Append(Encode(mark.Label)).Append("</text>\n");
        }
        for (var s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var drawn = series[s].Values.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v)).ToList();
            svg.Append("<polyline fill=\"none\" stroke=\"").Append(color).Append("\" stroke-width=\"2\" data-series=\"").Append(Encode(series[s].Name))
                .Append("\" data-values=\"").Append(string.Join(" ", series[s].Values.Select(Number))).Append("\" points=\"")
                .Append(string.Join(" ", drawn.Select(p => $"{Number(X(p.i))},{Number(Y(p.v))}"))).Append("\"/>\n");
            if (epochs.Count <= 40)
            {
                foreach (var (v, i) in drawn) svg.Append("<circle cx=\"").Append(Number(X(i))).Append("\" cy=\"").Append(Number(Y(v))).Append("\" r=\"2.5\" fill=\"").Append(color).Append("\"/>");
                svg.Append('\n');
            }
            if (series.Count > 1)
            {
                var legendY = Top + 16 * s + 6;
                svg.Append("<rect x=\"").Append(Left + plotWidth + 10).Append("\" y=\"").Append(legendY - 8).Append("\" width=\"10\" height=\"10\" fill=\"").Append(color).Append("\"/>");
                svg.Append("<text x=\"").Append(Left + plotWidth + 24).Append("\" y=\"").Append(legendY + 1).Append("\" font-size=\"11\">").Append(Encode(series[s].Name)).Append("</text>\n");
            }
        }
        svg.Append("</svg></figure>\n");
        return svg.ToString();
    }

    /// <summary>
    /// The y axis: from a round number at or below the smallest value to one at or above the
    /// largest, in steps of 1, 2 or 5 times a power of ten, about five ticks; a constant series gets
    /// a range around its value.
    /// </summary>
    internal static (double Low, double High, double Step) Axis(IReadOnlyList<double> values)
    {
        var (low, high) = values.Count == 0 ? (0.0, 1.0) : (values.Min(), values.Max());
        if (high - low <= 1e-12 * Math.Max(1, Math.Abs(high)))
        {
            var pad = Math.Abs(low) > 0 ? Math.Abs(low) * 0.1 : 1;
            (low, high) = (low - pad, high + pad);
        }
        var step = Round((high - low) / 4);
        return (Math.Floor(low / step) * step, Math.Ceiling(high / step) * step, step);
    }

    /// <summary>The round number (1, 2 or 5 times a power of ten) nearest above <paramref name="raw"/>.</summary>
    private static double Round(double raw)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var fraction = raw / power;
        // A raw step a rounding error above a round number (0.4000000000000001 / 4) keeps that number.
        const double slack = 1 + 1e-9;
        return (fraction <= slack ? 1 : fraction <= 2 * slack ? 2 : fraction <= 5 * slack ? 5 : 10) * power;
    }

    /// <summary>A tick label with as many decimals as the step needs (so 0.1 + 0.2 reads 0.3).</summary>
    private static string Tick(double value, double step)
    {
        var decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(step) + 1e-9), 0, 12);
        var rounded = Math.Round(value, decimals);
        if (rounded == 0) rounded = 0; // no "-0"
        return Math.Abs(step) < 1e-4 || Math.Abs(rounded) >= 1e6
            ? rounded.ToString("0.##e+0", CultureInfo.InvariantCulture)
            : rounded.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The positions in the history that get an epoch label: every one for a few epochs, else the
    /// first, the last, and the epochs that are multiples of a round step between them (about seven),
    /// leaving out one that would crowd the first or the last.
    /// </summary>
    private static IEnumerable<int> EpochTicks(IReadOnlyList<int> epochs)
    {
        if (epochs.Count <= 8)
        {
            for (var i = 0; i < epochs.Count; i++) yield return i;
            yield break;
        }
        var step = Math.Max(1, (int)Round((epochs[^1] - epochs[0]) / 7.0));
        yield return 0;
        for (var i = 1; i < epochs.Count - 1; i++)
        {
            if (epochs[i] % step == 0 && epochs[i] - epochs[0] >= step / 2.0 && epochs[^1] - epochs[i] >= step / 2.0) yield return i;
        }
        yield return epochs.Count - 1;
    }
}
