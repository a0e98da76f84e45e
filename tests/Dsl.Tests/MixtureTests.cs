using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>
/// <c>mmoe(...)</c>: shapes through the experts, parameter counts against MMoE's formula
/// n·(one expert's) + tasks·(in·n + n), the one-output-per-task reads (<c>mix.income</c>) and each
/// way to get them wrong, with its location.
/// </summary>
public sealed class MixtureTests
{
    private const string Census = """
        model M
        input x: float[14]
        shared mix = x -> mmoe(experts: 4, expert: linear(64) -> relu -> linear(32), tasks: [income, marital])
        task income: binary = mix.income -> linear(1)
        task marital: classes(7) = mix.marital -> linear(7)
        """;

    [Fact]
    public void Experts_and_gates_infer_the_expert_output_and_count_n_experts_plus_a_gate_per_task()
    {
        var model = TestCompiler.Model(Census);
        var block = Assert.Single(model.SharedBlocks);
        var layer = Assert.Single(block.Pipeline.Layers);
        Assert.Equal(LayerKind.Mmoe, layer.Kind);
        Assert.Equal("[14]", layer.Input.Shape.ToString());
        Assert.Equal("[32]", layer.Output.Shape.ToString());
        Assert.Equal(3, layer.Body.Count);

        // One expert: 14·64 + 64 + 64·32 + 32 = 3040; a gate: 14·4 + 4 = 60.
        Assert.Equal((14 * 64) + 64 + (64 * 32) + 32, 3040);
        Assert.Equal((4 * 3040) + (2 * 60), block.ParameterCount);
        Assert.Equal(4L, layer.Setting.Integer("experts"));
        Assert.Equal("[income, marital]", layer.Setting["tasks"]!.ToString());

        var income = model.Tasks.Single(t => t.Name == "income");
        var source = Assert.IsType<ReferenceSource>(income.Pipeline.Source);
        Assert.Equal(("mix", SourceKind.Shared, "income", "[32]"), (source.Name, source.Kind, source.Member, source.Output.Shape.ToString()));
        Assert.Equal(33L, income.ParameterCount);
        Assert.Equal(12280L + 33 + (32 * 7) + 7, model.ParameterCount);
    }

    [Fact]
    public void A_mixture_read_per_task_is_no_shared_representation()
    {
        Assert.Null(TestCompiler.Model(Census).SharedRepresentation);
    }

    [Fact]
    public void The_gate_reads_the_source_flattened_so_an_image_source_counts_every_value()
    {
        var model = TestCompiler.Model("""
            model M
            input image: float[2, 4, 4]
            shared mix = image -> mmoe(experts: 3, expert: conv2d(5, 3) -> flatten, tasks: [a, b])
            task a: regression(1) = mix.a -> linear(1)
            task b: binary = mix.b -> linear(1)
            """);
        var layer = Assert.Single(model.SharedBlocks[0].Pipeline.Layers);
        Assert.Equal("[20]", layer.Output.Shape.ToString());

        // Expert: conv 5·2·9 + 5 = 95; gate: 32·3 + 3 = 99.
        Assert.Equal((3 * 95) + (2 * 99), layer.ParameterCount);
    }

    [Fact]
    public void Mixtures_stack_a_task_output_feeding_another_mixture()
    {
        var model = TestCompiler.Model("""
            model M
            input x: float[8]
            shared low = x -> mmoe(experts: 2, expert: linear(6) -> relu, tasks: [a, b])
            shared high = low.a -> mmoe(experts: 2, expert: linear(4), tasks: [a, b])
            task a: regression(1) = concat(high.a, low.b) -> linear(1)
            task b: binary = high.b -> linear(1)
            """);
        Assert.Equal(["low", "high", "a", "b"], model.Order);

        // low: 2·(8·6 + 6) + 2·(8·2 + 2) = 144; high: 2·(6·4 + 4) + 2·(6·2 + 2) = 84.
        Assert.Equal([144L, 84L], model.SharedBlocks.Select(b => b.ParameterCount));
    }

    [Theory]
    [InlineData("shared mix = x -> mmoe(experts: 2, expert: linear(4), tasks: [t])\ntask t: binary = mix.tt -> linear(1)",
        "5:22-5:24 error MTL0130: 'mix' has no output 'tt': its outputs are mix.t; list the task in its 'tasks' to add one", "did you mean 't'?")]
    [InlineData("shared trunk = x -> linear(4)\ntask t: binary = trunk.t -> linear(1)",
        "5:18-5:25 error MTL0130: 'trunk' has no output 't': 'trunk' has a single output; only a mixture of experts or cross_stitch has one per task", "read 'trunk'")]
    [InlineData("shared mix = x -> mmoe(experts: 2, expert: linear(4), tasks: [t])\ntask t: binary = mix -> linear(1)",
        "5:18-5:21 error MTL0131: 'mix' has one output per task (t): read one of them, as mix.t", "read 'mix.t'")]
    [InlineData("shared mix = x -> mmoe(experts: 2, expert: linear(4), tasks: [t, u])\ntask t: binary = mix.t -> linear(1)\ntask u: binary = x -> linear(1)",
        "4:66-4:67 error MTL0132: 'mix' has an output for task 'u', but nothing reads mix.u", "read it in task 'u' (mix.u -> ...) or leave 'u' out of tasks")]
    [InlineData("shared mix = x -> mmoe(experts: 2, expert: linear(4), tasks: [tt])\ntask t: binary = mix.tt -> linear(1)",
        "4:63-4:65 error MTL0133: 'mmoe' lists 'tt', which is not a task of the model", "did you mean 't'?")]
    [InlineData("shared mix = x -> linear(4) -> mmoe(experts: 2, expert: linear(4), tasks: [t])\ntask t: binary = mix.t -> linear(1)",
        "4:32-4:36 error MTL0330: 'mmoe' must be the only layer of a shared block, right after its source: shared mix = features -> mmoe(...)", null)]
    [InlineData("task t: binary = x -> mmoe(experts: 2, expert: linear(1), tasks: [t])",
        "4:23-4:27 error MTL0330: 'mmoe' must be the only layer of a shared block, right after its source: shared mix = features -> mmoe(...)", null)]
    [InlineData("shared mix = x -> mmoe(experts: 2, expert: linear(4), tasks: [t, t])\ntask t: binary = mix.t -> linear(1)",
        "4:66-4:67 error MTL0331: 'mmoe' lists task 't' twice", null)]
    [InlineData("shared mix = x -> mmoe(experts: 0, expert: linear(4), tasks: [t])\ntask t: binary = mix.t -> linear(1)",
        "4:33-4:34 error MTL0305: 'experts' of 'mmoe' must be at least 1; found 0", null)]
    [InlineData("shared mix = x -> mmoe(experts: 2, expert: linear(4), tasks: [t], gates: 2)\ntask t: binary = mix.t -> linear(1)",
        "4:67-4:72 error MTL0300: 'mmoe' has no option 'gates'", "expected one of: experts, expert, tasks")]
    [InlineData("shared mix = x -> mmoe(experts: 2, tasks: [t])\ntask t: binary = mix.t -> linear(1)",
        "4:19-4:47 error MTL0302: 'mmoe' needs 'expert'", null)]
    [InlineData("shared mix = x -> mmoe(experts: 2, expert: linear(4), tasks: t)\ntask t: binary = mix.t -> linear(1)",
        "4:62-4:63 error MTL0304: 'tasks' of 'mmoe' expects a list of task names: [income, marital]; found 't'", null)]
    public void Mistakes_are_reported_where_they_are(string declarations, string expected, string? fix)
    {
        var diagnostic = TestCompiler.Single(TestCompiler.Header + "input ids: long[3]\n" + declarations + "\ntask z: regression(1) = ids -> embedding(vocab: 5, dim: 2) -> flatten -> linear(1)\n");
        Assert.Equal(expected, $"{diagnostic.Span} {(diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning")} {diagnostic.Id}: {diagnostic.Message}");
        Assert.Equal(fix, diagnostic.Fix);
    }

    [Fact]
    public void Integer_ids_cannot_feed_the_gates()
    {
        var diagnostic = TestCompiler.Single("""
            model M
            input ids: long[3]
            shared mix = ids -> mmoe(experts: 2, expert: embedding(vocab: 5, dim: 2) -> flatten, tasks: [t])
            task t: binary = mix.t -> linear(1)
            """);
        Assert.Equal("3:21-3:97 error MTL0206: 'mmoe' expects float or double input; input is long[3]",
            $"{diagnostic.Span} error {diagnostic.Id}: {diagnostic.Message}");
    }

    [Fact]
    public void A_shape_error_inside_the_expert_is_reported_at_its_layer()
    {
        var diagnostic = TestCompiler.Single("""
            model M
            input x: float[2, 3]
            shared mix = x -> mmoe(experts: 2, expert: conv2d(4, 1), tasks: [t])
            task t: binary = mix.t -> flatten -> linear(1)
            """);
        Assert.Equal(("MTL0200", "3:44-3:56"), (diagnostic.Id, diagnostic.Span.ToString()));
    }

    [Fact]
    public void Cgc_counts_shared_and_task_specific_experts_and_a_gate_per_task_over_its_own_and_the_shared()
    {
        var model = TestCompiler.Model("""
            model M
            input x: float[10]
            shared mix = x -> cgc(shared: 2, specific: 1, expert: linear(8) -> relu, tasks: [a, b])
            task a: regression(1) = mix.a -> linear(1)
            task b: binary = mix.b -> linear(1)
            """);
        var layer = Assert.Single(model.SharedBlocks[0].Pipeline.Layers);
        Assert.Equal((LayerKind.Cgc, "[8]", 2), (layer.Kind, layer.Output.Shape.ToString(), layer.Body.Count));

        // Expert 10·8 + 8 = 88, 2 + 2·1 experts; each gate mixes 1 + 2: 10·3 + 3.
        Assert.Equal((4 * 88) + (2 * 33), layer.ParameterCount);
        Assert.Equal("shared: 2, specific: 1, tasks: [a, b]", string.Join(", ", layer.Setting.Options.Select(o => $"{o.Name}: {o.Value}")));
    }

    [Fact]
    public void Ple_levels_read_the_previous_levels_output_and_all_but_the_last_have_a_shared_gate()
    {
        var model = TestCompiler.Model("""
            model M
            input x: float[10]
            shared mix = x -> ple(levels: 2, shared: 2, specific: 1, expert: linear(8) -> relu, tasks: [a, b])
            task a: regression(1) = mix.a -> linear(1)
            task b: binary = mix.b -> linear(1)
            """);
        var layer = Assert.Single(model.SharedBlocks[0].Pipeline.Layers);
        Assert.Equal((LayerKind.Ple, "[8]", 4), (layer.Kind, layer.Output.Shape.ToString(), layer.Body.Count));
        Assert.Equal(["[10]", "[8]"], layer.Body.Where(l => l.Kind == LayerKind.Linear).Select(l => l.Input.Shape.ToString()));

        // Level 1: 4·88 + 2·(10·3 + 3) + shared gate 10·4 + 4; level 2: 4·(8·8 + 8) + 2·(8·3 + 3).
        var level1 = (4 * 88) + (2 * 33) + 44;
        var level2 = (4 * 72) + (2 * 27);
        Assert.Equal(level1 + level2, layer.ParameterCount);
    }

    [Theory]
    [InlineData("cgc(shared: 0, specific: 0, expert: linear(4), tasks: [t])",
        "4:19-4:77 error MTL0315: 'cgc': 'shared' and 'specific' are both 0, so a task's gate has no expert to mix")]
    [InlineData("cgc(shared: 1, expert: linear(4), tasks: [t])", "4:19-4:64 error MTL0302: 'cgc' needs 'specific'")]
    [InlineData("ple(shared: 1, specific: 1, expert: linear(4), tasks: [t])", "4:19-4:77 error MTL0302: 'ple' needs 'levels'")]
    [InlineData("ple(levels: 0, shared: 1, specific: 1, expert: linear(4), tasks: [t])", "4:31-4:32 error MTL0305: 'levels' of 'ple' must be at least 1; found 0")]
    [InlineData("ple(levels: 2, shared: 1, specific: 1, expert: conv1d(2, 3) -> flatten, tasks: [t])", "4:66-4:89 error MTL0216: 'ple' level 2 runs the expert on level 1's output float[4], which it cannot read: 'conv1d' expects [channels, length] input; input is [4]")]
    public void Cgc_and_ple_mistakes_are_reported_where_they_are(string mixture, string expected)
    {
        var input = mixture.Contains("conv1d") ? "input x: float[2, 4]\n" : "input x: float[4]\n";
        var diagnostic = TestCompiler.Single("model M\n" + input + "\nshared mix = x -> " + mixture + "\ntask t: binary = mix.t -> linear(1)\n");
        Assert.Equal(expected, $"{diagnostic.Span} error {diagnostic.Id}: {diagnostic.Message}");
    }

    [Fact]
    public void Cross_stitch_counts_a_tower_per_task_and_a_t_by_t_unit_per_stitch()
    {
        var model = TestCompiler.Model("""
            model M
            input x: float[10]
            shared towers = x -> cross_stitch(tower: linear(8) -> relu -> stitch -> linear(4) -> stitch, tasks: [a, b, c])
            task a: regression(1) = towers.a -> linear(1)
            task b: binary = towers.b -> linear(1)
            task c: binary = towers.c -> linear(1)
            """);
        var layer = Assert.Single(model.SharedBlocks[0].Pipeline.Layers);
        Assert.Equal((LayerKind.CrossStitch, "[4]"), (layer.Kind, layer.Output.Shape.ToString()));
        Assert.Equal([LayerKind.Linear, LayerKind.Relu, LayerKind.Stitch, LayerKind.Linear, LayerKind.Stitch], layer.Body.Select(l => l.Kind));
        Assert.Equal([9L, 9L], layer.Body.Where(l => l.Kind == LayerKind.Stitch).Select(l => l.ParameterCount));

        // Tower 10·8 + 8 + 8·4 + 4 = 124, three of them; two 3×3 units.
        Assert.Equal((3 * 124) + (2 * 9), layer.ParameterCount);
    }

    [Theory]
    [InlineData("shared towers = x -> cross_stitch(tower: linear(4) -> stitch, tasks: [t], extra: 1)\ntask t: binary = towers.t -> linear(1)",
        "4:75-4:80 error MTL0300: 'cross_stitch' has no option 'extra'")]
    [InlineData("shared towers = x -> cross_stitch(tower: linear(4) -> stitch(2), tasks: [t])\ntask t: binary = towers.t -> linear(1)",
        "4:62-4:63 error MTL0300: 'stitch' has no option '2'")]
    [InlineData("task t: binary = x -> cross_stitch(tower: linear(1) -> stitch, tasks: [t])",
        "4:23-4:35 error MTL0330: 'cross_stitch' must be the only layer of a shared block, right after its source: shared mix = features -> cross_stitch(...)")]
    [InlineData("shared towers = x -> cross_stitch(tower: linear(4) -> stitch, tasks: [t, u])\ntask t: binary = towers.t -> linear(1)\ntask u: binary = x -> linear(1)",
        "4:74-4:75 error MTL0132: 'towers' has an output for task 'u', but nothing reads towers.u")]
    [InlineData("shared towers = x -> cross_stitch(tower: residual(linear(4) -> stitch), tasks: [t])\ntask t: binary = towers.t -> linear(1)",
        "4:64-4:70 error MTL0332: 'stitch' marks where cross_stitch mixes its towers, so it stands only in a cross_stitch tower")]
    public void Cross_stitch_mistakes_are_reported_where_they_are(string declarations, string expected)
    {
        var diagnostic = TestCompiler.Single(TestCompiler.Header + "\n" + declarations + "\n");
        Assert.Equal(expected, $"{diagnostic.Span} error {diagnostic.Id}: {diagnostic.Message}");
    }

    [Fact]
    public void A_tie_compares_mixtures_by_their_counts_tasks_and_expert_layers()
    {
        const string Model = """
            model M
            input x: float[6]
            shared m1 = x -> mmoe(experts: 2, expert: linear(4), tasks: [a, b])
            shared m2 = x -> mmoe(experts: EXPERTS, expert: linear(4), tasks: [a, b])
            task a: regression(1) = concat(m1.a, m2.a) -> linear(1)
            task b: binary = concat(m1.b, m2.b) -> linear(1)
            train {
              tie m1, m2 l2(0.1)
            }
            """;
        Assert.Equal(new Tie("m1", "m2", 0.1), Assert.Single(TestCompiler.Model(Model.Replace("EXPERTS", "2")).Training.Ties));

        var diagnostic = TestCompiler.Single(Model.Replace("EXPERTS", "3"));
        Assert.Equal("MTL0209", diagnostic.Id);
        Assert.Equal(
            "tie needs blocks with the same parameters: 'm1' has [mmoe(experts: 2, tasks: [a, b]) [6] -> [4] [linear [6] -> [4]]], "
            + "'m2' has [mmoe(experts: 3, tasks: [a, b]) [6] -> [4] [linear [6] -> [4]]]",
            diagnostic.Message);
    }
}
