using Microsoft.CodeAnalysis;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>The generated code of every example in docs/language.md compiles with no error and no warning.</summary>
public sealed class CompileTests
{
    public static TheoryData<int> Examples => new(Enumerable.Range(0, DocExamples.Blocks.Count));

    [Theory]
    [MemberData(nameof(Examples))]
    public void Generated_code_of_every_language_example_compiles_without_warnings(int example)
    {
        var block = DocExamples.Blocks[example];
        var run = GeneratorHarness.Generate(block);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.Equal(DocExamples.Models(block).Count * 11, run.Sources.Count);
        Assert.True(run.CompileDiagnostics.Count == 0, Describe(run.CompileDiagnostics));
    }

    [Fact]
    public void Every_model_becomes_eleven_types_in_the_file_namespace_or_the_project_namespace()
    {
        var run = GeneratorHarness.Generate("""
            namespace Contoso.Models
            model First
            input x: float[4]
            task y: regression(1) = x -> linear(1)
            """);
        var other = GeneratorHarness.Generate("""
            model Second
            input x: float[4]
            task y: binary = x -> linear(1)
            """);

        var types = run.Output.GetSymbolsWithName(n => n.StartsWith("First", StringComparison.Ordinal), SymbolFilter.Type).Cast<INamedTypeSymbol>().ToList();
        Assert.Equal(12, types.Count); // eleven types and FirstYMetrics
        Assert.All(types, t => Assert.Equal("Contoso.Models", t.ContainingNamespace.ToDisplayString()));
        var second = Assert.Single(other.Output.GetSymbolsWithName("SecondModel", SymbolFilter.Type));
        Assert.Equal(GeneratorHarness.RootNamespace, second.ContainingNamespace.ToDisplayString());
    }

    internal static string Describe(IEnumerable<Diagnostic> diagnostics) =>
        string.Join("\n", diagnostics.Select(d => $"{d.Id} {d.GetMessage()} at {d.Location.SourceTree?.FilePath}:{d.Location.GetLineSpan().StartLinePosition}: {Line(d)}"));

    private static string Line(Diagnostic diagnostic)
    {
        var tree = diagnostic.Location.SourceTree;
        return tree is null ? "" : tree.GetText().Lines[diagnostic.Location.GetLineSpan().StartLinePosition.Line].ToString().Trim();
    }
}
