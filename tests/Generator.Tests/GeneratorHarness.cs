using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Mtl.Generator.Tests;

/// <summary>Runs the generator in memory, as the compiler would, over .mtl texts and C# sources.</summary>
internal static class GeneratorHarness
{
    public const string RootNamespace = "Tests.Generated";

    private static readonly Lazy<IReadOnlyList<MetadataReference>> LazyReferences = new(LoadReferences);

    /// <summary>The framework's assemblies and Mtl's runtime, as a project referencing Mtl.Runtime compiles against.</summary>
    public static IReadOnlyList<MetadataReference> References => LazyReferences.Value;

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) => CSharpCompilation.Create(
        "Generated",
        sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    public static GeneratorDriver Driver(IEnumerable<AdditionalText> files, IReadOnlyDictionary<string, string>? options = null) =>
        CSharpGeneratorDriver.Create(
            [new MtlGenerator().AsSourceGenerator()],
            files,
            ParseOptions,
            new OptionsProvider(options ?? DefaultOptions),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static IReadOnlyDictionary<string, string> DefaultOptions { get; } = new Dictionary<string, string>
    {
        ["build_property.MtlRootNamespace"] = RootNamespace,
        ["build_property.MtlProjectDirectory"] = "/project",
    };

    /// <summary>Generates from the files (paths under /project), compiles the result, and returns both.</summary>
    public static Run Generate(params (string Path, string Text)[] files)
    {
        var driver = Driver(files.Select(f => new Text(f.Path, f.Text)));
        var compilation = Compilation();
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        return new Run(driver.GetRunResult(), output, generatorDiagnostics);
    }

    public static Run Generate(string mtl) => Generate(("/project/model.mtl", mtl));

    internal sealed record Run(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics)
    {
        public IReadOnlyList<GeneratedSourceResult> Sources => Result.Results.SelectMany(r => r.GeneratedSources).ToList();

        /// <summary>Every diagnostic of compiling the generated code, warnings included.</summary>
        public IReadOnlyList<Diagnostic> CompileDiagnostics => Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
    }

    public sealed class Text(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private sealed class OptionsProvider(IReadOnlyDictionary<string, string> global) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(global);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Options.Empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Options.Empty;

        private sealed class Options(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
        {
            public static readonly Options Empty = new(new Dictionary<string, string>());

            public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
        }
    }

    private static IReadOnlyList<MetadataReference> LoadReferences()
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var mtl = new[] { "Mtl.Runtime.dll", "Mtl.Torch.dll", "Mtl.Catalog.dll" }.Select(f => Path.Combine(AppContext.BaseDirectory, f));
        return platform.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Concat(mtl)
            .Distinct()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList();
    }
}
