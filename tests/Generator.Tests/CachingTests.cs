using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Xunit;
using Steps = Mtl.Generator.MtlGenerator.Steps;

namespace Mtl.Generator.Tests;

/// <summary>
/// The pipeline does no work it need not do: a rerun is all cached, an edit re-runs only the
/// edited file's steps, C# edits re-run nothing, and moving text without changing its meaning
/// leaves the emitted source unchanged. Every cached value compares by value and holds no Roslyn
/// object (which would keep compilations alive and defeat the cache).
/// </summary>
public sealed class CachingTests
{
    private const string First = """
        model First
        input x: float[4]
        shared trunk = x -> linear(8) -> relu
        task a: binary = trunk -> linear(1)
        task b: classes(3) = trunk -> linear(3)
        """;

    private const string Second = """
        model Second
        input y: float[2]
        task c: regression(1) = y -> linear(1)
        """;

    private static readonly string[] TrackedSteps = [Steps.Options, Steps.Files, Steps.Compile, Steps.Models, Steps.Diagnostics];

    [Fact]
    public void A_second_run_with_nothing_changed_is_all_cached()
    {
        var (driver, compilation) = Start(out _, out _);

        var result = driver.RunGenerators(compilation.Clone()).GetRunResult().Results[0];

        foreach (var step in TrackedSteps)
        {
            Assert.All(Outputs(result, step), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        }
        Assert.All(SourceOutputs(result), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Editing_one_file_reruns_only_that_files_steps()
    {
        var (driver, compilation) = Start(out var first, out _);
        var edited = new GeneratorHarness.Text(first.Path, First.Replace("linear(8)", "linear(16)"));

        var result = driver.ReplaceAdditionalText(first, edited).RunGenerators(compilation.Clone()).GetRunResult().Results[0];

        // One file of two changed: one compile step output is new, the other is cached.
        Assert.Equal([IncrementalStepRunReason.Modified, IncrementalStepRunReason.Cached], Outputs(result, Steps.Compile).Order());
        Assert.Contains(IncrementalStepRunReason.Modified, Outputs(result, Steps.Models));
        Assert.Contains(IncrementalStepRunReason.Cached, Outputs(result, Steps.Models));
        // The edited model's source output re-emits; the other model's and both files' diagnostics outputs do not.
        Assert.Equal(1, SourceOutputs(result).Count(r => r == IncrementalStepRunReason.Modified));
        Assert.All(SourceOutputs(result).Where(r => r != IncrementalStepRunReason.Modified), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"source output {r}"));
    }

    [Fact]
    public void Adding_a_csharp_file_reruns_nothing()
    {
        var (driver, compilation) = Start(out _, out _);
        var more = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("namespace User; public class Extra { }", GeneratorHarness.ParseOptions));

        var result = driver.RunGenerators(more).GetRunResult().Results[0];

        foreach (var step in TrackedSteps)
        {
            Assert.All(Outputs(result, step), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        }
        Assert.All(SourceOutputs(result), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void Moving_text_without_changing_its_meaning_leaves_the_emitted_source_unchanged()
    {
        var (driver, compilation) = Start(out var first, out _);
        var moved = new GeneratorHarness.Text(first.Path, "// a comment that moves every line down\n\n" + First.Replace("->", "  ->"));

        var result = driver.ReplaceAdditionalText(first, moved).RunGenerators(compilation.Clone()).GetRunResult().Results[0];

        Assert.Contains(IncrementalStepRunReason.Modified, Outputs(result, Steps.Files));
        Assert.DoesNotContain(IncrementalStepRunReason.Modified, Outputs(result, Steps.Compile));
        Assert.DoesNotContain(IncrementalStepRunReason.Modified, Outputs(result, Steps.Models));
        Assert.DoesNotContain(IncrementalStepRunReason.New, Outputs(result, Steps.Models));
        Assert.All(SourceOutputs(result), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"source output {r}"));
    }

    [Fact]
    public void Moving_an_error_moves_only_its_diagnostic()
    {
        var broken = First.Replace("relu", "relux");
        var file = new GeneratorHarness.Text("/project/first.mtl", broken);
        var compilation = GeneratorHarness.Compilation();
        var driver = GeneratorHarness.Driver([file]).RunGenerators(compilation);
        var before = Assert.Single(driver.GetRunResult().Diagnostics);

        var after = driver.ReplaceAdditionalText(file, new GeneratorHarness.Text(file.Path, "\n" + broken)).RunGenerators(compilation.Clone()).GetRunResult();

        var moved = Assert.Single(after.Diagnostics);
        Assert.Equal(before.Id, moved.Id);
        Assert.Equal(before.Location.GetLineSpan().StartLinePosition.Line + 1, moved.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Empty(after.Results[0].GeneratedSources);
    }

    [Fact]
    public void Every_cached_value_compares_by_value_and_holds_no_roslyn_object()
    {
        var (driver, _) = Start(out _, out _);
        var result = driver.GetRunResult().Results[0];

        var checkedTypes = 0;
        foreach (var step in TrackedSteps)
        {
            foreach (var value in result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Value))
            {
                checkedTypes += Walk(value, step, new HashSet<object>(ReferenceEqualityComparer.Instance));
            }
        }
        Assert.True(checkedTypes > 50, $"only {checkedTypes} values were walked");
    }

    private static (GeneratorDriver Driver, Compilation Compilation) Start(out AdditionalText first, out AdditionalText second)
    {
        first = new GeneratorHarness.Text("/project/first.mtl", First);
        second = new GeneratorHarness.Text("/project/models/second.mtl", Second);
        var compilation = GeneratorHarness.Compilation();
        var driver = GeneratorHarness.Driver([first, second]).RunGenerators(compilation);
        Assert.Equal(22, driver.GetRunResult().Results[0].GeneratedSources.Length);
        return (driver, compilation);
    }

    private static IReadOnlyList<IncrementalStepRunReason> Outputs(GeneratorRunResult result, string step) =>
        result.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();

    private static IReadOnlyList<IncrementalStepRunReason> SourceOutputs(GeneratorRunResult result) =>
        result.TrackedOutputSteps.SelectMany(p => p.Value).SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();

    /// <summary>Checks a cached value and everything it holds; returns how many values it checked.</summary>
    private static int Walk(object? value, string path, HashSet<object> seen)
    {
        if (value is null) return 0;
        var type = value.GetType();
        if (type.IsPrimitive || type.IsEnum || value is string or decimal) return 1;
        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Compilation or SemanticModel or Location,
            $"{path} holds a Roslyn {type.Name}, which keeps a compilation alive");
        if (!type.IsValueType && !seen.Add(value)) return 0;
        Assert.True(ComparesByValue(type), $"{path}: {type.FullName} does not compare by value");
        var count = 1;
        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items) count += Walk(item, $"{path}[{i++}]", seen);
            return count;
        }
        if (type.FullName!.StartsWith("System.ValueTuple", StringComparison.Ordinal) || type.GetInterfaces().Any(i => i.Name == "IEquatable`1"))
        {
            foreach (var property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public).Where(p => p.GetIndexParameters().Length == 0))
            {
                count += Walk(property.GetValue(value), $"{path}.{property.Name}", seen);
            }
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public))
            {
                count += Walk(field.GetValue(value), $"{path}.{field.Name}", seen);
            }
        }
        return count;
    }

    private static bool ComparesByValue(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEquatable<>) && i.GetGenericArguments()[0] == type)
        || type.FullName!.StartsWith("System.ValueTuple", StringComparison.Ordinal);
}
