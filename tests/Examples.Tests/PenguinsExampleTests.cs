using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Mtl.Examples.Tests;

/// <summary>
/// examples/Penguins, run as built with the solution: the Palmer penguins table read through the
/// generated FromCsv, three tasks trained with standardised measures and body mass.
/// </summary>
public sealed class PenguinsExampleTests
{
    [Fact]
    public void The_penguins_example_reads_its_table_and_learns_its_three_tasks()
    {
        var root = PackagedMtl.FindRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var program = Path.Combine(root, "examples", "Penguins", "bin", configuration, "net10.0", "Penguins.dll");
        Assert.True(File.Exists(program), $"{program} is missing: build Dsl.sln first");

        var run = Command.Run(root, "dotnet", [program]).Succeeded("the penguins example");

        // 344 penguins, 2 without measurements (skipped and counted), 11 without sex, 2 of them among the skipped.
        Assert.Contains("penguins.csv: 342 rows (2 skipped: missing inputs); missing labels: sex 9", run.Output, StringComparison.Ordinal);
        var held = Regex.Match(run.Output, @"held out \((\d+) penguins\): species accuracy ([\d.]+) %, sex accuracy ([\d.]+) %, body mass mae (\d+) g, r2 ([\d.]+)");
        Assert.True(held.Success, run.Output);
        double Number(int group) => double.Parse(held.Groups[group].Value, CultureInfo.InvariantCulture);
        Assert.Equal(68, Number(1));
        Assert.True(Number(2) >= 95, $"species accuracy {Number(2)} %");
        Assert.True(Number(3) >= 80, $"sex accuracy {Number(3)} %");
        Assert.True(Number(4) is > 100 and < 400, $"body mass mae {Number(4)} g: in grams, as the label");
        Assert.True(Number(5) >= 0.7, $"body mass r2 {Number(5)}");
        // Typical penguins of each species: predicted by species name and mass in grams.
        var predictions = Regex.Matches(run.Output, @"^  (\w+) \(\d+ %\), male \d+ %, (\d+) g$", RegexOptions.Multiline);
        Assert.Equal(["Adelie", "Chinstrap", "Gentoo"], predictions.Select(m => m.Groups[1].Value));
        Assert.All(predictions, m => Assert.InRange(int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), 2700, 6300));

        // Each task trained alone: a row per task and metric (and loss), over three seeds.
        var rows = Regex.Matches(run.Output, @"^(species|sex|mass) +(\w+) +[\d.]+ ± [\d.]+ +[\d.]+ ± [\d.]+ +[+-][\d.]+ ± [\d.]+ +(positive|negative|within noise|none)$", RegexOptions.Multiline);
        Assert.Equal(["species accuracy", "species macro_f1", "species loss", "sex accuracy", "sex auc", "sex loss", "mass mae", "mass r2", "mass loss"],
            rows.Select(m => m.Groups[1].Value + " " + m.Groups[2].Value));
        Assert.Contains("seeds 7, 8, 9", run.Output, StringComparison.Ordinal);
        // The report shows the same comparison, and the run's settings.
        var report = Regex.Match(run.Output, @"^report: (.+)$", RegexOptions.Multiline);
        Assert.True(report.Success, run.Output);
        var html = File.ReadAllText(report.Groups[1].Value.Trim());
        Assert.Equal(9, Regex.Matches(html, "<tr data-task=").Count);
        Assert.Contains("data-setting=\"optimizer\">Adam: lr 0.005,", html, StringComparison.Ordinal);
        Assert.Contains("data-chart=\"mass · mae\"", html, StringComparison.Ordinal);
        // The architecture drawing: the trunk's box with its shape and PyTorch's parameter count, (3+4)·32+32 + 32·32+32 + 3·4.
        Assert.Contains("data-node=\"trunk\" data-kind=\"shared\" data-shape=\"[32]\" data-parameters=\"1324\"", html, StringComparison.Ordinal);
    }
}
