using System.Text.RegularExpressions;
using Mtl.Dsl.Tests;
using Xunit;

namespace Mtl.Examples.Tests;

/// <summary>
/// Packs Mtl and Mtl.Runtime into a folder feed (with a package cache of its own, so an older
/// package of the same version can never stand in), and creates a console project from them that
/// every test of <see cref="UserPathTests"/> builds on.
/// </summary>
public sealed class PackagedMtl : IDisposable
{
    public PackagedMtl()
    {
        Root = FindRoot();
        Directory = Path.Combine(Path.GetTempPath(), "mtl-user-path-" + Guid.NewGuid().ToString("N")[..8]);
        Feed = Path.Combine(Directory, "feed");
        System.IO.Directory.CreateDirectory(Feed);
        Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(Directory, "packages") };
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        foreach (var project in new[] { "src/Generator/Mtl.Generator.csproj", "src/Runtime/Mtl.Runtime.csproj" })
        {
            Dotnet(Root, "pack", project, "-c", configuration, "--no-build", "-o", Feed).Succeeded($"packing {project}");
        }
        File.WriteAllText(Path.Combine(Directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="mtl" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
    }

    /// <summary>The repository (holding Dsl.sln).</summary>
    public string Root { get; }

    /// <summary>Where the feed, the package cache and the user's projects live for this run.</summary>
    public string Directory { get; }

    public string Feed { get; }

    public IReadOnlyDictionary<string, string> Environment { get; }

    public Command.Result Dotnet(string directory, params string[] arguments) => Command.Run(directory, "dotnet", arguments, Environment);

    /// <summary>A new console project, as <c>dotnet new console</c> makes it, with Mtl and Mtl.Runtime added as a user adds them.</summary>
    public string NewConsoleProject(string name)
    {
        Dotnet(Directory, "new", "console", "-n", name, "-o", name).Succeeded("dotnet new console");
        var project = Path.Combine(Directory, name);
        Dotnet(project, "add", "package", "Mtl", "--version", "0.1.0").Succeeded("adding Mtl");
        Dotnet(project, "add", "package", "Mtl.Runtime", "--version", "0.1.0").Succeeded("adding Mtl.Runtime");
        return project;
    }

    public string ReadDoc(string name) => File.ReadAllText(Path.Combine(Root, "docs", name));

    internal static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (holding Dsl.sln) was not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A build server may still hold a file for a moment; the folder is under the temp path.
        }
    }
}

/// <summary>
/// README's walkthrough, done as a user does it: a console project, the complete census.mtl of
/// docs/language.md, a build that generates the classes and builds the native shim, a few lines
/// of C# that train, predict and save; then mistakes in .mtl files fail the build at their line
/// and column in MSBuild's format, and fixing them regenerates.
/// </summary>
public sealed class UserPathTests(PackagedMtl mtl) : IClassFixture<PackagedMtl>
{
    private const string Program = """
        using Census;

        var random = new Random(1);
        CensusExample Example(int i)
        {
            var features = Enumerable.Range(0, 14).Select(_ => (float)random.NextDouble()).ToArray();
            var tokens = Enumerable.Range(0, 64).Select(_ => (long)random.Next(5000)).ToArray();
            return new CensusExample { Features = features, Tokens = tokens, Income = features[0] > 0.5f, Marital = (int)(features[1] * 7) };
        }

        var examples = Enumerable.Range(0, 256).Select(Example).ToList();
        using var all = CensusDataset.From(examples);
        var (train, validation) = all.Split(0.75);
        using var trainer = new CensusTrainer(CensusTrainer.DefaultOptions() with { Epochs = 2 });
        var history = trainer.Fit(train, validation);
        var metrics = trainer.Evaluate(validation);
        var prediction = trainer.Predict(examples.Take(3));
        trainer.Save("census.ckpt");
        Console.Write(trainer.CompareWithSingleTask(train, validation, seeds: 1).ToTable());
        using var restored = new CensusTrainer();
        restored.Load("census.ckpt");
        var again = restored.Predict(examples.Take(3));
        Console.WriteLine($"epochs {history.Count}, parameters {CensusModel.ParameterCount}");
        Console.WriteLine($"income accuracy {metrics.Income.Accuracy:F3} auc {metrics.Income.Auc:F3}; marital accuracy {metrics.Marital.Accuracy:F3} macro F1 {metrics.Marital.MacroF1:F3}");
        Console.WriteLine($"predictions {prediction.Count}: income {prediction[0].Income.Probability:F4}, marital {prediction[0].Marital.Class}; after load {again[0].Income.Probability:F4}");
        train.Dispose();
        validation.Dispose();
        """;

    [Fact]
    public void A_console_project_builds_its_mtl_file_into_classes_that_train_and_a_mistake_fails_the_build_at_its_line()
    {
        var project = mtl.NewConsoleProject("Census");
        var census = MarkdownBlocks.Blocks(mtl.ReadDoc("language.md"), "mtl")[0];
        File.WriteAllText(Path.Combine(project, "census.mtl"), census);
        File.WriteAllText(Path.Combine(project, "Program.cs"), Program);

        var build = mtl.Dotnet(project, "build", "-nologo").Succeeded("building the census project");
        Assert.DoesNotContain(": warning ", build.Output, StringComparison.Ordinal);

        var run = mtl.Dotnet(project, "run", "--no-build").Succeeded("running the census project");
        Assert.Contains("epochs 2, parameters ", run.Output, StringComparison.Ordinal);
        var predictions = Regex.Match(run.Output, @"income (\d\.\d{4}), marital \d; after load (\d\.\d{4})");
        Assert.True(predictions.Success, run.Output);
        Assert.Equal(predictions.Groups[1].Value, predictions.Groups[2].Value);
        // The comparison with each task trained alone: a row per task and metric, and its cost (2 tasks + all, one seed, 2 epochs each).
        Assert.Matches(@"(?m)^income\s+auc\s+\d\.\d{4}\s+\d\.\d{4}\s+[+-]\d\.\d{4}\s+(positive|negative|none)$", run.Output);
        Assert.Matches(@"(?m)^marital\s+macro_f1\s", run.Output);
        Assert.Matches(@"(?m)^cost: 3 runs, \d+ steps, ", run.Output);

        var typo = census.Replace("-> relu -> dropout(0.1)", "-> relux -> dropout(0.1)", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(project, "census.mtl"), typo);
        var (line, column) = Position(typo, "relux");
        var broken = mtl.Dotnet(project, "build", "-nologo");
        Assert.NotEqual(0, broken.ExitCode);
        Assert.Contains($"census.mtl({line},{column}): error MTL0106: unknown layer 'relux' (did you mean 'relu'?)", broken.Output, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(project, "census.mtl"), census.Replace("linear(16) -> relu -> linear(1)", "linear(24) -> relu -> linear(1)", StringComparison.Ordinal));
        mtl.Dotnet(project, "build", "-nologo").Succeeded("building after the fix");
        var rerun = mtl.Dotnet(project, "run", "--no-build").Succeeded("running after the edit");
        var before = long.Parse(Regex.Match(run.Output, @"parameters (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var after = long.Parse(Regex.Match(rerun.Output, @"parameters (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(before + (64 * 8) + 8 + (8 * 1), after); // linear(16) -> linear(24): 64·8 + 8 weights and biases in, 8 weights out
    }

    [Fact]
    public void Every_documented_diagnostic_is_a_build_error_or_warning_at_its_line_and_column()
    {
        var project = mtl.NewConsoleProject("Diagnostics");
        var sections = MarkdownBlocks.Sections(mtl.ReadDoc("diagnostics.md"));
        var expected = new Dictionary<string, string>();
        foreach (var (heading, body) in sections)
        {
            var code = heading.Substring(0, 7);
            var file = $"{code.ToLowerInvariant()}.mtl";
            File.WriteAllText(Path.Combine(project, file), Assert.Single(MarkdownBlocks.Blocks(body, "mtl")));
            var lines = Assert.Single(MarkdownBlocks.Blocks(body, "text")).TrimEnd('\n').Split('\n');
            var shown = Regex.Match(lines[0], @"^(\d+):(\d+)-\d+:\d+ (error|warning) (MTL\d{4}): (.*)$");
            Assert.True(shown.Success, lines[0]);
            var fix = lines.Length > 1 ? $" ({lines[1].Substring("fix: ".Length)})" : "";
            expected[file] = $"{file}({shown.Groups[1].Value},{shown.Groups[2].Value}): {shown.Groups[3].Value} {shown.Groups[4].Value}: {shown.Groups[5].Value}{fix}";
        }

        // The shim is not what this test is about: the user-path test builds it; here a failing build stops before it matters.
        var build = mtl.Dotnet(project, "build", "-nologo", "-p:MtlNativeLibraryPath=/nonexistent/libmtl_torch.so");

        Assert.NotEqual(0, build.ExitCode);
        // MSBuild's line: path(line,col): severity code: message [project]
        var reported = Regex.Matches(build.Output, @"/(mtl\d{4}\.mtl\(\d+,\d+\): (?:error|warning) MTL\d{4}: .*) \[[^\[\]]*\.csproj\]\s*$", RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value)
            .ToHashSet();
        foreach (var (file, line) in expected)
        {
            Assert.True(reported.Contains(line), $"{file}: expected\n  {line}\nin the build's output; the lines for it were\n  {string.Join("\n  ", reported.Where(r => r.StartsWith(file, StringComparison.Ordinal)))}");
        }
    }

    private static (int Line, int Column) Position(string text, string word)
    {
        var index = text.IndexOf(word, StringComparison.Ordinal);
        var line = text[..index].Count(c => c == '\n') + 1;
        var column = index - text.LastIndexOf('\n', index - 1);
        return (line, column);
    }
}
