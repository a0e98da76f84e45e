using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated model of an <c>mmoe</c> block (the Experts example of docs/language.md): its
/// named parts, the parameter names checkpoints depend on, its parameter count against MMoE's
/// formula, which parameters are shared, and a forward that is the parts' composition.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class MixtureTests
{
    private static readonly Lazy<GeneratedAssembly> Generated = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("Experts")));

    private static MultiTaskModule Build() => (MultiTaskModule)Generated.Value.Model(Generated.Value.Models.Single(m => m.Name == "Experts"));

    [Fact]
    public void The_block_is_built_of_named_experts_and_gates_with_stable_parameter_names()
    {
        using var model = Build();
        var mix = (MixtureOfExperts)GeneratedAssembly.Get(model, "Mix")!;
        Assert.Equal(4, mix.Experts.Count);
        Assert.Equal(["income", "marital"], mix.Tasks);
        Assert.Equal([4L, 14L], mix.Gates["income"].weight.shape);

        var names = model.state_dict().Keys.Where(k => k.StartsWith("mix.", StringComparison.Ordinal)).ToList();
        var expert = new[] { "0.weight", "0.bias", "2.weight", "2.bias" };
        Assert.Equal(
            Enumerable.Range(0, 4).SelectMany(i => expert.Select(e => $"mix.experts.{i}.{e}"))
                .Concat(["mix.gates.income.weight", "mix.gates.income.bias", "mix.gates.marital.weight", "mix.gates.marital.bias"]),
            names);
    }

    [Fact]
    public void Parameter_count_is_n_experts_plus_a_gate_per_task_and_only_the_experts_are_shared()
    {
        using var model = Build();
        const long Expert = (14 * 64) + 64 + (64 * 32) + 32;
        const long Gate = (14 * 4) + 4;
        var mix = (MixtureOfExperts)GeneratedAssembly.Get(model, "Mix")!;
        Assert.Equal((4 * Expert) + (2 * Gate), mix.parameters().Sum(p => p.numel()));

        var declared = (long)Generated.Value.Type("ExpertsModel").GetField("ParameterCount")!.GetValue(null)!;
        Assert.Equal(declared, model.parameters().Sum(p => p.numel()));
        Assert.Equal((4 * Expert) + (2 * Gate) + 33 + ((32 * 16) + 16 + (16 * 7) + 7), declared);

        Assert.Equal(4 * Expert, model.SharedParameters().Sum(p => p.numel()));
        var gates = new HashSet<Tensor>(mix.Gates.Values.SelectMany(g => g.parameters()), ReferenceEqualityComparer.Instance);
        Assert.Equal(4, model.TaskParameters().Count(gates.Contains));
    }

    [Fact]
    public void Forward_feeds_each_task_its_own_mixture()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = Build();
        model.eval();
        var x = randn(5, 14);
        var output = model.forward(new Dictionary<string, Tensor> { ["features"] = x });

        var mix = (MixtureOfExperts)GeneratedAssembly.Get(model, "Mix")!;
        var income = (Sequential)GeneratedAssembly.Get(model, "Income")!;
        var marital = (Sequential)GeneratedAssembly.Get(model, "Marital")!;
        var mixed = mix.forward(x);
        Assert.True(output.Tasks["income"].equal(income.forward(mixed["income"])));
        Assert.True(output.Tasks["marital"].equal(marital.forward(mixed["marital"])));
        Assert.False(mixed["income"].equal(mixed["marital"]));
        Assert.Null(output.Shared);
    }

    private static readonly Lazy<GeneratedAssembly> ExtractionGenerated = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("Extraction")));

    [Fact]
    public void Cgc_and_ple_blocks_are_built_of_named_levels_with_the_compilers_parameter_count()
    {
        var generated = ExtractionGenerated.Value;
        using var model = (MultiTaskModule)generated.Model(generated.Models.Single(m => m.Name == "Extraction"));
        var ple = (ProgressiveLayeredExtraction)GeneratedAssembly.Get(model, "PleMix")!;
        var cgc = (ProgressiveLayeredExtraction)GeneratedAssembly.Get(model, "CgcMix")!;
        Assert.Equal((1, 2), (cgc.Levels.Count, ple.Levels.Count));
        Assert.Null(ple.Levels[1].SharedGate);
        Assert.Equal([4L, 14L], ple.Levels[0].SharedGate!.weight.shape);
        Assert.Equal([3L, 32L], ple.Levels[1].Gates["marital"].weight.shape);

        // Level of 14 inputs: 4 experts of 14·32 + 32, two gates of 14·3 + 3; PLE's first level adds a shared gate 14·4 + 4,
        // its second has experts of 32·32 + 32 and gates of 32·3 + 3.
        const long First = (4 * ((14 * 32) + 32)) + (2 * ((14 * 3) + 3));
        Assert.Equal(First, cgc.parameters().Sum(p => p.numel()));
        Assert.Equal(First + ((14 * 4) + 4) + (4 * ((32 * 32) + 32)) + (2 * ((32 * 3) + 3)), ple.parameters().Sum(p => p.numel()));
        var declared = (long)generated.Type("ExtractionModel").GetField("ParameterCount")!.GetValue(null)!;
        Assert.Equal(declared, model.parameters().Sum(p => p.numel()));

        Assert.Contains("ple_mix.levels.1.specific.marital.0.0.weight", model.state_dict().Keys);
        Assert.Contains("ple_mix.levels.0.shared_gate.bias", model.state_dict().Keys);
        Assert.Contains("cgc_mix.levels.0.gates.income.weight", model.state_dict().Keys);

        // Shared: the shared experts of every level (2 per level).
        Assert.Equal((2 * ((14 * 32) + 32)) + (2 * ((14 * 32) + 32)) + (2 * ((32 * 32) + 32)), model.SharedParameters().Sum(p => p.numel()));
    }

    [Fact]
    public void A_cross_stitch_block_is_built_of_task_towers_and_units_with_the_compilers_parameter_count()
    {
        var generated = GeneratedAssembly.Compile(DocExamples.Declaring("Stitched"));
        using var model = (MultiTaskModule)generated.Model(generated.Models.Single(m => m.Name == "Stitched"));
        var towers = (CrossStitch)GeneratedAssembly.Get(model, "Towers")!;
        Assert.Equal(["income", "marital"], towers.Towers.Keys);
        Assert.Equal(3, towers.Towers["income"].Count);
        Assert.Equal(2, towers.Stitches.Count);
        Assert.Empty(towers.Towers["marital"][2]);

        // Tower 14·32 + 32 + 32·16 + 16 = 1008, two of them; two 2×2 units.
        Assert.Equal((2 * 1008) + (2 * 4), towers.parameters().Sum(p => p.numel()));
        var declared = (long)generated.Type("StitchedModel").GetField("ParameterCount")!.GetValue(null)!;
        Assert.Equal(declared, model.parameters().Sum(p => p.numel()));
        Assert.Contains("towers.towers.marital.1.0.weight", model.state_dict().Keys);
        Assert.Contains("towers.stitches.1.weight", model.state_dict().Keys);
        Assert.Equal((2 * 1008) + (2 * 4), model.SharedParameters().Sum(p => p.numel()));
    }
}
