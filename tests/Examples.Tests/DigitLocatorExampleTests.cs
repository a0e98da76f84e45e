using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Mtl.Examples.Tests;

/// <summary>
/// examples/DigitLocator, run as built with the solution on a short budget: MNIST digits placed on
/// a 48 × 48 canvas, a per-pixel mask, the class and the box learned by one shared encoder, each
/// clearly better than a trivial baseline measured by the program on the same validation canvases.
/// </summary>
public sealed class DigitLocatorExampleTests
{
    [Fact]
    public void A_short_run_beats_the_trivial_baselines_on_all_three_tasks()
    {
        var root = PackagedMtl.FindRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var program = Path.Combine(root, "examples", "DigitLocator", "bin", configuration, "net10.0", "DigitLocator.dll");
        Assert.True(File.Exists(program), $"{program} is missing: build Dsl.sln first");
        var report = Path.Combine(Path.GetTempPath(), "mtl-digits-test-" + Guid.NewGuid().ToString("N")[..8], "report.html");

        var run = Command.Run(root, "dotnet", [program, "--train", "4000", "--validation", "400", "--epochs", "2", "--threads", "1", "--report", report])
            .Succeeded("the digit locator example (MNIST comes from ./build.sh data)");

        Assert.Contains("MNIST: 60000 training and 10000 test digits of 28 × 28", run.Output, StringComparison.Ordinal);
        Assert.Contains("canvases: 4000 for training, 400 for validation, 48 × 48, clutter 2", run.Output, StringComparison.Ordinal);
        Assert.Contains("trained 2 epoch(s), 126 steps", run.Output, StringComparison.Ordinal); // ⌈4000 / 64⌉ = 63 per epoch
        const string Number = @"([\d.]+)";
        var model = Regex.Match(run.Output, $@"validation \(400 canvases\): mask miou {Number}, pixel accuracy {Number}; digit accuracy {Number}; box mae {Number}, box iou {Number}");
        var baseline = Regex.Match(run.Output, $@"baseline: mask miou {Number}, pixel accuracy {Number} \(all background\); digit accuracy {Number} \(always \d\); box mae {Number}, box iou {Number} \(the mean box\)");
        Assert.True(model.Success && baseline.Success, run.Output);
        double Get(Match m, int group) => double.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

        // All background scores the background's share of pixels (about 96 %) as pixel accuracy but
        // only half of it as mIoU, since the digit's IoU is 0: the model must find the digit's pixels.
        Assert.InRange(Get(baseline, 2), 0.9, 0.99);
        Assert.Equal(Get(baseline, 2) / 2, Get(baseline, 1), 3);
        Assert.True(Get(model, 1) >= Get(baseline, 1) + 0.15, $"mask miou {Get(model, 1)} against {Get(baseline, 1)} for all background\n{run.Output}");
        Assert.True(Get(model, 2) > Get(baseline, 2), $"pixel accuracy {Get(model, 2)} against {Get(baseline, 2)}\n{run.Output}");
        // The most frequent class is right about a tenth of the time.
        Assert.InRange(Get(baseline, 3), 0.05, 0.2);
        Assert.True(Get(model, 3) >= Get(baseline, 3) + 0.3, $"digit accuracy {Get(model, 3)} against {Get(baseline, 3)} for the majority class\n{run.Output}");
        // The box: a smaller error and a larger overlap than the mean box.
        Assert.True(Get(model, 4) <= 0.8 * Get(baseline, 4), $"box mae {Get(model, 4)} against {Get(baseline, 4)} for the mean box\n{run.Output}");
        Assert.True(Get(model, 5) >= Get(baseline, 5) + 0.1, $"box iou {Get(model, 5)} against {Get(baseline, 5)} for the mean box\n{run.Output}");

        // The report: the three tasks' charts and the encoder shared by all of them.
        Assert.True(File.Exists(report), run.Output);
        var html = File.ReadAllText(report);
        Assert.Contains("data-chart=\"mask · miou\"", html, StringComparison.Ordinal);
        Assert.Contains("data-chart=\"box · mae\"", html, StringComparison.Ordinal);
        Assert.Contains("data-node=\"encoder\" data-kind=\"shared\" data-shape=\"[32, 6, 6]\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_data_the_program_says_how_to_get_it()
    {
        var root = PackagedMtl.FindRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var program = Path.Combine(root, "examples", "DigitLocator", "bin", configuration, "net10.0", "DigitLocator.dll");
        var empty = Path.Combine(Path.GetTempPath(), "mtl-digits-empty-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(empty);

        var run = Command.Run(root, "dotnet", [program, "--data", empty]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"error: the MNIST IDX files are not in {empty}: run ./build.sh data", run.Output, StringComparison.Ordinal);

        // A file that is not IDX (here gzip's magic number) is named in the error.
        var images = Path.Combine(empty, "train-images-idx3-ubyte");
        File.WriteAllBytes(images, [0x1f, 0x8b, 8, 3, 0, 0, 0, 0]);
        var malformed = Command.Run(root, "dotnet", [program, "--data", empty]);
        Assert.Equal(2, malformed.ExitCode);
        Assert.Contains($"error: {images}: not an IDX file: the magic number starts with 0x1F8B", malformed.Output, StringComparison.Ordinal);

        var bad = Command.Run(root, "dotnet", [program, "--epochs", "zero"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("error: --epochs expects an integer of at least 1; found 'zero'", bad.Output, StringComparison.Ordinal);
    }
}
