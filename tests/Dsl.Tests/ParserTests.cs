using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;
using Xunit;

namespace Mtl.Dsl.Tests;

public sealed class ParserTests
{
    [Fact]
    public void Parses_declarations_with_spans()
    {
        var file = Parse("namespace A.B\nmodel M\ninput x: float[3, 4]\nshared s = x -> linear(8) -> relu\n");

        Assert.Equal("A.B", file.Namespace!.Name);
        var model = Assert.Single(file.Models);
        Assert.Equal(new SourceSpan(2, 7, 2, 8), model.Name.Span);
        var input = Assert.IsType<InputSyntax>(model.Members[0]);
        Assert.Equal("float", input.DType.Text);
        Assert.Equal(["3", "4"], input.Dimensions.Select(d => d.Text));
        var shared = Assert.IsType<SharedSyntax>(model.Members[1]);
        Assert.Equal(new SourceSpan(4, 8, 4, 9), shared.Name.Span);
        var chain = Assert.IsType<ChainSyntax>(shared.Pipeline);
        Assert.Equal(new SourceSpan(4, 12, 4, 34), chain.Span);
        var linear = Assert.IsType<CallSyntax>(chain.Steps[1]);
        Assert.Equal(new SourceSpan(4, 17, 4, 26), linear.Span);
        Assert.Equal("relu", Assert.IsType<NameSyntax>(chain.Steps[2]).Text);
    }

    [Fact]
    public void Parses_statements_with_arguments_values_and_bodies()
    {
        var file = Parse("model M\ntrain {\n  early_stop(monitor: a.b, patience: 3)\n  tie a, b l2(0.1)\n}\n");

        var train = Assert.IsType<StatementSyntax>(Assert.Single(file.Models[0].Members));
        Assert.Equal("train", train.Keyword.Text);
        var earlyStop = train.Body![0];
        Assert.Equal(["monitor", "patience"], earlyStop.Arguments!.Select(a => a.Name!.Text));
        var monitor = Assert.IsType<MemberAccessSyntax>(earlyStop.Arguments![0].Value);
        Assert.Equal(("a", "b"), (monitor.Target.Text, monitor.Member.Text));
        var tie = train.Body[1];
        Assert.Equal(3, tie.Values.Count);
        Assert.IsType<CallSyntax>(tie.Values[2]);
    }

    [Fact]
    public void Doc_comments_attach_to_the_next_declaration()
    {
        var file = Parse("/// The model.\n/// Second line.\nmodel M\n// not a doc\n/// The input.\ninput x: float[1]\n//// not a doc either\ntask t: binary = x -> linear(1)\n");

        var model = file.Models[0];
        Assert.Equal("The model.\nSecond line.", model.Doc);
        Assert.Equal("The input.", Assert.IsType<InputSyntax>(model.Members[0]).Doc);
        Assert.Null(Assert.IsType<TaskSyntax>(model.Members[1]).Doc);
    }

    [Fact]
    public void Statements_continue_after_arrows_commas_and_inside_brackets()
    {
        var file = Parse("model M\nshared s = x\n  -> linear(\n    8,\n    bias: false)\n  -> relu\ntask t: binary = s -> linear(1) { metrics accuracy,\n  auc }\n");

        var shared = Assert.IsType<SharedSyntax>(file.Models[0].Members[0]);
        Assert.Equal(3, Assert.IsType<ChainSyntax>(shared.Pipeline).Steps.Count);
        var task = Assert.IsType<TaskSyntax>(file.Models[0].Members[1]);
        Assert.Equal(2, task.Body[0].Values.Count);
    }

    [Fact]
    public void Recovers_to_report_errors_on_several_lines()
    {
        var result = TestCompiler.Compile(
            "model M\ninput x: float[4] %\ninput y float[4]\nshared s = x -> linear(8\ntask t: binary = s -> linear(1)\nweighting dwa(temperature: -1)\n");

        Assert.Equal(
            ["2:19 MTL0001", "3:9 MTL0004", "5:1 MTL0004", "6:28 MTL0305"],
            result.Diagnostics.Select(d => $"{d.Span.StartLine}:{d.Span.StartColumn} {d.Id}"));
    }

    [Fact]
    public void Two_statements_on_one_line_are_an_error()
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: float[4] input y: float[4]\n" + TestCompiler.Task);

        Assert.Equal("expected a line break, found 'input'", diagnostic.Message);
        Assert.Equal(new SourceSpan(2, 19, 2, 24), diagnostic.Span);
    }

    [Theory]
    [InlineData("model\ninput x: float[4]\ntask t: binary = x -> linear(1)\n", "1:1-1:6", "expected a model name, found end of line", "model")]
    [InlineData("model M\ninput\nx: float[4]\ntask t: binary = x -> linear(1)\n", "2:1-2:6", "expected an input name, found end of line", "input")]
    [InlineData("model M\ninput x: float[4]\nshared\n  s = x -> relu\ntask t: binary = s -> linear(1)\n", "3:1-3:7", "expected a block name, found end of line", "shared")]
    [InlineData("model M\ninput x: float[4]\ntask t: binary = x -> linear(1)\ntask\n", "4:1-4:5", "expected a task name, found end of line", "task")]
    [InlineData("namespace\nmodel M\ninput x: float[4]\ntask t: binary = x -> linear(1)\n", "1:1-1:10", "expected a namespace name, found end of line", "namespace")]
    public void A_declaration_name_must_be_on_the_keyword_line(string text, string span, string message, string keyword)
    {
        var diagnostic = TestCompiler.Single(text);

        Assert.Equal(("MTL0004", span, message), (diagnostic.Id, diagnostic.Span.ToString(), diagnostic.Message));
        Assert.Equal($"write the name on the same line as '{keyword}'", diagnostic.Fix);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \t\r\n")]
    [InlineData("// nothing yet\n/* still\n nothing */\n")]
    [InlineData("namespace Contoso.Models\n")]
    public void A_file_without_a_model_is_reported(string text)
    {
        var diagnostic = TestCompiler.Single(text);

        Assert.Equal(("MTL0010", "file declares no model", "1:1-1:1"), (diagnostic.Id, diagnostic.Message, diagnostic.Span.ToString()));
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
    }

    [Fact]
    public void A_file_without_a_model_but_with_errors_reports_only_those()
    {
        var diagnostic = TestCompiler.Single("input x: float[4]\n");

        Assert.Equal("MTL0007", diagnostic.Id);
    }

    [Fact]
    public void A_missing_closing_brace_does_not_swallow_the_next_declaration()
    {
        var result = TestCompiler.Compile("model M\ninput x: float[4]\ntask t: binary = x -> linear(1) {\n  weight 2\ntrain {\n  epochs 0\n}\n");

        Assert.Equal(["MTL0004", "MTL0305"], result.Diagnostics.Select(d => d.Id));
        Assert.Equal("expected '}', found 'train'", result.Diagnostics[0].Message);
    }

    [Fact]
    public void Errors_in_a_task_body_are_reported_per_statement()
    {
        var result = TestCompiler.Compile(TestCompiler.Header + "task t: binary = x -> linear(1) {\n  weight )\n  metrics rmse\n  losss bce\n}\n");

        Assert.Equal(["MTL0004", "MTL0005", "MTL0307"], result.Diagnostics.Select(d => d.Id).OrderBy(id => id));
    }

    [Theory]
    [InlineData("$", "'$'", 1, null)]
    [InlineData("\u200B", "U+200B (zero width space)", 1, "delete it: it is invisible in most editors")]
    [InlineData("\uFEFF", "U+FEFF (byte order mark)", 1, "delete it: it is invisible in most editors")]
    [InlineData("\u2060", "U+2060 (word joiner)", 1, "delete it: it is invisible in most editors")]
    [InlineData("\u202E", "U+202E (right-to-left override)", 1, "delete it: it is invisible in most editors")]
    [InlineData("\u0000", "U+0000 (null)", 1, "delete it: it is invisible in most editors")]
    [InlineData("\u0007", "U+0007", 1, "delete it: it is invisible in most editors")]
    [InlineData("\u0301", "U+0301", 1, "delete it")]
    [InlineData("\uE000", "U+E000", 1, "delete it")]
    [InlineData("\uFFFD", "U+FFFD (replacement character)", 1, "save the file as UTF-8: this character stands for bytes that were not valid text")]
    [InlineData("\uD83D\uDE00", "'\uD83D\uDE00'", 2, null)]
    public void Unexpected_characters_that_do_not_show_are_named_by_code_point(string character, string shown, int width, string? fix)
    {
        var diagnostic = TestCompiler.Single("model M\ninput x: float[4] " + character + "\ntask t: binary = x -> linear(1)\n");

        Assert.Equal(("MTL0001", "unexpected character " + shown, fix), (diagnostic.Id, diagnostic.Message, diagnostic.Fix));
        Assert.Equal(new SourceSpan(2, 19, 2, 19 + width), diagnostic.Span);
    }

    [Fact]
    public void A_lone_surrogate_is_named_by_code_point()
    {
        // Built at run time: a lone surrogate does not survive as an attribute argument.
        var diagnostic = TestCompiler.Single(TestCompiler.Header + TestCompiler.Task + (char)0xD800 + "\n");

        Assert.Equal(("unexpected character U+D800", "4:1-4:2"), (diagnostic.Message, diagnostic.Span.ToString()));
    }

    [Fact]
    public void A_byte_order_mark_at_the_start_is_ignored()
    {
        var file = Parse("\uFEFFmodel M\ninput x: float[4]\n");

        Assert.Equal(new SourceSpan(1, 7, 1, 8), file.Models[0].Name.Span);
        Assert.Empty(TestCompiler.Compile("\uFEFF" + TestCompiler.Header + TestCompiler.Task).Diagnostics);
    }

    [Theory]
    [InlineData("task t: binary = x \u2192 linear(1)", "'\u2192'", "3:20-3:21", "->")]
    [InlineData("task t: binary = x\n  \u2192 linear(1)", "'\u2192'", "4:3-4:4", "->")]
    [InlineData("task t: binary = x \u2013> linear(1)", "'\u2013'", "3:20-3:22", "->")]
    [InlineData("task t: binary = x \u2014\uFF1E linear(1)", "'\u2014'", "3:20-3:22", "->")]
    [InlineData("task t: binary = x -\uFF1E linear(1)", "'\uFF1E'", "3:20-3:22", "->")]
    [InlineData("task t\uFF1A binary = x -> linear(1)", "'\uFF1A'", "3:7-3:8", ":")]
    [InlineData("task t: binary \uFF1D x -> linear(1)", "'\uFF1D'", "3:16-3:17", "=")]
    [InlineData("task t: binary = x -> linear(1\uFF09", "'\uFF09'", "3:31-3:32", ")")]
    [InlineData("task t: classes(2) = x -> linear(2) {\n  loss cross_entropy(class_weights: [1.0\uFF0C 2.0])\n}", "'\uFF0C'", "4:41-4:42", ",")]
    public void A_pasted_look_alike_is_reported_once_and_read_as_what_it_resembles(string task, string character, string span, string ascii)
    {
        var result = TestCompiler.Compile(TestCompiler.Header + task + "\n");

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(("MTL0001", "unexpected character " + character, span), (diagnostic.Id, diagnostic.Message, diagnostic.Span.ToString()));
        Assert.Equal($"use '{ascii}'", diagnostic.Fix);
    }

    [Fact]
    public void A_pasted_minus_sign_is_reported_and_read_as_minus()
    {
        var diagnostics = new DiagnosticBag("x");

        var tokens = Lexer.Tokenize("weight \u22122.5 \u20131", diagnostics);

        Assert.Equal([TokenKind.Identifier, TokenKind.Number, TokenKind.Number, TokenKind.EndOfFile], tokens.Select(t => t.Kind));
        Assert.Equal([("-2.5", -2.5), ("-1", -1)], tokens.Skip(1).Take(2).Select(t => (t.Text, t.Number)));
        Assert.True(new NumberSyntax(tokens[2].Text, tokens[2].Number, tokens[2].Span).IsIntegerLiteral);
        Assert.Equal(
            ["1:8-1:9 unexpected character '\u2212' use '-'", "1:13-1:14 unexpected character '\u2013' use '-'"],
            diagnostics.Items.Select(d => $"{d.Span} {d.Message} {d.Fix}"));
    }

    [Theory]
    [InlineData("gr\u00F6\u00DFe", 5)]
    [InlineData("\u03BB", 1)]
    [InlineData("\u0437\u0430\u0434\u0430\u0447\u0430", 6)]
    [InlineData("cafe\u0301", 5)]
    [InlineData("\uD835\uDC65_2", 4)]
    [InlineData("x\uFF3Fy", 3)]
    public void A_non_ascii_name_is_reported_once_per_use_without_a_cascade(string name, int width)
    {
        var result = TestCompiler.Compile($"model M\ninput {name}: float[4]\ntask t: binary = {name} -> linear(1)\n");

        Assert.Equal(
            [$"2:7-2:{7 + width}", $"3:18-3:{18 + width}"],
            result.Diagnostics.Select(d => d.Span.ToString()));
        Assert.All(result.Diagnostics, d => Assert.Equal(
            ("MTL0011", $"name '{name}' has non-ASCII characters: names use ASCII letters, digits and '_'"),
            (d.Id, d.Message)));
    }

    [Fact]
    public void An_invisible_character_inside_a_name_is_reported_and_left_out()
    {
        var result = TestCompiler.Compile("model M\nin\u200Bput x\u200D: float[4]\ntask t: binary = x -> linear(1)\n");

        Assert.Equal(
            ["2:3-2:4 MTL0001 U+200B (zero width space)", "2:9-2:10 MTL0001 U+200D (zero width joiner)"],
            result.Diagnostics.Select(d => $"{d.Span} {d.Id} {d.Message.Substring("unexpected character ".Length)}"));
        var tokens = Lexer.Tokenize("in\u200Bput", new DiagnosticBag("x"));
        Assert.Equal(("input", new SourceSpan(1, 1, 1, 7)), (tokens[0].Text, tokens[0].Span));
    }

    [Fact]
    public void Negative_numbers_and_arrows_are_told_apart()
    {
        var tokens = Lexer.Tokenize("a->-1 -> -2.5e-3", new DiagnosticBag("x"));

        Assert.Equal(
            [TokenKind.Identifier, TokenKind.Arrow, TokenKind.Number, TokenKind.Arrow, TokenKind.Number, TokenKind.EndOfFile],
            tokens.Select(t => t.Kind));
        Assert.Equal(-2.5e-3, tokens[4].Number);
    }

    [Theory]
    [InlineData("\"Body Mass (g)\"", "Body Mass (g)", 16)]
    [InlineData("\"say \\\"hi\\\" \\\\ done\"", "say \"hi\" \\ done", 21)]
    [InlineData("\"\"", "", 3)]
    public void Strings_hold_their_text_with_escapes_resolved(string text, string value, int end)
    {
        var diagnostics = new DiagnosticBag("x");

        var tokens = Lexer.Tokenize(text + " x", diagnostics);

        Assert.Empty(diagnostics.Items);
        Assert.Equal([TokenKind.String, TokenKind.Identifier, TokenKind.EndOfFile], tokens.Select(t => t.Kind));
        Assert.Equal((value, new SourceSpan(1, 1, 1, end)), (tokens[0].Text, tokens[0].Span));
    }

    [Fact]
    public void An_unterminated_string_ends_at_the_line_and_the_next_line_is_read()
    {
        var diagnostics = new DiagnosticBag("x");

        var tokens = Lexer.Tokenize("a \"open\nb", diagnostics);

        var diagnostic = Assert.Single(diagnostics.Items);
        Assert.Equal(("MTL0012", new SourceSpan(1, 3, 1, 4)), (diagnostic.Id, diagnostic.Span));
        Assert.Equal(("open", TokenKind.String), (tokens[1].Text, tokens[1].Kind));
        Assert.Equal(("b", true), (tokens[2].Text, tokens[2].FirstOnLine));
    }

    [Fact]
    public void Typographic_quotes_and_unknown_escapes_are_reported_and_read()
    {
        var diagnostics = new DiagnosticBag("x");

        var tokens = Lexer.Tokenize("\u201Cmass\u201D \"a\\tb\"", diagnostics);

        Assert.Equal(["MTL0001", "MTL0001", "MTL0001"], diagnostics.Items.Select(d => d.Id));
        Assert.Equal(new SourceSpan(1, 10, 1, 12), diagnostics.Items[2].Span);
        Assert.Contains("'\\t'", diagnostics.Items[2].Message, StringComparison.Ordinal);
        Assert.Equal(["mass", "a\\tb"], tokens.Where(t => t.Kind == TokenKind.String).Select(t => t.Text));
    }

    [Fact]
    public void Tokens_know_whether_they_start_a_line()
    {
        var tokens = Lexer.Tokenize("a b\n  c /* x\n y */ d\n", new DiagnosticBag("x"));

        // 'd' is first on its line: only a comment precedes it there.
        Assert.Equal([true, false, true, true, true], tokens.Select(t => t.FirstOnLine));
        Assert.Equal(new SourceSpan(3, 7, 3, 8), tokens[3].Span);
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Every_line_ending_is_one_line_break(string newline)
    {
        var lines = new[] { "model M", "/// The input.", "input x: float[4] // a comment", "/* two", "lines */ task t: binary = x", "  -> linear(1) $" };

        var result = TestCompiler.Compile(string.Join(newline, lines) + newline);

        var diagnostic = Assert.Single(result.Diagnostics);
        Assert.Equal(("MTL0001", new SourceSpan(6, 16, 6, 17)), (diagnostic.Id, diagnostic.Span));
        var file = Parse(string.Join(newline, lines.Take(5)) + " -> linear(1)" + newline);
        Assert.Equal("The input.", Assert.IsType<InputSyntax>(file.Models[0].Members[0]).Doc);
        var task = Assert.IsType<TaskSyntax>(file.Models[0].Members[1]);
        Assert.Equal(new SourceSpan(5, 15, 5, 16), task.Name.Span);
    }

    private static FileSyntax Parse(string text)
    {
        var diagnostics = new DiagnosticBag("x");
        var file = Parser.Parse(text, diagnostics);
        Assert.Empty(diagnostics.Items);
        return file;
    }
}
