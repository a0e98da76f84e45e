using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>Diagnostics beyond the documented examples: each asserts code, message, span and fix.</summary>
public sealed class DiagnosticTests
{
    [Theory]
    [InlineData("train {\n  epoch 5\n}", "MTL0005", "unknown train statement 'epoch'", "5:3-5:8", "did you mean 'epochs'?")]
    [InlineData("train {\n  update sideways\n}", "MTL0304", "'update' of 'train' expects one of joint, alternate; found 'sideways'", "5:10-5:18", null)]
    [InlineData("train {\n  sampling round_robn\n}", "MTL0306", "unknown sampling 'round_robn'", "5:12-5:22", "did you mean 'round_robin'?")]
    [InlineData("train {\n  relatedness(every: 0)\n}", "MTL0305", "'every' of 'relatedness' must be at least 1; found 0", "5:22-5:23", null)]
    [InlineData("train {\n  relatedness 5\n}", "MTL0314", "'relatedness' expects relatedness or relatedness(every: 50)", "5:3-5:16", null)]
    [InlineData("train {\n  relatedness(evry: 5)\n}", "MTL0300", "'relatedness' has no option 'evry'", "5:15-5:19", "did you mean 'every'?")]
    [InlineData("train {\n  epochs 0\n}", "MTL0305", "'epochs' of 'train' must be at least 1; found 0", "5:10-5:11", null)]
    [InlineData("train {\n  tie x, t l2(0.1)\n}", "MTL0108", "'x' is an input: tie takes a shared block or a task", "5:7-5:8", null)]
    [InlineData("train\n", "MTL0314", "'train' expects a block: train { epochs 20 }", "4:1-4:6", null)]
    [InlineData("optimizer sgd(lr: -0.1)", "MTL0305", "'lr' of 'sgd' must be greater than 0; found -0.1", "4:19-4:23", null)]
    [InlineData("optimizer adam(betas: [0.9])", "MTL0304", "'betas' of 'adam' expects a list of 2 numbers; found '[...]'", "4:23-4:28", null)]
    [InlineData("optimizer adam {\n  group trnk(lr: 1)\n}", "MTL0100", "unknown shared block or task 'trnk'", "5:9-5:13", null)]
    [InlineData("optimizer adam {\n  grop t(lr: 1)\n}", "MTL0005", "unknown optimizer statement 'grop'", "5:3-5:7", "did you mean 'group'?")]
    [InlineData("schedule plateau(monitor: u.auc)", "MTL0111", "plateau monitors unknown task 'u'", "4:27-4:32", "did you mean 't'?")]
    [InlineData("schedule warmup(steps: 5) -> plateau(t.rmse, patience: 2)", "MTL0112", "task 't' does not report 'rmse': it reports accuracy, auc, loss", "4:38-4:44", null)]
    [InlineData("train {\n  early_stop(t.rmse)\n}", "MTL0112", "task 't' does not report 'rmse': it reports accuracy, auc, loss", "5:14-5:20", null)]
    [InlineData("schedule cosine(steps: 10) -> warmup(steps: 5) -> exponential(0.9)", null, null, null, null)]
    [InlineData("weighting cagrad(c: 1)", "MTL0305", "'c' of 'cagrad' must be in [0, 1); found 1", "4:21-4:22", null)]
    [InlineData("weighting rlw(c: 1)", "MTL0300", "'rlw' has no option 'c'", "4:15-4:16", "'rlw' takes no options")]
    [InlineData("weighting aligned_mtl(c: 1)", "MTL0300", "'aligned_mtl' has no option 'c'", "4:23-4:24", "expected one of: gradients")]
    [InlineData("weighting aligned_mtl(gradients: represent)", "MTL0304", "'gradients' of 'aligned_mtl' expects one of parameters, representation; found 'represent'", "4:34-4:43", null)]
    [InlineData("weighting pcgrad(gradients: representation)", "MTL0326", "'pcgrad' has no representation-gradient mode: 'gradients' is an option of mgda, imtl, graddrop, aligned_mtl only", "4:18-4:43", "drop 'gradients', or use one of those methods")]
    [InlineData("weighting gradnorm(alpha: 1, gradients: representation)", "MTL0326", "'gradnorm' has no representation-gradient mode: 'gradients' is an option of mgda, imtl, graddrop, aligned_mtl only", "4:30-4:55", "drop 'gradients', or use one of those methods")]
    [InlineData("weighting famo(gradients: parameters)", "MTL0326", "'famo' has no representation-gradient mode: 'gradients' is an option of mgda, imtl, graddrop, aligned_mtl only", "4:16-4:37", "drop 'gradients', or use one of those methods")]
    [InlineData("weighting fixed(gradients: representation)", "MTL0326", "'fixed' has no representation-gradient mode: 'gradients' is an option of mgda, imtl, graddrop, aligned_mtl only", "4:17-4:42", "drop 'gradients', or use one of those methods")]
    [InlineData("weighting mgda(ub: true, gradients: parameters)", "MTL0315", "'mgda': 'ub: true' means 'gradients: representation', so it contradicts 'gradients: parameters'", "4:26-4:47", "drop 'ub' or 'gradients'")]
    [InlineData("weighting mgda(ub: false, gradients: representation)", "MTL0315", "'mgda': 'ub: false' means 'gradients: parameters', so it contradicts 'gradients: representation'", "4:27-4:52", "drop 'ub' or 'gradients'")]
    [InlineData("weighting imtl(gradients: representation)", "MTL0114", "weighting 'imtl(gradients: representation)' needs one shared block that every task reads directly (its gradients are taken there), but the tasks read different sources: 't' reads input 'x'", "4:11-4:42", "let every task read one shared block, or drop 'gradients'")]
    [InlineData("weighting mgda(ub: true)", "MTL0114", "weighting 'mgda(ub: true)' needs one shared block that every task reads directly (its gradients are taken there), but the tasks read different sources: 't' reads input 'x'", "4:11-4:25", "let every task read one shared block, or drop 'ub'")]
    [InlineData("regularize l1(0.1)", "MTL0306", "unknown regularizer 'l1'", "4:12-4:14", "did you mean 'l2'?")]
    public void Model_settings(string settings, string? code, string? message, string? span, string? fix)
    {
        AssertDiagnostic(TestCompiler.Header + TestCompiler.Task + settings + "\n", code, message, span, fix);
    }

    [Theory]
    [InlineData("x -> relu(slope: 1) -> linear(1)", "MTL0300", "'relu' has no option 'slope'", "3:28-3:33", "'relu' takes no options")]
    [InlineData("x -> flatten(1) -> linear(1)", "MTL0301", "'flatten' takes at most 0 positional arguments; found 1", "3:31-3:32", null)]
    [InlineData("x -> linear(99999999999999999999) -> linear(1)", "MTL0305", "'out' of 'linear' must be in [1, 2147483647]; found 99999999999999999999", "3:30-3:50", null)]
    [InlineData("x -> lstm(8, reduce: lst) -> linear(1)", "MTL0304", "'reduce' of 'lstm' expects one of none, last, mean; found 'lst'", "3:39-3:42", "did you mean 'last'?")]
    [InlineData("x -> linear(bias: 1, out: 1)", "MTL0304", "'bias' of 'linear' expects true or false; found '1'", "3:36-3:37", null)]
    [InlineData("concat(x) -> linear(1)", "MTL0314", "'concat' expects two or more sources", "3:18-3:27", null)]
    [InlineData("linear(1)", "MTL0314", "'t' expects a source first (an input, shared block, task, concat or add); found layer 'linear'", "3:18-3:27", null)]
    [InlineData("x -> t", "MTL0106", "unknown layer 't'", "3:23-3:24", "'t' can only start a pipeline; combine sources with concat or add")]
    [InlineData("x -> linear(1) -> 5", "MTL0314", "'t' expects a layer after '->'; found '5'", "3:36-3:37", null)]
    [InlineData("concat(x, x, dim: 0) -> linear(1)", "MTL0208", "'concat' dim 0 is out of range for input [4]", "3:18-3:38", "use 1 or -1 (dim 0 is the batch)")]
    [InlineData("x -> residual(relu, relu)", "MTL0314", "'residual' expects one pipeline of layers: residual(linear(64) -> relu)", "3:23-3:43", null)]
    public void Pipelines(string pipeline, string code, string message, string span, string? fix)
    {
        AssertDiagnostic(TestCompiler.Header + "task t: binary = " + pipeline + "\n", code, message, span, fix);
    }

    [Theory]
    [InlineData("input y: floot[4]", "MTL0306", "unknown dtype 'floot'", "4:10-4:15", "did you mean 'float'?")]
    [InlineData("input y: float[0]", "MTL0305", "'size' of 'y' must be at least 1; found 0", "4:16-4:17", null)]
    [InlineData("input y: float[2.5]", "MTL0304", "'size' of 'y' expects an integer; found '2.5'", "4:16-4:19", null)]
    [InlineData("task u: clases(3) = x -> linear(3)", "MTL0306", "unknown task kind 'clases'", "4:9-4:15", "did you mean 'classes'?")]
    [InlineData("task u: classes(1) = x -> linear(1)", "MTL0305", "'k' of 'classes' must be at least 2; found 1", "4:17-4:18", null)]
    [InlineData("task u: binary = x -> linear(1) {\n  missing labels maybe\n}", "MTL0314", "'missing' expects 'missing labels allowed' or 'missing labels forbidden'", "5:3-5:23", null)]
    [InlineData("task u: binary = x -> linear(1) {\n  metrics accuracy, accuracy\n}", "MTL0303", "'accuracy' is given twice to 'metrics'", "5:21-5:29", null)]
    [InlineData("task u: binary = x -> linear(1) {\n  metrics acuracy\n}", "MTL0306", "unknown metric 'acuracy'", "5:11-5:18", "did you mean 'accuracy'?")]
    [InlineData("task u: binary = x -> linear(1) {\n  weight -1\n}", "MTL0305", "'weight' of task 'u' must be at least 0; found -1", "5:10-5:12", null)]
    [InlineData("task u: binary = x -> linear(1) {\n  weight high\n}", "MTL0304", "'weight' of task 'u' expects a number; found 'high'", "5:10-5:14", null)]
    [InlineData("shared a = a -> relu", "MTL0102", "'a' depends on itself: a -> a", "4:8-4:9", null)]
    [InlineData("model N\ninput y: float[1]\ntask Income: binary = y -> linear(1)\ntask income: binary = y -> linear(1)", "MTL0104", "'Income' and 'income' both become the C# name 'Income'", "7:6-7:12", null)]
    public void Declarations(string declaration, string code, string message, string span, string? fix)
    {
        AssertDiagnostic(TestCompiler.Header + TestCompiler.Task + declaration + "\n", code, message, span, fix);
    }

    [Theory]
    [InlineData("model M\ninput x: float[4]\nshared block = x -> linear(4)\ntask block: binary = x -> linear(1)\n", "MTL0101", "4:6-4:11")]
    [InlineData("model M\ninput x: float[4]\ntask x: binary = x -> linear(1)\n", "MTL0101", "3:6-3:7")]
    [InlineData("model M\ninput x: float[4]\ntask t binary = x -> linear(1)\n", "MTL0004", "3:8-3:14")]
    [InlineData("model M\ninput x: float[4]\ntask\n", "MTL0004", "3:1-3:5")]
    public void A_task_that_fails_to_declare_is_still_a_task(string text, string code, string span)
    {
        var diagnostic = TestCompiler.Single(text);

        Assert.Equal((code, span), (diagnostic.Id, diagnostic.Span.ToString()));
    }

    [Fact]
    public void A_doc_comment_at_the_end_of_the_file_is_reported()
    {
        var diagnostic = TestCompiler.Single(TestCompiler.Header + TestCompiler.Task + "  /// dangling\n");

        Assert.Equal(("MTL0009", "4:3-4:6"), (diagnostic.Id, diagnostic.Span.ToString()));
    }

    [Fact]
    public void Unknown_names_suggest_declared_ones_only_when_close()
    {
        var result = TestCompiler.Compile(TestCompiler.Header + "shared trunk = x -> linear(4)\ntask t: binary = trnk -> linear(1)\ntask u: binary = zebra -> linear(1)\n");

        Assert.Equal(["did you mean 'trunk'?", null], result.Diagnostics.Select(d => d.Fix));
        Assert.Equal(["MTL0100", "MTL0100"], result.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void Unused_warnings_do_not_stop_the_model()
    {
        var result = TestCompiler.Compile(TestCompiler.Header + "input y: float[2]\n" + TestCompiler.Task);

        Assert.Equal("input 'y' is never used by a task", Assert.Single(result.Diagnostics).Message);
        Assert.False(result.HasErrors);
        Assert.Single(result.Models);
    }

    private static void AssertDiagnostic(string text, string? code, string? message, string? span, string? fix)
    {
        var result = TestCompiler.Compile(text);
        if (code is null)
        {
            Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics));
            return;
        }

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal((code, message, span, fix), (diagnostic.Id, diagnostic.Message, diagnostic.Span.ToString(), diagnostic.Fix));
    }
}
