using System.Globalization;
using System.Text;
using Mtl.Catalog;
using static Mtl.Training.ReportText;

namespace Mtl.Training;

/// <summary>
/// The drawing of a <see cref="ModelArchitecture"/> for <c>report.html</c>: one inline SVG figure
/// (no scripts, no external files), laid out left to right in columns: inputs first, shared blocks
/// in the order they read each other, task heads after the blocks (a hierarchical task after the
/// task it reads). Each box shows the node's name, kind, output shape and parameter count
/// (<c>12,345</c>, or <c>1.2 M</c> from a million) and its layers in short; a mixture is a compound
/// box with its experts and gates inside. Arrows are solid for data, dashed for a task reading a
/// task, and dotted lines labelled with λ join tied blocks; a legend says which is which, and the
/// caption gives the model's total parameters.
/// </summary>
/// <remarks>
/// Every box is a <c>rect</c> with <c>data-node</c>, <c>data-kind</c>, <c>data-shape</c> and
/// <c>data-parameters</c> (and <c>data-dtype</c> for an input, <c>data-parent</c> for a mixture's
/// part); every arrow a <c>path</c> with <c>data-from</c>, <c>data-to</c> and <c>data-edge</c>
/// (<c>data</c>, <c>hierarchical</c>, <c>tie</c>; with <c>data-member</c> for a mixture's task
/// output and <c>data-lambda</c> for a tie). Boxes in one column never overlap, parts stay inside
/// their mixture, no arrow passes through a box it does not join, and the SVG's width and height hold every box.
/// </remarks>
public static class ArchitectureDiagram
{
    private const double Margin = 16, LegendHeight = 30, ColumnGap = 96, RowGap = 24, LineHeight = 14, Padding = 8, PartGap = 6;
    private const double MinBoxWidth = 150, CharWidth = 6.0, TitleCharWidth = 7.4, TieBulge = 48, MinWidth = 520;
    private const int WrapAt = 34;
    private const string DataColor = "#555555", HierarchicalColor = "#7b4fb0", TieColor = "#b0479b";
    private const string DataArrow = "mtl-architecture-arrow", HierarchicalArrow = "mtl-architecture-arrow-hierarchical";

    private static readonly Dictionary<ArchitectureNodeKind, (string Fill, string Stroke)> Colors = new()
    {
        [ArchitectureNodeKind.Input] = ("#e8f0fe", "#4a74c9"),
        [ArchitectureNodeKind.Shared] = ("#eaf5ea", "#3c8d40"),
        [ArchitectureNodeKind.Mixture] = ("#fff6e5", "#c98300"),
        [ArchitectureNodeKind.Experts] = ("#ffffff", "#c98300"),
        [ArchitectureNodeKind.Gate] = ("#fdeceb", "#c0504d"),
        [ArchitectureNodeKind.Task] = ("#f3ecfa", "#7b4fb0"),
    };

    /// <summary>The figure: <c>&lt;figure&gt;&lt;svg ...&gt;...&lt;/svg&gt;&lt;figcaption&gt;...&lt;/figcaption&gt;&lt;/figure&gt;</c>.</summary>
    /// <exception cref="ArgumentException">Two nodes share a name, an edge names no node, or a part's parent is not a box of its own.</exception>
    public static string Render(ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var nodes = Validate(architecture);
        var tops = architecture.Nodes.Where(n => n.Parent is null).ToList();
        var parts = architecture.Nodes.Where(n => n.Parent is not null).GroupBy(n => n.Parent!).ToDictionary(g => g.Key, g => g.ToList());
        string Top(string name) => nodes[name].Parent ?? name;

        // Sizes: each box's lines, then its width and height (a mixture's around its parts).
        var boxes = new Dictionary<string, Box>(StringComparer.Ordinal);
        foreach (var node in tops)
        {
            var header = Lines(node, part: false);
            var own = parts.TryGetValue(node.Name, out var list) ? list.Select(p => (Node: p, Lines: Lines(p, part: true))).ToList() : [];
            var width = Math.Max(Width(header), own.Count == 0 ? 0 : own.Max(p => Width(p.Lines)) + (2 * Padding));
            var height = Height(header) + own.Sum(p => Height(p.Lines) + PartGap);
            boxes[node.Name] = new Box(node, header, width, height);
            foreach (var (part, lines) in own) boxes[part.Name] = new Box(part, lines, width - (2 * Padding), Height(lines));
        }

        // Columns: inputs first, each box after the boxes it reads, task heads after the shared blocks.
        var column = Columns(architecture, tops, Top);
        var columns = tops.GroupBy(n => column[n.Name]).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
        var heights = columns.Select(c => c.Sum(n => boxes[n.Name].Height) + (RowGap * (c.Count - 1))).ToList();
        var tallest = heights.Count == 0 ? 0 : heights.Max();
        var x = Margin;
        for (var c = 0; c < columns.Count; c++)
        {
            var width = columns[c].Max(n => boxes[n.Name].Width);
            var y = Margin + LegendHeight + ((tallest - heights[c]) / 2);
            foreach (var node in columns[c])
            {
                // Every box of a column takes the column's width, and a mixture's parts fill its inside.
                var box = boxes[node.Name];
                box.Width = width;
                box.X = x;
                box.Y = y;
                box.Column = c;
                var partY = y + Height(box.Lines);
                foreach (var part in parts.TryGetValue(node.Name, out var list) ? list : [])
                {
                    var inner = boxes[part.Name];
                    (inner.X, inner.Y, inner.Width, inner.Column) = (x + Padding, partY, width - (2 * Padding), c);
                    partY += inner.Height + PartGap;
                }
                y += box.Height + RowGap;
            }
            x += width + ColumnGap;
        }

        var lanes = columns.Select(c => c.Select(n => boxes[n.Name]).ToList())
            .Select(c => new Lane(c[0].X, c[0].Right, c.Select(b => (b.Y, b.Y + b.Height)).ToList())).ToList();
        var edges = new StringBuilder();
        var right = Edges(architecture, boxes, new Router(lanes, Margin + LegendHeight, Margin + LegendHeight + tallest), edges);
        var svgWidth = Math.Max(MinWidth, Math.Max(x - ColumnGap + Margin, right + Margin));
        var svgHeight = Margin + LegendHeight + tallest + Margin;

        var svg = new StringBuilder();
        var total = architecture.TotalParameters;
        svg.Append("<figure data-architecture=\"").Append(Encode(architecture.Model)).Append("\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(Number(svgWidth))
            .Append("\" height=\"").Append(Number(svgHeight)).Append("\" role=\"img\" aria-label=\"").Append(Encode($"architecture of {architecture.Model}"))
            .Append("\" data-total-parameters=\"").Append(total.ToString(CultureInfo.InvariantCulture)).Append("\" font-family=\"system-ui,sans-serif\">\n");
        svg.Append("<defs>");
        foreach (var (id, color) in new[] { (DataArrow, DataColor), (HierarchicalArrow, HierarchicalColor) })
        {
            svg.Append("<marker id=\"").Append(id).Append("\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">")
                .Append("<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"").Append(color).Append("\"/></marker>");
        }
        svg.Append("</defs>\n");
        Legend(svg);
        foreach (var node in tops)
        {
            var box = boxes[node.Name];
            Rect(svg, box, rounded: 6);
            Texts(svg, box, titleSize: 12);
            foreach (var part in parts.TryGetValue(node.Name, out var list) ? list : [])
            {
                var inner = boxes[part.Name];
                Rect(svg, inner, rounded: 3);
                Texts(svg, inner, titleSize: 11);
            }
        }
        svg.Append(edges);
        svg.Append("</svg><figcaption>").Append(Encode(architecture.Model)).Append(": ").Append(FormatParameters(total)).Append(" trainable parameters");
        if (total >= 1_000_000) svg.Append(" (").Append(total.ToString("N0", CultureInfo.InvariantCulture)).Append(')');
        svg.Append(", ").Append(Wording.Count(tops.Count(n => n.Kind == ArchitectureNodeKind.Input), "input")).Append(", ")
            .Append(Wording.Count(tops.Count(n => n.Kind is ArchitectureNodeKind.Shared or ArchitectureNodeKind.Mixture), "shared block")).Append(", ")
            .Append(Wording.Count(tops.Count(n => n.Kind == ArchitectureNodeKind.Task), "task")).Append(".</figcaption></figure>\n");
        return svg.ToString();
    }

    /// <summary><c>12,345</c> below a million, then <c>1.2 M</c>, and <c>3.4 B</c> from a billion.</summary>
    public static string FormatParameters(long count) => count switch
    {
        >= 1_000_000_000 => (count / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + " B",
        >= 1_000_000 => (count / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " M",
        _ => count.ToString("N0", CultureInfo.InvariantCulture),
    };

    private sealed class Box(ArchitectureNode node, IReadOnlyList<Line> lines, double width, double height)
    {
        public ArchitectureNode Node { get; } = node;

        public IReadOnlyList<Line> Lines { get; } = lines;

        public double Width { get; set; } = width;

        public double Height { get; } = height;

        public double X { get; set; }

        public double Y { get; set; }

        public int Column { get; set; }

        public double Right => X + Width;
    }

    private sealed record Line(string Text, bool Title, bool Muted);

    /// <summary>A column of boxes: its left and right x, and the top and bottom of each box in it, top to bottom.</summary>
    private sealed record Lane(double Left, double Right, IReadOnlyList<(double Top, double Bottom)> Boxes);

    /// <summary>
    /// Paths of arrows that pass no box: between neighbouring columns a curve with level ends; an
    /// arrow that skips columns crosses each one level, through the free gap (between two boxes,
    /// or above or below them) nearest to the straight line between its ends.
    /// </summary>
    private sealed class Router(IReadOnlyList<Lane> lanes, double top, double bottom)
    {
        private const double Clearance = 6;

        public string Route(double x1, double y1, int fromColumn, double x2, double y2, int toColumn)
        {
            var path = new StringBuilder().Append("M ").Append(Number(x1)).Append(' ').Append(Number(y1));
            var (x, y) = (x1, y1);
            for (var c = fromColumn + 1; c < toColumn; c++)
            {
                var lane = lanes[c];
                var wanted = y1 + ((y2 - y1) * (lane.Left - x1) / (x2 - x1));
                var at = Gap(lane, wanted);
                Curve(path, x, y, lane.Left, at);
                path.Append(" L ").Append(Number(lane.Right)).Append(' ').Append(Number(at));
                (x, y) = (lane.Right, at);
            }
            Curve(path, x, y, x2, y2);
            return path.ToString();
        }

        private static void Curve(StringBuilder path, double x1, double y1, double x2, double y2)
        {
            var reach = Math.Max(20, (x2 - x1) / 2);
            path.Append(" C ").Append(Number(x1 + reach)).Append(' ').Append(Number(y1)).Append(", ").Append(Number(x2 - reach)).Append(' ').Append(Number(y2))
                .Append(", ").Append(Number(x2)).Append(' ').Append(Number(y2));
        }

        /// <summary>The height nearest to <paramref name="wanted"/> in a gap of the column, kept clear of the boxes where the gap allows.</summary>
        private double Gap(Lane lane, double wanted)
        {
            var best = double.NaN;
            var start = top;
            var gaps = new List<(double Low, double High)>();
            foreach (var (boxTop, boxBottom) in lane.Boxes)
            {
                gaps.Add((start, boxTop));
                start = boxBottom;
            }
            gaps.Add((start, bottom));
            foreach (var (low, high) in gaps.Where(g => g.High >= g.Low))
            {
                var y = high - low >= 2 * Clearance ? Math.Clamp(wanted, low + Clearance, high - Clearance) : (low + high) / 2;
                if (double.IsNaN(best) || Math.Abs(y - wanted) < Math.Abs(best - wanted)) best = y;
            }
            return double.IsNaN(best) ? wanted : best;
        }
    }

    private static Dictionary<string, ArchitectureNode> Validate(ModelArchitecture architecture)
    {
        var nodes = new Dictionary<string, ArchitectureNode>(StringComparer.Ordinal);
        foreach (var node in architecture.Nodes)
        {
            if (!nodes.TryAdd(node.Name, node))
            {
                throw new ArgumentException($"architecture of '{architecture.Model}': two nodes are named '{node.Name}'", nameof(architecture));
            }
        }
        foreach (var node in architecture.Nodes.Where(n => n.Parent is not null))
        {
            if (!nodes.TryGetValue(node.Parent!, out var parent) || parent.Parent is not null)
            {
                throw new ArgumentException($"architecture of '{architecture.Model}': node '{node.Name}' belongs to '{node.Parent}', which is not a box of its own", nameof(architecture));
            }
        }
        foreach (var edge in architecture.Edges)
        {
            foreach (var end in new[] { edge.From, edge.To }.Where(e => !nodes.ContainsKey(e)))
            {
                throw new ArgumentException($"architecture of '{architecture.Model}': the {Word(edge.Kind)} edge from '{edge.From}' to '{edge.To}' names no node '{end}'", nameof(architecture));
            }
        }
        return nodes;
    }

    /// <summary>
    /// Each box's column: 0 for inputs, one past the boxes it reads (those listed before it), and
    /// for a task at least one past every shared block that reads no task, so heads come last.
    /// </summary>
    private static Dictionary<string, int> Columns(ModelArchitecture architecture, IReadOnlyList<ArchitectureNode> tops, Func<string, string> top)
    {
        var sources = tops.ToDictionary(n => n.Name, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var edge in architecture.Edges.Where(e => e.Kind != ArchitectureEdgeKind.Tie))
        {
            var (from, to) = (top(edge.From), top(edge.To));
            if (from != to) sources[to].Add(from);
        }

        Dictionary<string, int> Place(int taskFloor)
        {
            var column = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var node in tops)
            {
                var read = sources[node.Name].Where(column.ContainsKey).Select(s => column[s]).ToList();
                var at = read.Count > 0 ? read.Max() + 1 : node.Kind == ArchitectureNodeKind.Input ? 0 : 1;
                column[node.Name] = node.Kind == ArchitectureNodeKind.Task ? Math.Max(at, taskFloor) : at;
            }
            return column;
        }

        var first = Place(0);
        var afterTask = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in tops)
        {
            if (sources[node.Name].Any(s => afterTask.Contains(s) || tops.Any(t => t.Name == s && t.Kind == ArchitectureNodeKind.Task))) afterTask.Add(node.Name);
        }
        var blocks = tops.Where(n => n.Kind is not (ArchitectureNodeKind.Task or ArchitectureNodeKind.Input) && !afterTask.Contains(n.Name)).ToList();
        return Place(blocks.Count == 0 ? 1 : blocks.Max(b => first[b.Name]) + 1);
    }

    /// <summary>The arrows, appended to <paramref name="svg"/>; returns the rightmost x they reach.</summary>
    private static double Edges(ModelArchitecture architecture, Dictionary<string, Box> boxes, Router router, StringBuilder svg)
    {
        var flows = architecture.Edges.Where(e => e.Kind != ArchitectureEdgeKind.Tie).ToList();
        // A box's arrows leave (and arrive) spread over its side, ordered by the height of the other end, so they do not cross there.
        var outgoing = flows.GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.OrderBy(e => boxes[e.To].Y).ToList());
        var incoming = flows.GroupBy(e => e.To).ToDictionary(g => g.Key, g => g.OrderBy(e => boxes[e.From].Y).ToList());
        double Spread(Box box, List<ArchitectureEdge> edges, ArchitectureEdge edge) =>
            box.Y + (box.Height * (edges.IndexOf(edge) + 1) / (edges.Count + 1));

        var rightmost = 0.0;
        foreach (var edge in architecture.Edges)
        {
            var (from, to) = (boxes[edge.From], boxes[edge.To]);
            string path;
            double labelX, labelY;
            if (edge.Kind == ArchitectureEdgeKind.Tie)
            {
                if (from.Column == to.Column)
                {
                    // Same column: an arc out to the right between the boxes' right sides.
                    var (x1, y1, x2, y2) = (from.Right, from.Y + (from.Height / 2), to.Right, to.Y + (to.Height / 2));
                    var bulge = Math.Max(x1, x2) + TieBulge;
                    path = $"M {Number(x1)} {Number(y1)} C {Number(bulge)} {Number(y1)}, {Number(bulge)} {Number(y2)}, {Number(x2)} {Number(y2)}";
                    (labelX, labelY) = (bulge - 8, ((y1 + y2) / 2) + 4);
                    rightmost = Math.Max(rightmost, bulge + 60);
                }
                else
                {
                    var (left, other) = from.Column < to.Column ? (from, to) : (to, from);
                    var (x1, y1, x2, y2) = (left.Right, left.Y + left.Height - 6, other.X, other.Y + other.Height - 6);
                    path = router.Route(x1, y1, left.Column, x2, y2, other.Column);
                    (labelX, labelY) = (x1 + 4, y1 - 4);
                }
                svg.Append("<path d=\"").Append(path).Append("\" fill=\"none\" stroke=\"").Append(TieColor).Append("\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"");
            }
            else
            {
                var (x1, y1) = (from.Right, Spread(from, outgoing[edge.From], edge));
                var (x2, y2) = (to.X, Spread(to, incoming[edge.To], edge));
                path = router.Route(x1, y1, from.Column, x2, y2, to.Column);
                (labelX, labelY) = (x1 + 4, y1 - 4);
                var hierarchical = edge.Kind == ArchitectureEdgeKind.Hierarchical;
                svg.Append("<path d=\"").Append(path).Append("\" fill=\"none\" stroke=\"").Append(hierarchical ? HierarchicalColor : DataColor).Append("\" stroke-width=\"1.5\"")
                    .Append(hierarchical ? " stroke-dasharray=\"6 4\"" : "").Append(" marker-end=\"url(#").Append(hierarchical ? HierarchicalArrow : DataArrow).Append(")\"");
                rightmost = Math.Max(rightmost, Math.Max(x1, x2));
            }
            svg.Append(" data-from=\"").Append(Encode(edge.From)).Append("\" data-to=\"").Append(Encode(edge.To)).Append("\" data-edge=\"").Append(Word(edge.Kind)).Append('"');
            if (edge.Member is { } member) svg.Append(" data-member=\"").Append(Encode(member)).Append('"');
            if (edge.Lambda is { } lambda) svg.Append(" data-lambda=\"").Append(lambda.ToString("R", CultureInfo.InvariantCulture)).Append('"');
            svg.Append("/>");
            var label = edge.Kind == ArchitectureEdgeKind.Tie ? (edge.Lambda is { } l ? "λ = " + l.ToString("G4", CultureInfo.InvariantCulture) : "tie") : edge.Member;
            if (label is not null)
            {
                svg.Append("<text x=\"").Append(Number(labelX)).Append("\" y=\"").Append(Number(labelY)).Append("\" font-size=\"9\" fill=\"#555\">").Append(Encode(label)).Append("</text>");
            }
            svg.Append('\n');
        }
        return rightmost;
    }

    private static void Legend(StringBuilder svg)
    {
        var y = Margin + 8;
        var items = new (string Label, string Stroke, string Dash, string? Arrow, double X)[]
        {
            ("data", DataColor, "", DataArrow, Margin),
            ("hierarchical (a task reads a task)", HierarchicalColor, "6 4", HierarchicalArrow, Margin + 90),
            ("tie λ‖θa − θb‖²", TieColor, "2 3", null, Margin + 330),
        };
        foreach (var (label, stroke, dash, arrow, x) in items)
        {
            svg.Append("<line x1=\"").Append(Number(x)).Append("\" y1=\"").Append(Number(y)).Append("\" x2=\"").Append(Number(x + 28)).Append("\" y2=\"").Append(Number(y))
                .Append("\" stroke=\"").Append(stroke).Append("\" stroke-width=\"1.5\"").Append(dash.Length > 0 ? $" stroke-dasharray=\"{dash}\"" : "")
                .Append(arrow is null ? "" : $" marker-end=\"url(#{arrow})\"").Append(" data-legend=\"").Append(Encode(label)).Append("\"/>");
            svg.Append("<text x=\"").Append(Number(x + 34)).Append("\" y=\"").Append(Number(y + 4)).Append("\" font-size=\"10\" fill=\"#333\">").Append(Encode(label)).Append("</text>\n");
        }
    }

    private static void Rect(StringBuilder svg, Box box, int rounded)
    {
        var node = box.Node;
        var (fill, stroke) = Colors.TryGetValue(node.Kind, out var colors) ? colors : ("#ffffff", "#888888");
        svg.Append("<rect x=\"").Append(Number(box.X)).Append("\" y=\"").Append(Number(box.Y)).Append("\" width=\"").Append(Number(box.Width)).Append("\" height=\"").Append(Number(box.Height))
            .Append("\" rx=\"").Append(rounded).Append("\" fill=\"").Append(fill).Append("\" stroke=\"").Append(stroke).Append('"')
            .Append(" data-node=\"").Append(Encode(node.Name)).Append("\" data-kind=\"").Append(Word(node.Kind)).Append("\" data-shape=\"").Append(Encode(node.Shape))
            .Append("\" data-parameters=\"").Append(node.Parameters.ToString(CultureInfo.InvariantCulture)).Append('"');
        if (node.DType is { } dtype) svg.Append(" data-dtype=\"").Append(Encode(dtype)).Append('"');
        if (node.Parent is { } parent) svg.Append(" data-parent=\"").Append(Encode(parent)).Append('"');
        svg.Append("/>\n");
    }

    private static void Texts(StringBuilder svg, Box box, int titleSize)
    {
        var y = box.Y + Padding + 10;
        foreach (var line in box.Lines)
        {
            svg.Append("<text x=\"").Append(Number(box.X + Padding)).Append("\" y=\"").Append(Number(y)).Append("\" font-size=\"").Append(line.Title ? titleSize : 10).Append('"')
                .Append(line.Title ? " font-weight=\"bold\"" : "").Append(line.Muted ? " fill=\"#666\"" : " fill=\"#222\"").Append('>').Append(Encode(line.Text)).Append("</text>\n");
            y += LineHeight;
        }
    }

    /// <summary>A box's lines: name; kind (top-level boxes); shape and parameters; the layers, wrapped.</summary>
    private static IReadOnlyList<Line> Lines(ArchitectureNode node, bool part)
    {
        var title = part && node.Name.StartsWith(node.Parent + ".", StringComparison.Ordinal) ? node.Name[(node.Parent!.Length + 1)..] : node.Name;
        var lines = new List<Line> { new(title, Title: true, Muted: false) };
        var kind = Word(node.Kind) + (node.Detail is { } detail ? " · " + detail : "");
        if (!part) lines.Add(new Line(kind, Title: false, Muted: true));
        else if (node.Detail is { } partDetail) lines.Add(new Line(partDetail, Title: false, Muted: true));
        lines.Add(new Line(
            node.Kind == ArchitectureNodeKind.Input
                ? (node.DType ?? "") + node.Shape
                : $"{node.Shape} · {FormatParameters(node.Parameters)} parameters",
            Title: false,
            Muted: false));
        lines.AddRange(Wrap(node.Summary).Select(l => new Line(l, Title: false, Muted: true)));
        return lines;
    }

    /// <summary>The summary in lines of about <see cref="WrapAt"/> characters, broken at spaces; an arrow starts a line, never ends one.</summary>
    private static IEnumerable<string> Wrap(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) yield break;
        var line = new StringBuilder();
        foreach (var word in text.Replace("→ ", "→\u0001").Split(' ').Select(w => w.Replace('\u0001', ' ')))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > WrapAt)
            {
                yield return line.ToString();
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        if (line.Length > 0) yield return line.ToString();
    }

    private static double Width(IReadOnlyList<Line> lines) =>
        Math.Max(MinBoxWidth, lines.Max(l => l.Text.Length * (l.Title ? TitleCharWidth : CharWidth)) + (2 * Padding));

    private static double Height(IReadOnlyList<Line> lines) => (lines.Count * LineHeight) + Padding + 4;

    private static string Word(ArchitectureNodeKind kind) => kind switch
    {
        ArchitectureNodeKind.Input => "input",
        ArchitectureNodeKind.Shared => "shared",
        ArchitectureNodeKind.Mixture => "mixture",
        ArchitectureNodeKind.Experts => "experts",
        ArchitectureNodeKind.Gate => "gate",
        ArchitectureNodeKind.Task => "task",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string Word(ArchitectureEdgeKind kind) => kind switch
    {
        ArchitectureEdgeKind.Data => "data",
        ArchitectureEdgeKind.Hierarchical => "hierarchical",
        ArchitectureEdgeKind.Tie => "tie",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string Number(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
