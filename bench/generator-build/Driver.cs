// Runs Mtl.Generator in memory over every .mtl file of a folder, with a new driver (what every
// command-line compile does by default) and with one long-lived driver (what the IDE does, and the
// compiler server with the enable-generator-cache feature); times the runs and counts why each
// pipeline step's outputs were or were not recomputed. Built and run by ../generator-build.sh, on
// the models it writes. Usage: Driver MODELS_FOLDER EDITED.mtl RUNS
using System.Diagnostics;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Mtl.Generator;

var folder = args[0];
var edited = Path.GetFullPath(args[1]);
var runs = int.Parse(args[2], CultureInfo.InvariantCulture);
var paths = Directory.GetFiles(folder, "*.mtl").Order(StringComparer.Ordinal).Select(Path.GetFullPath).ToList();
List<AdditionalText> ReadFiles() => paths.Select(p => (AdditionalText)new Text(p, File.ReadAllText(p))).ToList();
var files = ReadFiles();
var parse = new CSharpParseOptions(LanguageVersion.Latest);
var globalOptions = new Dictionary<string, string>
{
    ["build_property.MtlRootNamespace"] = "App",
    ["build_property.MtlProjectDirectory"] = Path.GetFullPath(Path.Combine(folder, "..")),
};
SyntaxTree Other(int value) => CSharpSyntaxTree.ParseText($"static class Other {{ public const int Value = {value}; }}", parse, "Other.cs");
var program = CSharpSyntaxTree.ParseText("System.Console.WriteLine(Other.Value);", parse, "Program.cs");
var compilation = CSharpCompilation.Create("App", [program, Other(0)], [], new CSharpCompilationOptions(OutputKind.ConsoleApplication));

GeneratorDriver NewDriver(bool track) => CSharpGeneratorDriver.Create(
    [new MtlGenerator().AsSourceGenerator()], files, parse, new OptionsProvider(globalOptions),
    new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: track));

(GeneratorDriver Driver, double Ms) Run(GeneratorDriver driver, Compilation c)
{
    var clock = Stopwatch.StartNew();
    driver = driver.RunGenerators(c);
    var ms = clock.Elapsed.TotalMilliseconds;
    var result = driver.GetRunResult().Results.Single();
    if (result.Exception is { } e) throw e;
    if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error)) throw new InvalidOperationException(string.Join("\n", result.Diagnostics));
    return (driver, ms);
}

string Steps(GeneratorDriver driver)
{
    var steps = driver.GetRunResult().Results.Single().TrackedSteps;
    var names = new[] { "Options", "Files", "Compile", "Models", "Diagnostics" };
    return string.Join("; ", names.Where(steps.ContainsKey).Select(name =>
        name + " " + string.Join(", ", steps[name].SelectMany(s => s.Outputs).GroupBy(o => o.Reason).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"))));
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    var n = sorted.Count;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

var (_, firstMs) = Run(NewDriver(track: false), compilation);
Measure(); // warm-up: lets the JIT finish compiling the generator and Roslyn's driver
var (untracked, tracked) = Measure();

var f = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(f, $"in-memory driver over {files.Count} .mtl files ({untracked.Sources} generated sources), median of {runs} runs (with step tracking in brackets):"));
Console.WriteLine(string.Create(f, $"  first run in a new process (JIT included): {firstMs:F0} ms"));
Console.WriteLine(string.Create(f, $"  a new driver (every command-line compile by default), JIT done: {untracked.Scratch:F1} ms ({tracked.Scratch:F1} ms)"));
Console.WriteLine(string.Create(f, $"  the same driver after editing a .cs file, as the IDE runs it: {untracked.Cs:F1} ms ({tracked.Cs:F1} ms)"));
Console.WriteLine($"    steps: {tracked.CsSteps}");
Console.WriteLine(string.Create(f, $"  the same driver after editing a .cs file, inputs given anew as a cached compiler-server driver gets them: {untracked.Server:F1} ms ({tracked.Server:F1} ms)"));
Console.WriteLine($"    steps: {tracked.ServerSteps}");
Console.WriteLine(string.Create(f, $"  the same driver after editing one .mtl file: {untracked.Mtl:F1} ms ({tracked.Mtl:F1} ms)"));
Console.WriteLine($"    steps: {tracked.MtlSteps}");
return 0;

// Runs drivers from scratch; then the same driver after .cs edits, as the IDE runs it (the same
// additional texts and options); then after .cs edits with the .mtl files read anew and new
// options, as the compiler server hands a cached driver a new compile's inputs
// (ReplaceAdditionalTexts, WithUpdatedAnalyzerConfigOptions); then after edits of one .mtl file
// (the income head's width toggles between 16 and 17, so that file's model changes). A driver
// without step tracking (as the compiler runs) and one with it take turns, so that a busy
// machine's bursts hit both alike. The step reasons are those of the last run of each kind.
(Result Untracked, Result Tracked) Measure()
{
    var scratch = new[] { new List<double>(), new List<double>() };
    var cs = new[] { new List<double>(), new List<double>() };
    var server = new[] { new List<double>(), new List<double>() };
    var mtl = new[] { new List<double>(), new List<double>() };
    var drivers = new GeneratorDriver[2];
    double ms;
    for (var i = 0; i < runs; i++)
    {
        for (var t = 0; t < 2; t++)
        {
            (drivers[t], ms) = Run(NewDriver(track: t == 1), compilation);
            scratch[t].Add(ms);
        }
    }
    var sources = drivers[0].GetRunResult().Results.Single().GeneratedSources.Length;
    var c = compilation;
    var value = 0;
    for (var i = 0; i < runs; i++)
    {
        c = c.ReplaceSyntaxTree(c.SyntaxTrees.Single(t => t.FilePath == "Other.cs"), Other(++value));
        for (var t = 0; t < 2; t++)
        {
            (drivers[t], ms) = Run(drivers[t], c);
            cs[t].Add(ms);
        }
    }
    var csSteps = Steps(drivers[1]);
    // The texts each driver holds: those it was created with, until they are given anew.
    var held = new[] { files, files };
    for (var i = 0; i < runs; i++)
    {
        c = c.ReplaceSyntaxTree(c.SyntaxTrees.Single(t => t.FilePath == "Other.cs"), Other(++value));
        for (var t = 0; t < 2; t++)
        {
            var clock = Stopwatch.StartNew();
            held[t] = ReadFiles();
            drivers[t] = drivers[t].ReplaceAdditionalTexts([.. held[t]]).WithUpdatedAnalyzerConfigOptions(new OptionsProvider(globalOptions));
            var replace = clock.Elapsed.TotalMilliseconds;
            (drivers[t], ms) = Run(drivers[t], c);
            server[t].Add(replace + ms);
        }
    }
    var serverSteps = Steps(drivers[1]);
    for (var i = 0; i < runs; i++)
    {
        for (var t = 0; t < 2; t++)
        {
            var index = held[t].FindIndex(x => x.Path == edited);
            var current = (Text)held[t][index];
            var text = current.Content;
            var changed = new Text(current.Path, text.Contains(Head16) ? text.Replace(Head16, Head17) : text.Replace(Head17, Head16));
            drivers[t] = drivers[t].ReplaceAdditionalText(current, changed);
            held[t] = [.. held[t]];
            held[t][index] = changed;
            (drivers[t], ms) = Run(drivers[t], c);
            mtl[t].Add(ms);
        }
    }
    var mtlSteps = Steps(drivers[1]);
    return (new Result(sources, Median(scratch[0]), Median(cs[0]), "", Median(server[0]), "", Median(mtl[0]), ""),
            new Result(sources, Median(scratch[1]), Median(cs[1]), csSteps, Median(server[1]), serverSteps, Median(mtl[1]), mtlSteps));
}

static partial class Program
{
    // generator-build.sh's edit: the width of the income head's hidden layer.
    private const string Head16 = "linear(16) -> relu -> linear(1)";
    private const string Head17 = "linear(17) -> relu -> linear(1)";
}

record Result(int Sources, double Scratch, double Cs, string CsSteps, double Server, string ServerSteps, double Mtl, string MtlSteps);

sealed class Text(string path, string content) : AdditionalText
{
    public string Content { get; } = content;

    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(Content);
}

sealed class OptionsProvider(IReadOnlyDictionary<string, string> global) : AnalyzerConfigOptionsProvider
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
