using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>Every example in docs/language.md and in Examples/ (the design sketch included) compiles without diagnostics.</summary>
public sealed class LanguageDocTests
{
    public static TheoryData<int> Examples()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Blocks().Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Language_reference_example_compiles(int index)
    {
        var result = TestCompiler.Compile(Blocks()[index]);

        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics));
        Assert.NotEmpty(result.Models);
    }

    [Fact]
    public void Reference_has_examples()
    {
        Assert.True(Blocks().Count >= 15);
    }

    [Theory]
    [InlineData("design.mtl")]
    [InlineData("census.mtl")]
    public void Example_file_compiles(string file)
    {
        var result = TestCompiler.Compile(TestCompiler.ReadExample(file));

        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics));
        Assert.Single(result.Models);
    }

    private static IReadOnlyList<string> Blocks() => MarkdownBlocks.Blocks(TestCompiler.ReadDoc("language.md"), "mtl");
}
