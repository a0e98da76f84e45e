using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>Compiles test sources and asserts on the outcome.</summary>
internal static class TestCompiler
{
    public const string Path = "test.mtl";

    public static MtlCompilation Compile(string text) => MtlCompiler.Compile(text, Path);

    /// <summary>Compiles text that must have no errors or warnings and holds exactly one model.</summary>
    public static MtlModel Model(string text)
    {
        var result = Compile(text);
        Assert.True(result.Diagnostics.Count == 0, "unexpected diagnostics:\n" + string.Join("\n", result.Diagnostics));
        return Assert.Single(result.Models);
    }

    /// <summary>The one diagnostic text produces.</summary>
    public static Diagnostic Single(string text)
    {
        var result = Compile(text);
        Assert.True(result.Diagnostics.Count == 1, "expected one diagnostic, found:\n" + string.Join("\n", result.Diagnostics));
        return result.Diagnostics[0];
    }

    public static string ReadExample(string name) => File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Examples", name));

    public static string ReadDoc(string name) => File.ReadAllText(System.IO.Path.Combine(AppContext.BaseDirectory, "Docs", name));

    /// <summary>A minimal valid model body to append declarations to.</summary>
    public const string Header = "model M\ninput x: float[4]\n";

    public const string Task = "task t: binary = x -> linear(1)\n";
}
