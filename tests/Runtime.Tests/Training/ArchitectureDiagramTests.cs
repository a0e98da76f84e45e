using System.Globalization;
using System.Text.RegularExpressions;
using Mtl.Training;
using Xunit;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// The architecture drawing of report.html: every box and arrow carries its data, boxes never
/// overlap and fit the SVG, columns run inputs → blocks → heads, edge kinds are styled apart,
/// names are HTML-encoded, parameter counts are formatted, and a malformed description is refused.
/// </summary>
public sealed class ArchitectureDiagramTests
{
    /// <summary>
    /// Two inputs, a merged trunk, an MMoE of 3 experts with a gate per task, two tied towers, a
    /// task reading the mixture, a hierarchical task reading it and the mixture, and a task on the towers.
    /// </summary>
    private static ModelArchitecture Census() => new(
        "Census",
        [
            new("features", ArchitectureNodeKind.Input, "[14]", 0, "") { DType = "float" },
            new("ids", ArchitectureNodeKind.Input, "[6]", 0, "") { DType = "long" },
            new("words", ArchitectureNodeKind.Shared, "[4]", 200, "embedding(50, dim: 4) → mean(1)"),
            new("trunk", ArchitectureNodeKind.Shared, "[32]", 608, "concat(features, words) → linear(32) → relu"),
            new("mix", ArchitectureNodeKind.Mixture, "[16]", 1686, "3 experts, a softmax gate per task") { Detail = "mmoe" },
            new("mix.experts", ArchitectureNodeKind.Experts, "[16]", 1584, "linear(16) → relu") { Parent = "mix", Detail = "3 experts" },
            new("mix.gate.coarse", ArchitectureNodeKind.Gate, "[3]", 99, "linear(3) → softmax") { Parent = "mix" },
            new("mix.gate.fine", ArchitectureNodeKind.Gate, "[3]", 99, "linear(3) → softmax") { Parent = "mix" },
            new("tower_a", ArchitectureNodeKind.Shared, "[8]", 120, "linear(8)"),
            new("tower_b", ArchitectureNodeKind.Shared, "[8]", 120, "linear(8)"),
            new("coarse", ArchitectureNodeKind.Task, "[3]", 51, "linear(3)") { Detail = "classes(3)" },
            new("fine", ArchitectureNodeKind.Task, "[12]", 240, "concat(mix.fine, coarse) → linear(12)") { Detail = "classes(12)" },
            new("side", ArchitectureNodeKind.Task, "[1]", 17, "concat(tower_a, tower_b) → linear(1)") { Detail = "regression(1)" },
        ],
        [
            new("ids", "words", ArchitectureEdgeKind.Data),
            new("features", "trunk", ArchitectureEdgeKind.Data),
            new("words", "trunk", ArchitectureEdgeKind.Data),
            new("trunk", "mix", ArchitectureEdgeKind.Data),
            new("features", "tower_a", ArchitectureEdgeKind.Data),
            new("features", "tower_b", ArchitectureEdgeKind.Data),
            new("mix", "coarse", ArchitectureEdgeKind.Data) { Member = "coarse" },
            new("mix", "fine", ArchitectureEdgeKind.Data) { Member = "fine" },
            new("coarse", "fine", ArchitectureEdgeKind.Hierarchical),
            new("tower_a", "side", ArchitectureEdgeKind.Data),
            new("tower_b", "side", ArchitectureEdgeKind.Data),
            new("tower_a", "tower_b", ArchitectureEdgeKind.Tie) { Lambda = 0.01 },
        ]);

    private sealed record Rect(string Node, string Kind, string Shape, long Parameters, string? Parent, double X, double Y, double Width, double Height)
    {
        public double Right => X + Width;

        public double Bottom => Y + Height;

        public bool Overlaps(Rect other) => X < other.Right && other.X < Right && Y < other.Bottom && other.Y < Bottom;

        public bool Inside(Rect other) => X >= other.X && Right <= other.Right && Y >= other.Y && Bottom <= other.Bottom;
    }

    private static string Attribute(string element, string name)
    {
        var match = Regex.Match(element, "\\s" + name + "=\"([^\"]*)\"");
        return match.Success ? match.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no {name} in {element}");
    }

    private static double Number(string element, string name) => double.Parse(Attribute(element, name), CultureInfo.InvariantCulture);

    private static List<Rect> Rects(string svg) => Regex.Matches(svg, "<rect [^>]*data-node=[^>]*>").Select(m => m.Value).Select(e => new Rect(
        Attribute(e, "data-node"), Attribute(e, "data-kind"), Attribute(e, "data-shape"), long.Parse(Attribute(e, "data-parameters"), CultureInfo.InvariantCulture),
        Regex.Match(e, "data-parent=\"([^\"]*)\"") is { Success: true } parent ? parent.Groups[1].Value : null,
        Number(e, "x"), Number(e, "y"), Number(e, "width"), Number(e, "height"))).ToList();

    private static List<string> Paths(string svg) => Regex.Matches(svg, "<path [^>]*data-edge=[^>]*>").Select(m => m.Value).ToList();

    [Fact]
    public void Every_box_and_arrow_carries_its_data()
    {
        var svg = ArchitectureDiagram.Render(Census());
        Assert.StartsWith("<figure", svg);
        Assert.Contains("<svg xmlns=\"http://www.w3.org/2000/svg\"", svg);
        Assert.DoesNotContain("<script", svg);
        Assert.DoesNotContain("href=\"http", svg);

        var rects = Rects(svg).ToDictionary(r => r.Node);
        Assert.Equal(Census().Nodes.Select(n => n.Name), rects.Keys);
        Assert.Equal(("input", "[14]", 0L), (rects["features"].Kind, rects["features"].Shape, rects["features"].Parameters));
        Assert.Equal(("mixture", "[16]", 1686L, (string?)null), (rects["mix"].Kind, rects["mix"].Shape, rects["mix"].Parameters, rects["mix"].Parent));
        Assert.Equal(("experts", 1584L, "mix"), (rects["mix.experts"].Kind, rects["mix.experts"].Parameters, rects["mix.experts"].Parent));
        Assert.Equal(("gate", "[3]", "mix"), (rects["mix.gate.fine"].Kind, rects["mix.gate.fine"].Shape, rects["mix.gate.fine"].Parent));
        Assert.Equal(("task", "[12]", 240L), (rects["fine"].Kind, rects["fine"].Shape, rects["fine"].Parameters));
        Assert.Contains("data-node=\"ids\" data-kind=\"input\" data-shape=\"[6]\" data-parameters=\"0\" data-dtype=\"long\"", svg);

        var edges = Paths(svg).Select(p => (Attribute(p, "data-from"), Attribute(p, "data-to"), Attribute(p, "data-edge"))).ToList();
        Assert.Equal(Census().Edges.Select(e => (e.From, e.To, e.Kind.ToString().ToLowerInvariant())), edges);
        Assert.Contains("data-member=\"fine\"", svg);
        Assert.Contains("data-lambda=\"0.01\"", svg);
        Assert.Contains(">λ = 0.01</text>", svg);

        // Shape and parameters are written in each box: 1,584 for the experts, 1,686 for the mixture.
        Assert.Contains(">[16] · 1,584 parameters</text>", svg);
        Assert.Contains(">[16] · 1,686 parameters</text>", svg);
        Assert.Contains(">float[14]</text>", svg);
        Assert.Contains(">task · classes(12)</text>", svg);
        Assert.Contains(">mixture · mmoe</text>", svg);
    }

    [Fact]
    public void Boxes_do_not_overlap_parts_stay_in_their_mixture_and_the_svg_holds_them_all()
    {
        var svg = ArchitectureDiagram.Render(Census());
        var open = Regex.Match(svg, "<svg [^>]*>").Value;
        var (width, height) = (Number(open, "width"), Number(open, "height"));
        var rects = Rects(svg);
        Assert.Equal(13, rects.Count);
        foreach (var rect in rects)
        {
            Assert.True(rect.X >= 0 && rect.Y >= 0 && rect.Right <= width && rect.Bottom <= height, $"{rect.Node} leaves the {width}×{height} drawing");
        }
        var tops = rects.Where(r => r.Parent is null).ToList();
        foreach (var (a, i) in tops.Select((r, i) => (r, i)))
        {
            foreach (var b in tops.Skip(i + 1)) Assert.False(a.Overlaps(b), $"{a.Node} overlaps {b.Node}");
        }
        var parts = rects.Where(r => r.Parent is not null).ToList();
        Assert.Equal(3, parts.Count);
        var mix = rects.Single(r => r.Node == "mix");
        foreach (var (a, i) in parts.Select((r, i) => (r, i)))
        {
            Assert.True(a.Inside(mix), $"{a.Node} is not inside mix");
            foreach (var b in parts.Skip(i + 1)) Assert.False(a.Overlaps(b), $"{a.Node} overlaps {b.Node}");
        }
    }

    [Fact]
    public void Columns_run_from_inputs_through_blocks_to_heads_and_a_hierarchical_task_follows_its_source()
    {
        var rects = Rects(ArchitectureDiagram.Render(Census())).ToDictionary(r => r.Node);
        Assert.Equal(rects["features"].X, rects["ids"].X);
        Assert.True(rects["ids"].Right < rects["words"].X);
        Assert.True(rects["words"].Right < rects["trunk"].X);
        Assert.True(rects["trunk"].Right < rects["mix"].X);

        // Heads come after every block that reads no task: side reads the towers (column 1) yet stands with coarse.
        Assert.True(rects["mix"].Right < rects["coarse"].X);
        Assert.Equal(rects["coarse"].X, rects["side"].X);
        Assert.True(rects["coarse"].Right < rects["fine"].X);
        Assert.Equal(rects["tower_a"].X, rects["words"].X);
    }

    [Fact]
    public void Edge_kinds_are_drawn_apart_with_a_legend()
    {
        var svg = ArchitectureDiagram.Render(Census());
        var paths = Paths(svg);
        string Edge(string from, string to) => paths.Single(p => Attribute(p, "data-from") == from && Attribute(p, "data-to") == to);

        var data = Edge("trunk", "mix");
        Assert.DoesNotContain("stroke-dasharray", data);
        Assert.Contains("marker-end=", data);
        var hierarchical = Edge("coarse", "fine");
        Assert.Equal("6 4", Attribute(hierarchical, "stroke-dasharray"));
        Assert.Contains("marker-end=", hierarchical);
        var tie = Edge("tower_a", "tower_b");
        Assert.Equal("2 3", Attribute(tie, "stroke-dasharray"));
        Assert.DoesNotContain("marker-end=", tie);
        Assert.Equal(3, new[] { Attribute(data, "stroke"), Attribute(hierarchical, "stroke"), Attribute(tie, "stroke") }.Distinct().Count());

        var legend = Regex.Matches(svg, "<line [^>]*data-legend=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(3, legend.Count);
        Assert.Equal("data", legend[0]);
        Assert.StartsWith("hierarchical", legend[1]);
        Assert.StartsWith("tie", legend[2]);

        // The arrow into a box ends at its left side, the arrow out of one starts at its right side.
        var rects = Rects(svg).ToDictionary(r => r.Node);
        var d = Regex.Match(Attribute(data, "d"), @"^M ([\d.]+) ([\d.]+) C .*, ([\d.]+) ([\d.]+)$");
        Assert.True(d.Success);
        Assert.Equal(rects["trunk"].Right, double.Parse(d.Groups[1].Value, CultureInfo.InvariantCulture), 1);
        Assert.Equal(rects["mix"].X, double.Parse(d.Groups[3].Value, CultureInfo.InvariantCulture), 1);
    }

    [Fact]
    public void Names_and_texts_are_html_encoded()
    {
        var odd = new ModelArchitecture(
            "A<b> & \"c\"",
            [
                new("x<1>", ArchitectureNodeKind.Input, "[2]", 0, "") { DType = "float" },
                new("t&'q'", ArchitectureNodeKind.Task, "[1]", 3, "linear(1) <raw>") { Detail = "binary \"b\"" },
            ],
            [new("x<1>", "t&'q'", ArchitectureEdgeKind.Data)]);
        var svg = ArchitectureDiagram.Render(odd);
        Assert.Contains("data-node=\"x&lt;1&gt;\"", svg);
        Assert.Contains("data-node=\"t&amp;&#39;q&#39;\"", svg);
        Assert.Contains("data-from=\"x&lt;1&gt;\" data-to=\"t&amp;&#39;q&#39;\"", svg);
        Assert.Contains(">linear(1) &lt;raw&gt;</text>", svg);
        Assert.Contains("task · binary &quot;b&quot;", svg);
        Assert.Contains("<figcaption>A&lt;b&gt; &amp; &quot;c&quot;: 3 trainable parameters", svg);
        Assert.DoesNotContain("<raw>", svg);
        Assert.DoesNotContain("<b>", svg);
        Assert.DoesNotContain("x<1>", svg);
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(999L, "999")]
    [InlineData(12_345L, "12,345")]
    [InlineData(999_999L, "999,999")]
    [InlineData(1_234_567L, "1.2 M")]
    [InlineData(12_000_000L, "12 M")]
    [InlineData(3_400_000_000L, "3.4 B")]
    public void Parameter_counts_read_as_thousands_then_millions(long count, string text) =>
        Assert.Equal(text, ArchitectureDiagram.FormatParameters(count));

    [Fact]
    public void The_caption_gives_the_total_of_the_boxes_without_counting_a_mixtures_parts_twice()
    {
        var architecture = Census();
        // 200 + 608 + 1686 + 120 + 120 + 51 + 240 + 17: the parts (1584 + 99 + 99) are inside mix's 1686.
        Assert.Equal(3042, architecture.TotalParameters);
        var svg = ArchitectureDiagram.Render(architecture);
        Assert.Contains("<figcaption>Census: 3,042 trainable parameters, 2 inputs, 5 shared blocks, 3 tasks.</figcaption>", svg);
        Assert.Contains("data-total-parameters=\"3042\"", svg);

        var big = new ModelArchitecture("Big", [new("x", ArchitectureNodeKind.Input, "[1]", 0, ""), new("t", ArchitectureNodeKind.Task, "[1]", 2_500_000, "linear(1)")], [new("x", "t", ArchitectureEdgeKind.Data)]);
        Assert.Contains("Big: 2.5 M trainable parameters (2,500,000), 1 input, 0 shared blocks, 1 task.</figcaption>", ArchitectureDiagram.Render(big));
    }

    [Fact]
    public void A_malformed_description_is_refused_naming_what_is_wrong()
    {
        ArchitectureNode Input(string name) => new(name, ArchitectureNodeKind.Input, "[1]", 0, "");
        var twice = Assert.Throws<ArgumentException>(() => ArchitectureDiagram.Render(new ModelArchitecture("M", [Input("x"), Input("x")], [])));
        Assert.Contains("two nodes are named 'x'", twice.Message);
        var dangling = Assert.Throws<ArgumentException>(() => ArchitectureDiagram.Render(new ModelArchitecture("M", [Input("x")], [new("x", "y", ArchitectureEdgeKind.Hierarchical)])));
        Assert.Contains("hierarchical edge from 'x' to 'y' names no node 'y'", dangling.Message);
        var orphan = Assert.Throws<ArgumentException>(() => ArchitectureDiagram.Render(new ModelArchitecture("M", [Input("x"), Input("g") with { Parent = "mix" }], [])));
        Assert.Contains("node 'g' belongs to 'mix', which is not a box of its own", orphan.Message);
    }

    [Fact]
    public void Architectures_are_equal_by_their_nodes_and_edges()
    {
        Assert.Equal(Census(), Census());
        Assert.Equal(Census().GetHashCode(), Census().GetHashCode());
        var changed = Census() with { Nodes = [.. Census().Nodes.Select(n => n.Name == "fine" ? n with { Shape = "[13]" } : n)] };
        Assert.NotEqual(Census(), changed);
        var fewer = Census() with { Edges = [.. Census().Edges.Take(3)] };
        Assert.NotEqual(Census(), fewer);
    }

    /// <summary>Points along a path of M, C and L commands (20 per curve).</summary>
    private static List<(double X, double Y)> Points(string d)
    {
        var numbers = Regex.Matches(d, @"-?\d+(\.\d+)?").Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        var commands = Regex.Matches(d, "[MCL]").Select(m => m.Value[0]).ToList();
        var points = new List<(double X, double Y)>();
        var (i, x, y) = (0, 0.0, 0.0);
        foreach (var command in commands)
        {
            if (command == 'C')
            {
                var (ax, ay, bx, by, cx, cy) = (numbers[i], numbers[i + 1], numbers[i + 2], numbers[i + 3], numbers[i + 4], numbers[i + 5]);
                for (var k = 1; k <= 20; k++)
                {
                    var t = k / 20.0;
                    var u = 1 - t;
                    points.Add(((u * u * u * x) + (3 * u * u * t * ax) + (3 * u * t * t * bx) + (t * t * t * cx), (u * u * u * y) + (3 * u * u * t * ay) + (3 * u * t * t * by) + (t * t * t * cy)));
                }
                (x, y, i) = (cx, cy, i + 6);
            }
            else
            {
                (x, y, i) = (numbers[i], numbers[i + 1], i + 2);
                if (command == 'L')
                {
                    var (fx, fy) = points[^1];
                    for (var k = 1; k <= 20; k++) points.Add((fx + ((x - fx) * k / 20.0), fy + ((y - fy) * k / 20.0)));
                }
                else
                {
                    points.Add((x, y));
                }
            }
        }
        return points;
    }

    [Fact]
    public void No_arrow_passes_through_a_box_it_does_not_join()
    {
        // features → trunk and features → side skip columns full of boxes; so do the arrows of a wide model.
        var wide = new ModelArchitecture(
            "Wide",
            [
                new("x", ArchitectureNodeKind.Input, "[4]", 0, "") { DType = "float" },
                .. Enumerable.Range(0, 4).Select(i => new ArchitectureNode($"b{i}", ArchitectureNodeKind.Shared, "[4]", 20, "linear(4)")),
                new("c", ArchitectureNodeKind.Shared, "[4]", 20, "linear(4)"),
                new("t", ArchitectureNodeKind.Task, "[1]", 5, "concat(x, b0, b3, c) → linear(1)"),
            ],
            [
                .. Enumerable.Range(0, 4).Select(i => new ArchitectureEdge("x", $"b{i}", ArchitectureEdgeKind.Data)),
                new("b0", "c", ArchitectureEdgeKind.Data),
                new("x", "t", ArchitectureEdgeKind.Data),
                new("b0", "t", ArchitectureEdgeKind.Data),
                new("b3", "t", ArchitectureEdgeKind.Data),
                new("c", "t", ArchitectureEdgeKind.Data),
            ]);
        var crossings = 0;
        foreach (var architecture in new[] { Census(), wide })
        {
            var svg = ArchitectureDiagram.Render(architecture);
            var rects = Rects(svg);
            string Top(string node) => rects.Single(r => r.Node == node).Parent ?? node;
            foreach (var path in Paths(svg))
            {
                var ends = new[] { Top(Attribute(path, "data-from")), Top(Attribute(path, "data-to")) };
                var points = Points(Attribute(path, "d"));
                Assert.True(points.Count > 2);
                foreach (var box in rects.Where(r => r.Parent is null && !ends.Contains(r.Node)))
                {
                    var inside = points.Where(p => p.X > box.X && p.X < box.Right && p.Y > box.Y && p.Y < box.Bottom).ToList();
                    Assert.True(inside.Count == 0, $"{architecture.Model}: the arrow {ends[0]} → {ends[1]} passes through {box.Node} at {inside.FirstOrDefault()}");
                }
                if (Attribute(path, "d").Contains(" L ", StringComparison.Ordinal)) crossings++;
            }
        }

        // features → trunk, features → side (two columns each), x → c and x → t, b0 → t: each crosses a column level.
        Assert.True(crossings >= 5, $"{crossings} arrows cross a column");
    }

    [Fact]
    public void Tied_boxes_in_one_column_are_joined_by_an_arc_that_the_drawing_holds()
    {
        var svg = ArchitectureDiagram.Render(Census());
        var open = Regex.Match(svg, "<svg [^>]*>").Value;
        var tie = Paths(svg).Single(p => Attribute(p, "data-edge") == "tie");
        var xs = Regex.Matches(Attribute(tie, "d"), @"(-?[\d.]+) (-?[\d.]+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        var rects = Rects(svg).ToDictionary(r => r.Node);
        Assert.Equal(rects["tower_a"].Right, xs[0], 1);
        Assert.Equal(rects["tower_b"].Right, xs[^1], 1);
        Assert.True(xs.Max() < Number(open, "width"));
    }
}
