using Mtl.Dsl.Diagnostics;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>docs/diagnostics.md is the contract: each example must produce exactly the output shown.</summary>
public sealed class DiagnosticsDocTests
{
    public static TheoryData<string> Codes()
    {
        var data = new TheoryData<string>();
        foreach (var (heading, _) in Sections())
        {
            data.Add(heading.Substring(0, 7));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void Example_produces_the_documented_diagnostic(string code)
    {
        var body = Sections().Single(s => s.Heading.StartsWith(code, StringComparison.Ordinal)).Body;
        var example = Assert.Single(MarkdownBlocks.Blocks(body, "mtl"));
        var expected = Assert.Single(MarkdownBlocks.Blocks(body, "text")).TrimEnd('\n').Split('\n');

        var diagnostics = TestCompiler.Compile(example).Diagnostics.Where(d => d.Id == code).ToList();

        var diagnostic = Assert.Single(diagnostics);
        var severity = diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning";
        Assert.Equal(expected[0], $"{diagnostic.Span} {severity} {diagnostic.Id}: {diagnostic.Message}");
        Assert.Equal(expected.Length > 1 ? expected[1] : null, diagnostic.Fix is null ? null : "fix: " + diagnostic.Fix);
    }

    [Fact]
    public void Every_code_is_documented_once()
    {
        var documented = Sections().Select(s => s.Heading.Substring(0, 7)).ToList();
        var codes = Enum.GetValues<DiagnosticCode>()
            .Where(c => c != DiagnosticCode.InternalError)
            .Select(c => $"MTL{(int)c:D4}")
            .ToList();

        Assert.Equal(codes, documented);
    }

    [Fact]
    public void Each_codes_title_and_help_link_are_its_documented_heading()
    {
        foreach (var (heading, _) in Sections())
        {
            var code = DiagnosticCatalog.Codes.Single(c => DiagnosticCatalog.Id(c) == heading.Substring(0, 7));
            var warning = DiagnosticCatalog.Severity(code) == DiagnosticSeverity.Warning ? " (warning)" : "";
            Assert.Equal(heading, $"{DiagnosticCatalog.Id(code)}: {DiagnosticCatalog.Title(code)}{warning}");
            Assert.EndsWith("#" + heading.ToLowerInvariant().Replace(":", "").Replace("(", "").Replace(")", "").Replace("#", "").Replace(' ', '-'), DiagnosticCatalog.HelpLink(code));
        }
    }

    [Fact]
    public void Categories_follow_the_code_ranges()
    {
        Assert.Equal("Syntax", DiagnosticCatalog.Category(DiagnosticCode.UnexpectedCharacter));
        Assert.Equal("Names", DiagnosticCatalog.Category(DiagnosticCode.UnknownName));
        Assert.Equal("Shapes", DiagnosticCatalog.Category(DiagnosticCode.WrongRank));
        Assert.Equal("Options", DiagnosticCatalog.Category(DiagnosticCode.UnknownOption));
        Assert.Equal("Compiler", DiagnosticCatalog.Category(DiagnosticCode.InternalError));
    }

    [Fact]
    public void Only_unused_declarations_stray_doc_comments_unlabelled_tasks_conv1d_over_an_embedding_and_a_padding_mask_left_behind_are_warnings()
    {
        foreach (var code in Enum.GetValues<DiagnosticCode>())
        {
            var expected = code is DiagnosticCode.Unused or DiagnosticCode.DocCommentNotAttached or DiagnosticCode.NoLabelColumn or DiagnosticCode.EmbeddingIntoConv1d
                or DiagnosticCode.MaskNotCarried
                ? DiagnosticSeverity.Warning
                : DiagnosticSeverity.Error;
            Assert.Equal(expected, DiagnosticDescriptor.Severity(code));
            Assert.NotEmpty(DiagnosticDescriptor.Format(code));
        }
    }

    [Fact]
    public void The_introduction_names_every_warning()
    {
        var warnings = Enum.GetValues<DiagnosticCode>().Where(c => DiagnosticDescriptor.Severity(c) == DiagnosticSeverity.Warning).Select(DiagnosticCatalog.Id).ToList();
        var text = TestCompiler.ReadDoc("diagnostics.md").Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
        var sentence = text[text.IndexOf("All are errors except", StringComparison.Ordinal)..];
        sentence = sentence[..sentence.IndexOf(", warnings", StringComparison.Ordinal)];
        Assert.Equal(warnings, System.Text.RegularExpressions.Regex.Matches(sentence, "MTL[0-9]{4}").Select(m => m.Value));
    }

    private static IReadOnlyList<(string Heading, string Body)> Sections() =>
        MarkdownBlocks.Sections(TestCompiler.ReadDoc("diagnostics.md"));
}
