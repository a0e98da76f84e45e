using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary><c>stage name { ... }</c> in <c>train { }</c>: what each form binds to, what a stage inherits and holds, and every way to get it wrong.</summary>
public sealed class StageTests
{
    private const string Trunk = TestCompiler.Header + "shared trunk = x -> linear(8) -> relu\nshared pool = x -> relu\n";
    private const string TwoTasks = Trunk + "task a: binary = trunk -> linear(1)\ntask b: regression(1) = concat(trunk, pool) -> linear(1)\n";

    [Fact]
    public void Stages_bind_in_order_with_their_own_settings_and_inherit_the_rest()
    {
        var model = TestCompiler.Model(TwoTasks + """
            train {
              epochs 4
              stage pretrain {
                tasks a
                epochs 2
              }
              stage finetune {
                optimizer sgd(lr: 0.01)
                schedule cosine
                freeze trunk
                early_stop(monitor: b.loss, patience: 2)
              }
            }

            """);

        var stages = model.Training.Stages;
        Assert.Equal(["pretrain", "finetune"], stages.Select(s => s.Name));
        Assert.Equal(new Stage("pretrain", 2, Names("a"), null, null, Names(), Names("b"), null), stages[0]);
        var finetune = stages[1];
        Assert.Equal(4, finetune.Epochs);
        Assert.Empty(finetune.Tasks);
        Assert.Equal("sgd", finetune.Optimizer!.Setting.Name);
        Assert.Equal(["cosine"], finetune.Schedule!.Value.Select(s => s.Name));
        Assert.Equal(["trunk"], finetune.Frozen);
        Assert.Empty(finetune.Idle);
        Assert.Equal(new EarlyStop("b", "loss", 2, MonitorMode.Min, 0), finetune.EarlyStop);
        // The train section's own settings stay as they were: the defaults of every stage.
        Assert.Equal(4, model.Training.Epochs);
        Assert.Empty(model.Training.Frozen);
    }

    [Fact]
    public void A_stage_s_own_optimizer_takes_its_groups_and_a_model_statement_after_an_unclosed_train_still_ends_it()
    {
        var model = TestCompiler.Model(TwoTasks + "train {\n  stage s {\n    optimizer adam(lr: 1e-4) {\n      group a(lr: 1e-5)\n    }\n    schedule cosine\n  }\n}\n");
        var stage = Assert.Single(model.Training.Stages);
        Assert.Equal("a", Assert.Single(stage.Optimizer!.Groups).Block);
        Assert.Equal("adam", model.Optimizer.Setting.Name);

        // Directly in train (not in a stage) a line starting 'optimizer' is the model's, as before: the '}' was forgotten.
        var unclosed = TestCompiler.Compile(TwoTasks + "train {\n  epochs 2\noptimizer sgd(lr: 0.1)\n");
        Assert.Equal(["MTL0004"], unclosed.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void A_model_without_stages_has_none_and_an_empty_stage_inherits_everything()
    {
        Assert.Empty(TestCompiler.Model(TwoTasks + "train {\n  epochs 3\n}\n").Training.Stages);

        var stage = Assert.Single(TestCompiler.Model(TwoTasks + "train {\n  epochs 3\n  stage all {\n  }\n}\n").Training.Stages);

        Assert.Equal(new Stage("all", 3, Names(), null, null, Names(), Names(), null), stage);
    }

    [Fact]
    public void The_head_of_an_inactive_task_that_an_active_task_reads_still_trains()
    {
        var model = TestCompiler.Model(TwoTasks + "task c: regression(1) = a -> linear(1)\ntrain {\n  freeze b\n  stage c_only {\n    tasks c\n  }\n}\n");

        // c reads a's output, so a's head trains with c's loss; b is frozen for the whole run already.
        Assert.Empty(Assert.Single(model.Training.Stages).Idle);
        var other = TestCompiler.Model(TwoTasks + "task c: regression(1) = a -> linear(1)\ntrain {\n  stage b_only {\n    tasks b\n  }\n}\n");
        Assert.Equal(["a", "c"], Assert.Single(other.Training.Stages).Idle);
    }

    private static EquatableArray<string> Names(params string[] names) => names.ToEquatableArray();

    [Theory]
    [InlineData("train {\n  stage s {\n    tasks aa\n  }\n}", "MTL0120", "stage 's' trains unknown task 'aa'", "9:11-9:13", "did you mean 'a'?")]
    [InlineData("train {\n  stage s {\n  }\n  stage s {\n  }\n}", "MTL0121", "stage 's' is declared twice in model 'M'", "10:9-10:10", "give each stage its own name")]
    [InlineData("train {\n  freeze trunk\n  stage s {\n    tasks a\n    freeze a\n  }\n}", "MTL0122", "stage 's' has nothing to train: every block with parameters that its tasks (a) read is frozen (trunk, a)", "9:9-9:10", "train another task in the stage, or freeze less")]
    [InlineData("train {\n  stage s {\n    batch_size 8\n  }\n}", "MTL0123", "'batch_size' cannot be set in a stage: it holds for the whole run (a stage sets epochs, tasks, optimizer, schedule, freeze and early_stop)", "9:5-9:15", "move it out of the stage, into train { }")]
    [InlineData("train {\n  stage s {\n    stage t {\n    }\n  }\n}", "MTL0123", "'stage' cannot be set in a stage: it holds for the whole run (a stage sets epochs, tasks, optimizer, schedule, freeze and early_stop)", "9:5-9:10", "move it out of the stage, into train { }")]
    [InlineData("train {\n  stage s {\n    epoch 3\n  }\n}", "MTL0005", "unknown stage statement 'epoch'", "9:5-9:10", "did you mean 'epochs'?")]
    [InlineData("train {\n  stage {\n  }\n}", "MTL0314", "'stage' expects a name and a block: stage pretrain { epochs 10 }", "8:3-9:4", null)]
    [InlineData("train {\n  stage s {\n    tasks a, a\n  }\n}", "MTL0117", "'a' is given to tasks more than once", "9:14-9:15", null)]
    [InlineData("train {\n  freeze trunk\n  stage s {\n    freeze trunk\n  }\n}", "MTL0117", "'trunk' is given to freeze more than once", "10:12-10:17", null)]
    [InlineData("train {\n  stage s {\n    epochs 0\n  }\n}", "MTL0305", "'epochs' of 'stage' must be at least 1; found 0", "9:12-9:13", null)]
    [InlineData("optimizer sgd {\n  group a(lr: 0.1)\n}\ntrain {\n  stage s {\n    freeze a\n  }\n}", "MTL0320", "'a' is frozen, so its parameter group has nothing to update", "12:12-12:13", "remove its group, or do not freeze it in this stage")]
    [InlineData("weighting pcgrad\ntrain {\n  stage s {\n    freeze trunk\n  }\n}", "MTL0124", "stage 's' freezes every shared block with parameters (trunk), but weighting 'pcgrad' combines the tasks' gradients of the shared parameters", "9:9-9:10", Fix124)]
    public void Mistakes_are_reported_with_the_stage_and_the_form(string statements, string code, string message, string span, string? fix)
    {
        var result = TestCompiler.Compile(TwoTasks + statements + "\n");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((code, message, span, fix), (diagnostic.Id, diagnostic.Message, diagnostic.Span.ToString(), diagnostic.Fix));
        Assert.Empty(result.Models);
    }

    private const string Fix124 = "leave a shared block unfrozen in the stage, or weight the losses alone (fixed, uncertainty, dwa, rlw or famo)";
}
