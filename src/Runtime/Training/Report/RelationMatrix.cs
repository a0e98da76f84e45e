using System.Globalization;
using static Mtl.Training.ReportText;
using System.Text;

namespace Mtl.Training;

/// <summary>
/// The task covariance Ω of <c>regularize mtrl</c> in <c>report.html</c>: the last epoch's Ω as an
/// inline SVG matrix, one square per pair of tasks shaded by its correlation Ωᵢⱼ/√(ΩᵢᵢΩⱼⱼ) (blue
/// positive, red negative) and labelled with Ωᵢⱼ; each square carries <c>data-row</c>,
/// <c>data-column</c> and <c>data-value</c> (Ωᵢⱼ, round-trip precision).
/// </summary>
internal static class RelationMatrix
{
    private const int Cell = 56, Margin = 90;

    public static string Render(IReadOnlyList<string> tasks, IReadOnlyList<IReadOnlyList<double>> omega, int epoch)
    {
        var n = omega.Count;
        string Name(int i) => i < tasks.Count ? tasks[i] : $"task {i + 1}";
        var size = Margin + n * Cell + 8;
        var svg = new StringBuilder();
        svg.Append("<h2>Task relations</h2>\n<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(size).Append("\" height=\"").Append(size)
            .Append("\" role=\"img\" aria-label=\"task covariance\" data-omega-epoch=\"").Append(epoch).Append("\">\n");
        for (var i = 0; i < n; i++)
        {
            svg.Append("<text x=\"").Append(Margin - 6).Append("\" y=\"").Append(Margin + i * Cell + Cell / 2 + 4).Append("\" font-size=\"12\" text-anchor=\"end\">")
                .Append(Encode(Name(i))).Append("</text>\n");
            svg.Append("<text x=\"").Append(Margin + i * Cell + Cell / 2).Append("\" y=\"").Append(Margin - 6).Append("\" font-size=\"12\" text-anchor=\"middle\">")
                .Append(Encode(Name(i))).Append("</text>\n");
        }
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var value = omega[i][j];
                var scale = Math.Sqrt(Math.Abs(omega[i][i] * omega[j][j]));
                var correlation = scale > 0 ? Math.Clamp(value / scale, -1, 1) : 0;
                var x = Margin + j * Cell;
                var y = Margin + i * Cell;
                svg.Append("<rect x=\"").Append(x).Append("\" y=\"").Append(y).Append("\" width=\"").Append(Cell).Append("\" height=\"").Append(Cell)
                    .Append("\" fill=\"").Append(Shade(correlation)).Append("\" stroke=\"#fff\" data-row=\"").Append(Encode(Name(i)))
                    .Append("\" data-column=\"").Append(Encode(Name(j))).Append("\" data-value=\"").Append(value.ToString("R", CultureInfo.InvariantCulture)).Append("\"/>\n");
                svg.Append("<text x=\"").Append(x + Cell / 2).Append("\" y=\"").Append(y + Cell / 2 + 4).Append("\" font-size=\"11\" text-anchor=\"middle\" fill=\"")
                    .Append(Math.Abs(correlation) > 0.6 ? "#fff" : "#222").Append("\">").Append(value.ToString("0.###", CultureInfo.InvariantCulture)).Append("</text>\n");
            }
        }
        svg.Append("</svg><figcaption>Ω after epoch ").Append(epoch)
            .Append(": the task covariance of mtrl, shaded by correlation (blue positive, red negative).</figcaption></figure>\n");
        return svg.ToString();
    }

    /// <summary>White at 0, blue towards +1, red towards −1.</summary>
    private static string Shade(double correlation)
    {
        var t = Math.Abs(correlation);
        var (r, g, b) = correlation >= 0 ? (31, 119, 180) : (214, 39, 40);
        int Mix(int c) => (int)Math.Round(255 + (c - 255) * t);
        return string.Create(CultureInfo.InvariantCulture, $"#{Mix(r):x2}{Mix(g):x2}{Mix(b):x2}");
    }
}
