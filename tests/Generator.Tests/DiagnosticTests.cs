using Microsoft.CodeAnalysis;
using Mtl.Dsl.Tests;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>The language's diagnostics reach the compiler as its own: code, severity, message and the .mtl file's span.</summary>
public sealed class DiagnosticTests
{
    public static TheoryData<string> Codes => new(Sections().Select(s => s.Heading.Substring(0, 7)));

    /// <summary>Each example of docs/diagnostics.md gives, through the generator, the documented diagnostic at the documented span.</summary>
    [Theory]
    [MemberData(nameof(Codes))]
    public void Every_documented_diagnostic_is_reported_by_the_generator_at_its_span(string code)
    {
        var body = Sections().Single(s => s.Heading.StartsWith(code, StringComparison.Ordinal)).Body;
        var example = Assert.Single(MarkdownBlocks.Blocks(body, "mtl"));
        var expected = Assert.Single(MarkdownBlocks.Blocks(body, "text")).TrimEnd('\n').Split('\n');

        var run = GeneratorHarness.Generate(("/project/bad.mtl", example));

        var diagnostic = Assert.Single(run.GeneratorDiagnostics, d => d.Id == code);
        var span = diagnostic.Location.GetLineSpan();
        Assert.Equal("/project/bad.mtl", span.Path);
        var severity = diagnostic.Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var fix = expected.Length > 1 ? $" ({expected[1].Substring("fix: ".Length)})" : "";
        var position = $"{span.StartLinePosition.Line + 1}:{span.StartLinePosition.Character + 1}-{span.EndLinePosition.Line + 1}:{span.EndLinePosition.Character + 1}";
        Assert.Equal(expected[0] + fix, $"{position} {severity} {diagnostic.Id}: {diagnostic.GetMessage()}");
        Assert.Equal(Dsl.Diagnostics.DiagnosticCatalog.Title(Dsl.Diagnostics.DiagnosticCatalog.Codes.Single(c => Dsl.Diagnostics.DiagnosticCatalog.Id(c) == code)), diagnostic.Descriptor.Title.ToString());
        Assert.StartsWith("Mtl.", diagnostic.Descriptor.Category, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_with_an_error_generates_nothing_for_the_model_in_error_but_keeps_the_others()
    {
        var run = GeneratorHarness.Generate(
            ("/project/good.mtl", "model Good\ninput x: float[4]\ntask t: binary = x -> linear(1)\n"),
            ("/project/bad.mtl", "model Bad\ninput x: float[4]\ntask t: binary = x -> linaer(1)\n"));

        var error = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("MTL0106", error.Id);
        Assert.Contains("did you mean 'linear'", error.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(11, run.Sources.Count);
        Assert.All(run.Sources, s => Assert.StartsWith("good.mtl.Good", s.HintName, StringComparison.Ordinal));
        Assert.Empty(run.CompileDiagnostics);
    }

    [Fact]
    public void A_warning_stays_a_warning_and_the_model_is_still_generated()
    {
        var run = GeneratorHarness.Generate("model M\ninput x: float[4]\ninput unused: float[2]\ntask t: binary = x -> linear(1)\n");

        var warning = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal(("MTL0103", DiagnosticSeverity.Warning), (warning.Id, warning.Severity));
        Assert.Equal(11, run.Sources.Count);
        Assert.Empty(run.CompileDiagnostics);
    }

    [Fact]
    public void A_failure_while_emitting_is_one_diagnostic_on_the_file_not_an_exception()
    {
        var model = Dsl.MtlCompiler.Compile("model M\ninput x: float[4]\ntask t: binary = x -> linear(1)\n", "m.mtl").Models[0];
        // A model without tasks never comes out of the language; emitting it fails.
        var broken = new Model.ModelSpec(model with { Tasks = EquatableArray<Dsl.Model.TaskHead>.Empty }, "Test", "m.mtl", "m.mtl");
        var added = new List<string>();
        var reported = new List<Diagnostic>();

        MtlGenerator.Emit(broken, (hint, _) => added.Add(hint), reported.Add);

        Assert.Empty(added);
        var diagnostic = Assert.Single(reported);
        Assert.Equal(("MTL9999", DiagnosticSeverity.Error), (diagnostic.Id, diagnostic.Severity));
        Assert.StartsWith("internal compiler error: ", diagnostic.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("m.mtl", diagnostic.Location.GetLineSpan().Path);
    }

    [Fact]
    public void Hint_names_carry_the_files_path_relative_to_the_project()
    {
        var run = GeneratorHarness.Generate(("/project/models/tabular/census.mtl", "model Census\ninput x: float[4]\ntask t: binary = x -> linear(1)\n"));

        Assert.Contains(run.Sources, s => s.HintName == "models.tabular.census.mtl.CensusModel.g.cs");
    }

    [Fact]
    public void A_file_linked_from_outside_the_project_is_named_by_its_file_name_alone()
    {
        var run = GeneratorHarness.Generate(("/elsewhere/checkout/shared/census.mtl", "model Census\ninput x: float[4]\ntask t: binary = x -> linear(1)\n"));

        Assert.Contains(run.Sources, s => s.HintName == "linked.census.mtl.CensusModel.g.cs");
    }

    [Fact]
    public void Only_mtl_files_are_read()
    {
        var run = GeneratorHarness.Generate(("/project/notes.txt", "model Nope\n"), ("/project/data.csv", "a,b\n"));

        Assert.Empty(run.Sources);
        Assert.Empty(run.GeneratorDiagnostics);
    }

    private static IReadOnlyList<(string Heading, string Body)> Sections() =>
        MarkdownBlocks.Sections(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "diagnostics.md")));
}
