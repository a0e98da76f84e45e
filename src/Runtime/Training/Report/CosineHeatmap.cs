using System.Globalization;
using System.Text;
using static Mtl.Training.ReportText;

namespace Mtl.Training;

/// <summary>report.html's task × task heatmap of gradient cosines (see <see cref="TaskRelatedness"/>).</summary>
internal static class CosineHeatmap
{
    /// <summary>
    /// A task × task grid of mean gradient cosines, blue for +1 through white for 0 to red for −1
    /// (grey: not measured); each cell carries <c>data-row</c>, <c>data-column</c> and <c>data-cosine</c>.
    /// </summary>
    public static string Render(string title, IReadOnlyList<string> tasks, TaskRelatedness related)
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

}
