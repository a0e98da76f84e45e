using Mtl.Dsl.Model;
using Mtl.Layers;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// <c>XModel.Architecture</c>, the drawing's description built at build time: every box's
/// parameter count is that of the module the generated model builds for it (a mixture's experts
/// and gates included), shapes are the inferred ones (and the heads' are what forward returns),
/// the arrows are the file's sources, hierarchical reads and ties, and the generated trainer
/// hands the architecture to the options.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class ArchitectureTests
{
    /// <summary>A merge (concat), an mmoe, a hierarchical task and a tie in one model.</summary>
    private const string Drawn = """
        model Drawn
        input x: float[16]
        input ids: long[6]
        shared words = ids -> embedding(vocab: 50, dim: 4) -> mean(dim: 1)
        shared trunk = concat(x, words) -> linear(32) -> relu
        shared mix = trunk -> mmoe(experts: 3, expert: linear(16) -> relu, tasks: [coarse, fine])
        shared tower_a = x -> linear(8)
        shared tower_b = x -> linear(8)
        task coarse: classes(3) = mix.coarse -> linear(3)
        task fine: classes(12) = concat(mix.fine, coarse) -> linear(12)
        task side: regression(1) = concat(tower_a, tower_b) -> linear(1)
        train {
          tie tower_a, tower_b l2(0.01)
        }
        """;

    private static readonly Lazy<GeneratedAssembly> Generated = new(() => GeneratedAssembly.Compile(Drawn));

    private static ModelArchitecture Architecture(GeneratedAssembly generated, MtlModel model) =>
        (ModelArchitecture)generated.Type(GeneratedNames.Model(model)).GetProperty("Architecture")!.GetValue(null)!;

    private static long Count(torch.nn.Module module) => module.parameters().Sum(p => p.numel());

    private static long CountAll(IEnumerable<torch.nn.Module> modules) => modules.Sum(Count);

    /// <summary>The module of a box that is a block or task: the model's property of that name.</summary>
    private static torch.nn.Module Module(MtlModel model, torch.nn.Module built, string name) =>
        (torch.nn.Module)GeneratedAssembly.Get(built, model.SharedBlocks.Select(b => (b.Name, b.CSharpName)).Concat(model.Tasks.Select(t => (t.Name, t.CSharpName))).Single(p => p.Name == name).CSharpName.Pascal)!;

    [Fact]
    public void Each_box_counts_the_parameters_of_its_module_and_the_total_is_the_models()
    {
        var generated = Generated.Value;
        var model = generated.Models.Single();
        var architecture = Architecture(generated, model);
        using var built = (MultiTaskModule)generated.Model(model);
        var mix = (MixtureOfExperts)GeneratedAssembly.Get(built, "Mix")!;

        var expected = new Dictionary<string, long>
        {
            ["x"] = 0,
            ["ids"] = 0,
            ["mix.experts"] = CountAll(mix.Experts),
            ["mix.gate.coarse"] = Count(mix.Gates["coarse"]),
            ["mix.gate.fine"] = Count(mix.Gates["fine"]),
        };
        foreach (var name in model.Order) expected[name] = Count(Module(model, built, name));
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), architecture.Nodes.ToDictionary(n => n.Name, n => n.Parameters).OrderBy(p => p.Key, StringComparer.Ordinal));

        // By hand: embedding 50·4; trunk (16 + 4)·32 + 32; 3 experts of 32·16 + 16 and two gates of 32·3 + 3;
        // towers 16·8 + 8; heads 16·3 + 3, (16 + 3)·12 + 12 and (8 + 8) + 1.
        Assert.Equal(
            [200L, 672L, (3 * 528) + (2 * 99), 136L, 136L, 51L, 240L, 17L],
            model.Order.Select(n => architecture.Nodes.Single(x => x.Name == n).Parameters));
        Assert.Equal(3 * 528, architecture.Nodes.Single(n => n.Name == "mix.experts").Parameters);

        Assert.Equal(Count(built), architecture.TotalParameters);
        Assert.Equal((long)generated.Type("DrawnModel").GetField("ParameterCount")!.GetValue(null)!, architecture.TotalParameters);
        Assert.Equal(200 + 672 + (3 * 528) + (2 * 99) + 136 + 136 + 51 + 240 + 17, architecture.TotalParameters);
    }

    [Fact]
    public void Shapes_are_the_inferred_ones_and_the_heads_are_what_forward_returns()
    {
        using var scope = NewDisposeScope();
        var generated = Generated.Value;
        var model = generated.Models.Single();
        var architecture = Architecture(generated, model);
        var shapes = architecture.Nodes.ToDictionary(n => n.Name, n => n.Shape);

        Assert.Equal("[16]", shapes["x"]);
        Assert.Equal("[6]", shapes["ids"]);
        Assert.Equal(["float", "long"], architecture.Nodes.Where(n => n.Kind == ArchitectureNodeKind.Input).Select(n => n.DType));
        Assert.Equal(("[4]", "[32]", "[16]", "[8]"), (shapes["words"], shapes["trunk"], shapes["mix"], shapes["tower_a"]));
        Assert.Equal(("[16]", "[3]"), (shapes["mix.experts"], shapes["mix.gate.fine"]));
        foreach (var block in model.SharedBlocks) Assert.Equal(block.Pipeline.Output.Shape.ToString(), shapes[block.Name]);

        manual_seed(5);
        using var built = (MultiTaskModule)generated.Model(model);
        built.eval();
        var output = built.forward(new Dictionary<string, Tensor> { ["x"] = randn(4, 16), ["ids"] = randint(50, [4, 6]) });
        foreach (var task in model.Tasks)
        {
            Assert.Equal(task.Pipeline.Output.Shape.ToString(), shapes[task.Name]);
            Assert.Equal("[" + string.Join(", ", output.Tasks[task.Name].shape.Skip(1)) + "]", shapes[task.Name]);
        }
        Assert.Equal(("[3]", "[12]", "[1]"), (shapes["coarse"], shapes["fine"], shapes["side"]));
    }

    [Fact]
    public void Nodes_and_arrows_follow_the_file_kinds_parents_sources_hierarchy_and_ties()
    {
        var generated = Generated.Value;
        var architecture = Architecture(generated, generated.Models.Single());
        Assert.Equal("Drawn", architecture.Model);
        Assert.Equal(
            [
                ("x", "Input", null), ("ids", "Input", null), ("words", "Shared", null), ("trunk", "Shared", null),
                ("mix", "Mixture", null), ("mix.experts", "Experts", "mix"), ("mix.gate.coarse", "Gate", "mix"), ("mix.gate.fine", "Gate", "mix"),
                ("tower_a", "Shared", null), ("tower_b", "Shared", null), ("coarse", "Task", null), ("fine", "Task", null), ("side", "Task", null),
            ],
            architecture.Nodes.Select(n => (n.Name, n.Kind.ToString(), n.Parent)));
        Assert.Equal(
            [
                new ArchitectureEdge("ids", "words", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("x", "trunk", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("words", "trunk", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("trunk", "mix", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("x", "tower_a", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("x", "tower_b", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("mix", "coarse", ArchitectureEdgeKind.Data) { Member = "coarse" },
                new ArchitectureEdge("mix", "fine", ArchitectureEdgeKind.Data) { Member = "fine" },
                new ArchitectureEdge("coarse", "fine", ArchitectureEdgeKind.Hierarchical),
                new ArchitectureEdge("tower_a", "side", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("tower_b", "side", ArchitectureEdgeKind.Data),
                new ArchitectureEdge("tower_a", "tower_b", ArchitectureEdgeKind.Tie) { Lambda = 0.01 },
            ],
            architecture.Edges);
        var summaries = architecture.Nodes.ToDictionary(n => n.Name, n => n.Summary);
        Assert.Equal("embedding(50, dim: 4) → mean(1)", summaries["words"]);
        Assert.Equal("concat(x, words) → linear(32) → relu", summaries["trunk"]);
        Assert.Equal("linear(16) → relu", summaries["mix.experts"]);
        Assert.Equal("concat(mix.fine, coarse) → linear(12)", summaries["fine"]);
        Assert.Equal(["classes(3)", "classes(12)", "regression(1)"], architecture.Nodes.Where(n => n.Kind == ArchitectureNodeKind.Task).Select(n => n.Detail));

        // The drawing renders it.
        var svg = ArchitectureDiagram.Render(architecture);
        Assert.Contains("data-node=\"mix.gate.fine\" data-kind=\"gate\" data-shape=\"[3]\" data-parameters=\"99\" data-parent=\"mix\"", svg);
    }

    [Fact]
    public void The_generated_trainer_puts_the_models_architecture_in_its_options_unless_given_one()
    {
        var generated = Generated.Value;
        var model = generated.Models.Single();
        var architecture = Architecture(generated, model);
        using (var trainer = (IDisposable)generated.Create(GeneratedNames.Trainer(model), [null]))
        {
            Assert.Same(architecture, ((TrainerOptions)GeneratedAssembly.Get(trainer, "Options")!).Architecture);
        }
        var own = new ModelArchitecture("Own", [], []);
        using (var trainer = (IDisposable)generated.Create(GeneratedNames.Trainer(model), new TrainerOptions { Architecture = own }))
        {
            Assert.Same(own, ((TrainerOptions)GeneratedAssembly.Get(trainer, "Options")!).Architecture);
        }
    }

    [Fact]
    public void The_parts_of_cgc_ple_and_cross_stitch_blocks_count_the_parameters_of_their_modules()
    {
        var extraction = GeneratedAssembly.Compile(DocExamples.Declaring("Extraction"));
        var model = extraction.Models.Single(m => m.Name == "Extraction");
        var parts = Architecture(extraction, model).Nodes.ToDictionary(n => n.Name, n => n.Parameters);
        using (var built = (MultiTaskModule)extraction.Model(model))
        {
            foreach (var (block, pascal) in new[] { ("cgc_mix", "CgcMix"), ("ple_mix", "PleMix") })
            {
                var levels = ((ProgressiveLayeredExtraction)GeneratedAssembly.Get(built, pascal)!).Levels;
                Assert.Equal(CountAll(levels.SelectMany(l => l.Shared)), parts[block + ".shared_experts"]);
                Assert.Equal(CountAll(levels.SelectMany(l => l.Specific["marital"])), parts[block + ".experts.marital"]);
                Assert.Equal(CountAll(levels.Select(l => l.Gates["income"])), parts[block + ".gate.income"]);
                Assert.Equal(CountAll(levels.Select(l => (torch.nn.Module?)l.SharedGate).OfType<torch.nn.Module>()), parts.GetValueOrDefault(block + ".shared_gate"));
                Assert.Equal(CountAll(levels), parts[block]);
            }
        }
        // ple's shared gate, first level only: 14·4 + 4.
        Assert.Equal(60, parts["ple_mix.shared_gate"]);
        Assert.False(parts.ContainsKey("cgc_mix.shared_gate"));

        var stitched = GeneratedAssembly.Compile(DocExamples.Declaring("Stitched"));
        var stitchedModel = stitched.Models.Single(m => m.Name == "Stitched");
        var stitchedParts = Architecture(stitched, stitchedModel).Nodes.ToDictionary(n => n.Name, n => n.Parameters);
        using var stitchedBuilt = (MultiTaskModule)stitched.Model(stitchedModel);
        var towers = (CrossStitch)GeneratedAssembly.Get(stitchedBuilt, "Towers")!;
        Assert.Equal(CountAll(towers.Towers["income"]), stitchedParts["towers.tower.income"]);
        Assert.Equal(CountAll(towers.Stitches), stitchedParts["towers.stitches"]);
        Assert.Equal((2 * 1008) + 8, stitchedParts["towers"]);
        Assert.Equal(Count(stitchedBuilt), Architecture(stitched, stitchedModel).TotalParameters);
    }
}
