using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

public sealed class SupportTests
{
    [Fact]
    public void Equatable_arrays_compare_elements()
    {
        var a = EquatableArray.Create(1, 2, 3);
        var b = new[] { 1, 2, 3 }.ToEquatableArray();

        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, EquatableArray.Create(1, 2));
        Assert.NotEqual(a, EquatableArray.Create(3, 2, 1));
        Assert.Equal(EquatableArray<int>.Empty, EquatableArray.Create<int>());
        Assert.Empty(default(EquatableArray<int>));
    }

    [Theory]
    [InlineData("dropuot", "dropout")]
    [InlineData("lienar", "linear")]
    [InlineData("conv2", "conv2d")]
    [InlineData("banana", null)]
    public void Suggestions_find_close_words(string word, string? expected)
    {
        Assert.Equal(expected, Suggestions.Closest(word, ["dropout", "linear", "conv2d", "conv1d"]));
    }

    [Fact]
    public void Internal_errors_never_appear_for_ordinary_files()
    {
        var result = MtlCompiler.Compile(TestCompiler.ReadExample("census.mtl"), "census.mtl");

        Assert.DoesNotContain(result.Diagnostics, d => d.Code == DiagnosticCode.InternalError);
        Assert.Equal("census.mtl", MtlCompiler.Compile("x", "census.mtl").Diagnostics[0].Path);
    }

    [Fact]
    public void Diagnostics_print_like_compiler_output()
    {
        var diagnostic = TestCompiler.Single(TestCompiler.Header + "task t: binary = x -> dropuot(0.1) -> linear(1)\n");

        Assert.Equal("test.mtl(3,23): error MTL0106: unknown layer 'dropuot' (did you mean 'dropout'?)", diagnostic.ToString());
    }
}
