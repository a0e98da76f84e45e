using System.Globalization;
using Mtl.Catalog;
using Mtl.Dsl.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XModel.Architecture</c>: the model's boxes and arrows for the drawing in report.html, built
/// from the semantic model at build time (shapes from shape inference, parameter counts as the
/// language counts them, PyTorch's formulas). Nodes: the inputs, then the blocks and tasks in the
/// model's order, each mixture followed by its parts; edges in the same order, then the ties.
/// </summary>
internal static class ArchitectureEmitter
{
    /// <summary>One box: what the generated <c>ArchitectureNode</c> holds.</summary>
    public sealed record Node(string Name, string Kind, string Shape, long Parameters, string Summary, string? DType = null, string? Parent = null, string? Detail = null);

    /// <summary>One arrow: what the generated <c>ArchitectureEdge</c> holds.</summary>
    public sealed record Edge(string From, string To, string Kind, string? Member = null, double? Lambda = null);

    public static void Emit(CodeWriter w, MtlModel model)
    {
        var (nodes, edges) = Describe(model);
        w.Summary($"The architecture of {model.Name} for the drawing in report.html (the generated trainer puts it in TrainerOptions.Architecture): {nodes.Count} boxes (inputs, shared blocks, mixtures with their experts and gates, task heads) with output shapes and parameter counts, and {edges.Count} arrows.");
        w.Line($"public static {Types.ModelArchitecture} Architecture {{ get; }} = new {Types.ModelArchitecture}(");
        w.Indent();
        w.Line(Literals.String(model.Name) + ",");
        w.Line($"new {Types.ArchitectureNode}[]");
        w.Line("{");
        w.Indent();
        foreach (var node in nodes)
        {
            var init = new List<string>();
            if (node.DType is { } dtype) init.Add($"DType = {Literals.String(dtype)}");
            if (node.Parent is { } parent) init.Add($"Parent = {Literals.String(parent)}");
            if (node.Detail is { } detail) init.Add($"Detail = {Literals.String(detail)}");
            w.Line($"new {Types.ArchitectureNode}({Literals.String(node.Name)}, {Types.ArchitectureNodeKind}.{node.Kind}, {Literals.String(node.Shape)}, "
                + $"{node.Parameters.ToString(CultureInfo.InvariantCulture)}L, {Literals.String(node.Summary)}){(init.Count == 0 ? "" : " { " + string.Join(", ", init) + " }")},");
        }
        w.Outdent();
        w.Line("},");
        if (edges.Count == 0)
        {
            w.Line($"global::System.Array.Empty<{Types.ArchitectureEdge}>());");
        }
        else
        {
            w.Line($"new {Types.ArchitectureEdge}[]");
            w.Line("{");
            w.Indent();
            foreach (var edge in edges)
            {
                var init = new List<string>();
                if (edge.Member is { } member) init.Add($"Member = {Literals.String(member)}");
                if (edge.Lambda is { } lambda) init.Add($"Lambda = {Literals.Double(lambda)}");
                w.Line($"new {Types.ArchitectureEdge}({Literals.String(edge.From)}, {Literals.String(edge.To)}, {Types.ArchitectureEdgeKind}.{edge.Kind}){(init.Count == 0 ? "" : " { " + string.Join(", ", init) + " }")},");
            }
            w.Outdent();
            w.Line("});");
        }
        w.Outdent();
    }

    /// <summary>The boxes and arrows of <paramref name="model"/>.</summary>
    public static (IReadOnlyList<Node> Nodes, IReadOnlyList<Edge> Edges) Describe(MtlModel model)
    {
        var nodes = new List<Node>();
        var edges = new List<Edge>();
        foreach (var input in model.Inputs)
        {
            nodes.Add(new Node(input.Name, "Input", input.Type.Shape.ToString(), 0, input.Standardize ? "standardize" : "", DType: input.Type.DType.ToName()));
        }
        var blocks = model.SharedBlocks.ToDictionary(b => b.Name);
        var tasks = model.Tasks.ToDictionary(t => t.Name);
        foreach (var name in model.Order)
        {
            var isTask = tasks.TryGetValue(name, out var task);
            var pipeline = isTask ? task!.Pipeline : blocks[name].Pipeline;
            if (isTask)
            {
                nodes.Add(new Node(name, "Task", pipeline.Output.Shape.ToString(), pipeline.ParameterCount, Summary(pipeline), Detail: TaskCatalog.Describe(task!.Kind, task.Size)));
            }
            else if (pipeline.Layers.Count == 1 && pipeline.Layers[0].Kind.HasTaskOutputs())
            {
                Mixture(name, pipeline.Layers[0], pipeline.ParameterCount, nodes);
            }
            else
            {
                nodes.Add(new Node(name, "Shared", pipeline.Output.Shape.ToString(), pipeline.ParameterCount, Summary(pipeline)));
            }
            foreach (var source in Sources(pipeline.Source))
            {
                var edge = new Edge(source.Name, name, source.Kind == SourceKind.Task ? "Hierarchical" : "Data", source.Member);
                if (!edges.Contains(edge)) edges.Add(edge);
            }
        }
        edges.AddRange(model.Training.Ties.Select(t => new Edge(t.First, t.Second, "Tie", Lambda: t.Lambda)));
        return (nodes, edges);
    }

    private static IEnumerable<ReferenceSource> Sources(PipelineSource source) => source switch
    {
        ReferenceSource reference => [reference],
        MergeSource merge => merge.Branches.SelectMany(b => Sources(b.Source)),
        _ => [],
    };

    /// <summary>
    /// A block with one output per task and its parts: the experts (shared, and each task's), each
    /// task's gate and a <c>ple</c>'s shared gate, summed over the levels; or a cross-stitch block's
    /// towers and units.
    /// </summary>
    private static void Mixture(string name, Layer layer, long parameters, List<Node> nodes)
    {
        var shape = layer.Output.Shape.ToString();
        var tasks = layer.Setting["tasks"] is ListValue list ? list.Items.Select(i => i.ToString()).ToList() : [];
        Node Part(string part, string kind, string partShape, long count, string summary, string? detail = null) =>
            new(name + "." + part, kind, partShape, count, summary, Parent: name, Detail: detail);
        if (layer.Kind == LayerKind.CrossStitch)
        {
            var stitches = layer.Body.Where(l => l.Kind == LayerKind.Stitch).ToList();
            nodes.Add(new Node(name, "Mixture", shape, parameters, $"a tower per task, mixed at {Count(stitches.Count, "stitch", "stitches")}", Detail: "cross_stitch"));
            var tower = Sum(layer.Body.Where(l => l.Kind != LayerKind.Stitch).Select(l => l.ParameterCount));
            nodes.AddRange(tasks.Select(t => Part("tower." + t, "Experts", shape, tower, Layers(layer.Body), "tower of " + t)));
            nodes.Add(Part("stitches", "Gate", $"[{tasks.Count}, {tasks.Count}]", Sum(stitches.Select(s => s.ParameterCount)), "", Count(stitches.Count, "unit", "units")));
            return;
        }
        if (layer.Kind == LayerKind.Mmoe)
        {
            var experts = layer.Setting.Integer("experts");
            var inputs = layer.Input.Shape.ElementCount;
            nodes.Add(new Node(name, "Mixture", shape, parameters, $"{Count(experts, "expert", "experts")}, a softmax gate per task", Detail: "mmoe"));
            nodes.Add(Part("experts", "Experts", shape, experts * Sum(layer.Body.Select(l => l.ParameterCount)), Layers(layer.Body), Count(experts, "expert", "experts")));
            nodes.AddRange(tasks.Select(t => Part("gate." + t, "Gate", $"[{experts}]", (inputs * experts) + experts, $"linear({experts}) → softmax", "gate of " + t)));
            return;
        }

        // cgc is ple of one level; each level's expert layers follow the previous level's in Body.
        var levels = layer.Kind == LayerKind.Ple ? (int)layer.Setting.Integer("levels") : 1;
        long shared = layer.Setting.Integer("shared"), specific = layer.Setting.Integer("specific");
        var perLevel = layer.Body.Count / levels;
        var expert = Enumerable.Range(0, levels).Select(l => Sum(layer.Body.Skip(l * perLevel).Take(perLevel).Select(x => x.ParameterCount))).ToList();
        var input = Enumerable.Range(0, levels).Select(l => (l == 0 || perLevel == 0 ? layer.Input : layer.Body[(l * perLevel) - 1].Output).Shape.ElementCount).ToList();
        var all = shared + (tasks.Count * specific);
        var word = layer.Kind == LayerKind.Ple ? "ple" : "cgc";
        var perLevelText = levels > 1 ? $" per level, {levels} levels" : "";
        nodes.Add(new Node(name, "Mixture", shape, parameters, $"{Count(shared, "shared expert", "shared experts")} and {specific} per task{perLevelText}, a softmax gate per task", Detail: word));
        var summary = Layers(layer.Body.Take(perLevel).ToList());
        if (shared > 0)
        {
            nodes.Add(Part("shared_experts", "Experts", shape, Sum(expert.Select(e => shared * e)), summary, Count(shared, "shared expert", "shared experts") + perLevelText));
        }
        if (specific > 0)
        {
            nodes.AddRange(tasks.Select(t => Part("experts." + t, "Experts", shape, Sum(expert.Select(e => specific * e)), summary, Count(specific, "expert", "experts") + " of " + t + perLevelText)));
        }
        nodes.AddRange(tasks.Select(t => Part("gate." + t, "Gate", $"[{shared + specific}]", Sum(input.Select(i => (i * (shared + specific)) + shared + specific)), $"linear({shared + specific}) → softmax", "gate of " + t)));
        if (levels > 1)
        {
            nodes.Add(Part("shared_gate", "Gate", $"[{all}]", Sum(input.Take(levels - 1).Select(i => (i * all) + all)), $"linear({all}) → softmax", levels == 2 ? "first level" : $"first {levels - 1} levels"));
        }
    }

    private static string Count(long count, string one, string many) => count == 1 ? $"1 {one}" : $"{count} {many}";

    private static long Sum(IEnumerable<long> values) => values.Aggregate(0L, (a, b) => a + b);

    /// <summary>A pipeline in short: a merge's branches, then its layers, <c>concat(a, b) → linear(64) → relu</c>.</summary>
    public static string Summary(Pipeline pipeline)
    {
        var layers = Layers(pipeline.Layers);
        if (pipeline.Source is not MergeSource merge) return layers;
        var branches = merge.Branches.Select(b => Source(b.Source) + (b.Layers.Count == 0 ? "" : " → " + Layers(b.Layers)));
        var head = (merge.Kind == MergeKind.Concat ? "concat(" : "add(") + string.Join(", ", branches) + ")";
        return layers.Length == 0 ? head : head + " → " + layers;
    }

    private static string Source(PipelineSource source) => source switch
    {
        ReferenceSource { Member: { } member } reference => reference.Name + "." + member,
        ReferenceSource reference => reference.Name,
        MergeSource merge => (merge.Kind == MergeKind.Concat ? "concat(" : "add(") + string.Join(", ", merge.Branches.Select(b => Source(b.Source))) + ")",
        _ => "?",
    };

    /// <summary>Layers as written, with the options the file wrote: <c>linear(64) → relu → dropout(0.2)</c>.</summary>
    public static string Layers(IReadOnlyList<Layer> layers) => string.Join(" → ", layers.Select(Layer));

    private static string Layer(Layer layer) => layer.Kind switch
    {
        LayerKind.Residual => $"residual({Layers(layer.Body)})",
        LayerKind.Stitch => "stitch",
        _ => Call(layer.Setting),
    };

    /// <summary>The layer's name and the options written in the file: the first by value, the rest by name.</summary>
    private static string Call(Setting setting)
    {
        var written = setting.Options.Where(o => !o.IsDefault && o.Value is not null).ToList();
        if (written.Count == 0) return setting.Name;
        var first = setting.Options[0].Name;
        return setting.Name + "(" + string.Join(", ", written.Select(o => o.Name == first ? o.Value!.ToString() : $"{o.Name}: {o.Value}")) + ")";
    }
}
