using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary><c>init block from "file" prefix "p."</c> and <c>freeze</c>: what they bind to, and every way to get them wrong.</summary>
public sealed class TransferTests
{
    private const string Trunk = TestCompiler.Header + "shared trunk = x -> linear(8) -> relu\nshared pool = x -> relu\n";
    private const string TwoTasks = Trunk + "task a: binary = trunk -> linear(1)\ntask b: regression(1) = concat(trunk, pool) -> linear(1)\n";

    [Fact]
    public void Init_binds_block_path_and_prefix_for_shared_blocks_and_task_heads()
    {
        var model = TestCompiler.Model(TwoTasks + "init trunk from \"runs/trunk.safetensors\"\ninit b from \"model.safetensors\" prefix \"b.\"\n");

        Assert.Equal(
            [new BlockInit("trunk", "runs/trunk.safetensors", ""), new BlockInit("b", "model.safetensors", "b.")],
            model.Inits);
        Assert.Empty(model.Training.Frozen);
    }

    [Fact]
    public void A_model_without_init_or_freeze_has_neither()
    {
        var model = TestCompiler.Model(TwoTasks);

        Assert.Empty(model.Inits);
        Assert.Empty(model.Training.Frozen);
    }

    [Fact]
    public void Freeze_statements_bind_their_blocks_in_order_across_statements()
    {
        var model = TestCompiler.Model(TwoTasks + "train {\n  freeze trunk\n  epochs 3\n  freeze b\n}\n");

        Assert.Equal(["trunk", "b"], model.Training.Frozen);
    }

    [Fact]
    public void Freezing_a_task_head_while_the_trunk_trains_suits_gradient_weighting()
    {
        var model = TestCompiler.Model(TwoTasks + "weighting pcgrad\ntrain {\n  freeze a\n}\n");

        Assert.Equal(["a"], model.Training.Frozen);
    }

    [Theory]
    [InlineData("weighting uncertainty")]
    [InlineData("weighting dwa")]
    [InlineData("weighting famo")]
    [InlineData("weighting fixed")]
    public void Loss_weighting_works_with_every_shared_block_frozen(string weighting)
    {
        var model = TestCompiler.Model(TwoTasks + weighting + "\ntrain {\n  freeze trunk\n}\n");

        Assert.Equal(["trunk"], model.Training.Frozen);
    }

    [Fact]
    public void Gradnorm_needs_only_one_shared_block_that_trains()
    {
        var text = TestCompiler.Header + "shared trunk = x -> linear(8) -> relu\nshared top = trunk -> linear(4)\ntask a: binary = top -> linear(1)\ntask b: binary = top -> linear(1)\nweighting gradnorm\ntrain {\n  freeze trunk\n}\n";

        Assert.Equal(["trunk"], TestCompiler.Model(text).Training.Frozen);
    }

    [Theory]
    [InlineData("init trnk from \"a.safetensors\"", "MTL0100", "unknown shared block or task 'trnk'", "7:6-7:10", "did you mean 'trunk'?")]
    [InlineData("init x from \"a.safetensors\"", "MTL0108", "'x' is an input: init takes a shared block or a task", "7:6-7:7", null)]
    [InlineData("init trunk \"a.safetensors\"", "MTL0314", Form, "7:1-7:27", null)]
    [InlineData("init trunk from a", "MTL0314", Form, "7:1-7:18", null)]
    [InlineData("init trunk from \"\"", "MTL0314", Form, "7:1-7:19", null)]
    [InlineData("init trunk from \"a\" prefix", "MTL0314", Form, "7:1-7:27", null)]
    [InlineData("init trunk from \"a\" prefx \"p.\"", "MTL0314", Form, "7:1-7:31", null)]
    [InlineData("init trunk from \"a\" prefix p", "MTL0314", Form, "7:1-7:29", null)]
    [InlineData("init(trunk) from \"a\"", "MTL0314", Form, "7:1-7:21", null)]
    [InlineData("initt trunk from \"a\"", "MTL0005", "unknown model statement 'initt'", "7:1-7:6", "did you mean 'init'?")]
    [InlineData("init pool from \"a\"", "MTL0116", "'pool' has no parameters, so init has nothing to load", "7:6-7:10", "remove the statement")]
    [InlineData("train {\n  freeze trnk\n}", "MTL0100", "unknown shared block or task 'trnk'", "8:10-8:14", "did you mean 'trunk'?")]
    [InlineData("train {\n  freeze x\n}", "MTL0108", "'x' is an input: freeze takes a shared block or a task", "8:10-8:11", null)]
    [InlineData("train {\n  freeze\n}", "MTL0314", "'freeze' expects blocks: freeze trunk, text", "8:3-8:9", null)]
    [InlineData("train {\n  freeze 5\n}", "MTL0314", "'freeze' expects blocks: freeze trunk, text", "8:3-8:11", null)]
    [InlineData("train {\n  freez trunk\n}", "MTL0005", "unknown train statement 'freez'", "8:3-8:8", "did you mean 'freeze'?")]
    [InlineData("train {\n  freeze pool\n}", "MTL0116", "'pool' has no parameters, so freeze has nothing to hold fixed", "8:10-8:14", "remove it from freeze")]
    [InlineData("train {\n  freeze trunk, a\n  freeze trunk\n}", "MTL0117", "'trunk' is given to freeze more than once", "9:10-9:15", null)]
    [InlineData("train {\n  freeze a, b, trunk\n}", "MTL0118", "model 'M' has nothing to train: freeze holds every block with parameters (a, b, trunk)", "8:10-8:21", "leave a block or task head unfrozen")]
    [InlineData("weighting gradnorm\ntrain {\n  freeze trunk\n}", "MTL0119", "weighting 'gradnorm' balances the tasks' gradient norms on the shared parameters, but freeze holds every shared block with parameters (trunk)", "7:11-7:19", Fix119)]
    [InlineData("weighting cagrad(c: 0.5)\ntrain {\n  freeze trunk\n}", "MTL0119", "weighting 'cagrad' combines the tasks' gradients of the shared parameters, but freeze holds every shared block with parameters (trunk)", "7:11-7:25", Fix119)]
    [InlineData("optimizer sgd {\n  group a(lr: 0.1)\n}\ntrain {\n  freeze trunk, a\n}", "MTL0320", "'a' is frozen, so its parameter group has nothing to update", "11:17-11:18", "remove its group, or do not freeze it")]
    public void Mistakes_are_reported_with_the_block_and_the_form(string statements, string code, string message, string span, string? fix)
    {
        var result = TestCompiler.Compile(TwoTasks + statements + "\n");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((code, message, span, fix), (diagnostic.Id, diagnostic.Message, diagnostic.Span.ToString(), diagnostic.Fix));
        Assert.Empty(result.Models);
    }

    private const string Form = "'init' expects a block and a file: init trunk from \"trunk.safetensors\", optionally followed by prefix \"encoder.\"";
    private const string Fix119 = "leave a shared block unfrozen, or weight the losses alone (fixed, uncertainty, dwa, rlw or famo)";
}
