using System.Diagnostics;
using System.Text;
using Mtl.Dsl.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Mtl.Dsl.Tests;

/// <summary>
/// Mutates valid files 100,000 times under a fixed seed and proves that the compiler (without its
/// catch-all guard) never throws, never reports an internal error and keeps every span in bounds.
/// </summary>
public sealed class FuzzTests
{
    private const int Cases = 100_000;
    private const int Seed = 20240521;

    private static readonly string[] Fragments =
    [
        "model", "input", "shared", "task", "train", "optimizer", "schedule", "weighting", "regularize", "namespace",
        "->", "(", ")", "[", "]", "{", "}", ",", ":", "=", ".", "///doc\n", "/*", "*/", "//", "\n", " ",
        "1e400", "-1e400", "99999999999999999999", "0", "-1", "2147483648", "1.5", "-0.0", "1e-400", "NaN",
        "linear", "conv2d(8, 3)", "flatten", "lstm(4, reduce: last)", "concat(", "add(", "residual(", "relu",
        "x", "trunk", "income", "loss", "metrics", "weight", "group", "tie", "early_stop(monitor: ", "a.b",
        "classes(0)", "binary", "regression(", "dim: 0", "stride: 0", "padding: 99", "true", "false", "_",
        "\r", "\r\n", "\uFEFF", "\u200B", "\u00A0", "\u2192", "\u2013>", "\u2014\uFF1E", "\u2212", "\u22121", "\uFF1D", "\uFF08",
        "\uFF5D", "gr\u00F6\u00DFe", "\u03BB", "\u0437\u0430\u0434\u0430\u0447\u0430", "e\u0301", "\uD835\uDC65", "\uD83D\uDE00",
        "\uD800", "\uDC00", "\uFFFD",
    ];

    private readonly ITestOutputHelper _output;

    public FuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Mutated_files_never_throw()
    {
        var seeds = new[] { TestCompiler.ReadExample("census.mtl"), TestCompiler.ReadExample("design.mtl") };
        var stopwatch = Stopwatch.StartNew();

        // Each case has its own seed, so a failure reproduces alone and the partitioning does not matter.
        Parallel.For(0, Cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var random = new Random(Seed + i);
            var text = seeds[i % seeds.Length];
            var mutations = 1 + random.Next(3);
            for (var m = 0; m < mutations; m++)
            {
                text = Mutate(text, random);
            }

            Check(text, i);
        });

        _output.WriteLine($"{Cases} mutated files compiled in {stopwatch.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void Lone_surrogates_at_the_end_of_names_and_files_give_diagnostics()
    {
        // Built at run time: a lone surrogate does not survive as an attribute argument.
        foreach (var surrogate in new[] { (char)0xD835, (char)0xDC65 })
        {
            Assert.NotEmpty(Check("model M\ninput x" + surrogate, 0));
            Assert.NotEmpty(Check("model M\ninput x" + surrogate + ": float[4]\n" + TestCompiler.Task, 0));
        }
    }

    [Theory]
    [InlineData("(", 100_000)]
    [InlineData("[", 100_000)]
    [InlineData("{", 100_000)]
    [InlineData("residual(", 10_000)]
    [InlineData("concat(x, ", 10_000)]
    [InlineData("train {\n", 10_000)]
    public void Deep_nesting_is_a_diagnostic(string opener, int depth)
    {
        var text = TestCompiler.Header + "task t: binary = x -> " + string.Concat(Enumerable.Repeat(opener, depth)) + "\n";

        var diagnostics = Check(text, 0);

        Assert.Contains(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\0\0\0")]
    [InlineData("model")]
    [InlineData("model M\n}")]
    [InlineData("\uD800\uDC00\uFFFF")]
    [InlineData("model M\ninput x: float[99999999999999999999]\ntask t: binary = x -> linear(1)")]
    [InlineData("model M\ninput x: float[1e400]\ntask t: binary = x -> linear(1)")]
    [InlineData("model M\ninput x: float[2147483647, 2147483647]\ntask t: binary = x -> flatten -> linear(1)")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> linear(2147483647) -> linear(2147483647) -> linear(1)")]
    [InlineData("model M\ninput x: float[4, 4]\ntask t: binary = x -> lstm(2147483647, layers: 2147483647) -> flatten -> linear(1)")]
    [InlineData("model M\ninput x: float[1, 4, 4]\ntask t: binary = x -> conv2d(1, 2147483647, padding: 2147483647) -> flatten -> linear(1)")]
    [InlineData("\uFEFF")]
    [InlineData("\uFEFF\uFEFF")]
    [InlineData("\r\r\n\r")]
    [InlineData("model M\rinput x: float[4]\rtask t: binary = x \u2192 linear(1)\r")]
    [InlineData("model gr\u00F6\u00DFe\ninput \u03BB: float[4]\ntask \u0437\u0430\u0434\u0430\u0447\u0430: binary = \u03BB -> linear(1)")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x \u2013\uFF1E linear(1\uFF09")]
    [InlineData("model M\nin\u200Bput x\u200D: float[4]\u200B")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> dropout(\u2212")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> dropout(\u2013")]
    [InlineData("model\n\nM\ninput\rx\r\ntask\n")]
    public void Pathological_input_gives_diagnostics(string text)
    {
        Check(text, 0);
    }

    // The same kind of input as above, each pinned to the diagnostics it must give: code and span, in order.
    // Positions are counted by hand: "task t: binary = x -> " is 22 characters, so the first layer starts at column 23.
    [Theory]
    [InlineData("", "MTL0010 1:1-1:1")]
    [InlineData("model M\ninput x: float[1e400]\ntask t: binary = x -> linear(1)", "MTL0003 2:16-2:21")]
    [InlineData("model M\ninput x: float[2147483647, 2147483647]\ntask t: binary = x -> flatten -> linear(1)", "MTL0210 2:16-2:38")]
    [InlineData("model M\ninput x: float[4, 4]\ntask t: binary = x -> lstm(2147483647, layers: 2147483647) -> flatten -> linear(1)", "MTL0210 3:23-3:59")]
    [InlineData("model M\ninput x: float[1, 4, 4]\ntask t: binary = x -> conv2d(1, 2147483647, padding: 2147483647) -> flatten -> linear(1)", "MTL0210 3:23-3:65")]
    [InlineData("model M\ninput x: float[1, 4]\ntask t: binary = x -> maxpool1d(2147483647, padding: 2147483647) -> flatten -> linear(1)", "MTL0211 3:23-3:65")]
    [InlineData("model M\ninput x: float[1, 4]\ntask t: binary = x -> conv1d(1, 3, stride: 0) -> flatten -> linear(1)", "MTL0305 3:44-3:45")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> dropout(1e400) -> linear(1)", "MTL0003 3:31-3:36")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> linear(1e400)", "MTL0003 3:30-3:35")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> linear(-1e400)", "MTL0003 3:30-3:36")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x \u2013\uFF1E linear(1\uFF09", "MTL0001 3:20-3:22", "MTL0001 3:31-3:32")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> linear(1) $", "MTL0001 3:33-3:34")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> linear(1)\n/* never closed", "MTL0002 4:1-4:3")]
    public void Pathological_input_gives_the_expected_diagnostics(string text, params string[] expected)
    {
        var diagnostics = Check(text, 0);

        Assert.Equal(expected, diagnostics.Select(d => $"{d.Id} {d.Span}"));
    }

    // 64 levels are allowed: the error is at the first token inside the 64th open bracket.
    // After "task t: binary = x -> " (22 characters) the n-th opener of length k starts at column 23 + (n − 1)·k.
    [Theory]
    [InlineData("linear(", "[", "3:93-3:94")] // linear's '(' at column 29 is the first; inside the 63rd '[' comes the 64th, at 29 + 64
    [InlineData("", "residual(", "3:599-3:607")] // inside the 64th 'residual(' comes the 65th 'residual', at 23 + 64·9, eight letters
    [InlineData("", "concat(x, ", "3:660-3:661")] // inside the 64th 'concat(' comes its 'x', at 23 + 63·10 + 7
    public void Deep_nesting_is_reported_at_the_opener_past_the_limit(string prefix, string opener, string span)
    {
        var text = TestCompiler.Header + "task t: binary = x -> " + prefix + string.Concat(Enumerable.Repeat(opener, 1000)) + "\n";

        var first = Check(text, 0)[0];

        Assert.Equal($"MTL0006 {span}", $"{first.Id} {first.Span}");
    }

    /// <summary>Compiles without the guard and checks invariants that hold for any input.</summary>
    private static IReadOnlyList<Diagnostic> Check(string text, int index)
    {
        var result = MtlCompiler.CompileCore(text, "fuzz.mtl");
        var lineCount = 1;
        for (var i = 0; i < text.Length; i++)
        {
            // "\r\n", "\n" and a lone "\r" are one line break each.
            lineCount += text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.Length || text[i + 1] != '\n')) ? 1 : 0;
        }

        foreach (var diagnostic in result.Diagnostics)
        {
            var span = diagnostic.Span;
            var inBounds = diagnostic.Code != DiagnosticCode.InternalError &&
                           span.StartLine >= 1 && span.StartColumn >= 1 && span.EndLine <= lineCount &&
                           (span.EndLine > span.StartLine || (span.EndLine == span.StartLine && span.EndColumn >= span.StartColumn));
            Assert.True(inBounds, $"case {index}: {diagnostic}\n{text}");
        }

        Assert.Equal(result.HasErrors, result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error));
        return result.Diagnostics;
    }

    private static string Mutate(string text, Random random)
    {
        var position = random.Next(text.Length + 1);
        switch (random.Next(8))
        {
            case 0: // delete a range
                var length = Math.Min(random.Next(1, 20), text.Length - position);
                return text.Remove(position, length);
            case 1: // insert a fragment
                return text.Insert(position, Fragments[random.Next(Fragments.Length)]);
            case 2: // swap two lines
                var lines = text.Split('\n');
                int a = random.Next(lines.Length), b = random.Next(lines.Length);
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return string.Join("\n", lines);
            case 3: // random characters, any UTF-16 code unit
                var builder = new StringBuilder();
                for (var i = random.Next(1, 6); i > 0; i--)
                {
                    builder.Append((char)random.Next(char.MaxValue + 1));
                }

                return text.Insert(position, builder.ToString());
            case 4: // replace a number with a huge one
                var digit = text.IndexOfAny("0123456789".ToCharArray(), Math.Min(position, text.Length));
                return digit < 0 ? text : text.Insert(digit, random.Next(2) == 0 ? "99999999999999999999" : "1e400");
            case 5: // deep nesting
                var opener = new[] { "(", "[", "{", "residual(", "concat(" }[random.Next(5)];
                return text.Insert(position, string.Concat(Enumerable.Repeat(opener, random.Next(60, 300))));
            case 6: // other line endings: CRLF or old Mac CR
                return text.Replace("\n", random.Next(2) == 0 ? "\r" : "\r\n");
            default: // duplicate a line
                var all = text.Split('\n').ToList();
                var line = random.Next(all.Count);
                all.Insert(line, all[line]);
                return string.Join("\n", all);
        }
    }
}
