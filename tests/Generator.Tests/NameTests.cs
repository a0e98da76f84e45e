using Microsoft.CodeAnalysis;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// Every legal name generates code that compiles: C# keywords, the generated types' own words,
/// names that clash with the generated methods' locals. The names that would collide with a
/// generated type or member are the language's error MTL0113, not broken C#.
/// </summary>
public sealed class NameTests
{
    [Fact]
    public void Keywords_and_the_generated_codes_own_words_compile_as_names()
    {
        var run = GeneratorHarness.Generate("""
            model Model
            input class: float[4]
            input event: float[4]
            input inputs: float[4]
            input rows: float[4]
            shared namespace = concat(class, event, inputs, rows) -> linear(8)
            shared forward = namespace -> relu
            shared scope = forward -> linear(8)
            task parameters: binary = scope -> linear(1)
            task train: classes(3) = scope -> linear(3)
            task model: regression(1) = forward -> linear(1)
            task outputs: regression(2) = forward -> linear(2)
            task values: multilabel(2) = forward -> linear(2)
            task tasks: binary = forward -> linear(1)
            task string: binary = forward -> linear(1)
            task system: binary = forward -> linear(1)
            """);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.CompileDiagnostics.Count == 0, CompileTests.Describe(run.CompileDiagnostics));
        var model = (INamedTypeSymbol)Assert.Single(run.Output.GetSymbolsWithName("ModelModel", SymbolFilter.Type));
        foreach (var member in new[] { "Namespace", "Forward", "Scope", "Parameters", "Train", "Model", "Outputs", "Values", "Tasks", "String", "System" })
        {
            Assert.Single(model.GetMembers(member).OfType<IPropertySymbol>());
        }
        var inputs = (INamedTypeSymbol)Assert.Single(run.Output.GetSymbolsWithName("ModelInputs", SymbolFilter.Type));
        Assert.Equal(["@class", "@event", "inputs", "rows"], inputs.InstanceConstructors.Single().Parameters.Select(p => SyntaxFacts(p.Name)));
    }

    public static TheoryData<string> Reserved => new(["to_string", "get_hash_code", "loss", "parameter_count", "shared_modules", "declared_inputs", "dispose", "m_model", "m_trainer", "m_example"]);

    [Theory]
    [MemberData(nameof(Reserved))]
    public void A_name_the_generated_code_already_uses_is_the_languages_error(string name)
    {
        var run = GeneratorHarness.Generate($"model M\ninput x: float[4]\ntask {name}: binary = x -> linear(1)\ntask other: binary = x -> linear(1)\n");

        var error = Assert.Single(run.GeneratorDiagnostics);
        Assert.Equal("MTL0113", error.Id);
        Assert.Contains($"'{name}'", error.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void Every_reserved_member_and_type_suffix_is_reported()
    {
        foreach (var member in GeneratedNames.ReservedMembers)
        {
            Assert.NotNull(GeneratedNames.Conflict("Census", member));
        }
        foreach (var suffix in GeneratedNames.TypeSuffixes)
        {
            Assert.NotNull(GeneratedNames.Conflict("Census", "Census" + suffix));
        }
        Assert.Null(GeneratedNames.Conflict("Census", "Income"));
        Assert.Null(GeneratedNames.Conflict("Census", "Model"));
    }

    private static string SyntaxFacts(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? name : "@" + name;
}
