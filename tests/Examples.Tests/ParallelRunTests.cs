using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Mtl.Examples.Tests;

/// <summary>
/// Data-parallel training across real processes: mtl-run starts two ranks of bench/Mtl.Parallel
/// over 127.0.0.1, each with batch B; they must end with the same weights, bit for bit, and with
/// what one process with batch 2B ends with; a rank that fails stops the run.
/// </summary>
public sealed class ParallelRunTests
{
    private static string Built(string root, string project, string assembly)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var path = Path.Combine(root, project, "bin", configuration, "net10.0", assembly);
        Assert.True(File.Exists(path), $"{path} is missing: build Dsl.sln first");
        return path;
    }

    private sealed record Rank(int Index, int World, double Loss, double Sum, string Digest, long Steps);

    private static List<Rank> Ranks(string output) =>
        Regex.Matches(output, @"rank (\d+) of (\d+): loss (\S+) sum (\S+) digest ([0-9a-f]{8}) steps (\d+)")
            .Select(m => new Rank(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
                double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture), m.Groups[5].Value,
                long.Parse(m.Groups[6].Value, CultureInfo.InvariantCulture)))
            .OrderBy(r => r.Index).ToList();

    [Fact]
    public void Two_processes_with_batch_b_train_as_one_process_with_batch_2b()
    {
        var root = PackagedMtl.FindRoot();
        var program = Built(root, "bench/Mtl.Parallel", "Mtl.Parallel.dll");
        var launcher = Built(root, "src/Launcher", "mtl-run.dll");
        string[] common = ["--epochs", "2", "--rows", "1024"];

        var single = Ranks(Command.Run(root, "dotnet", [program, "--batch", "64", .. common]).Succeeded("one process").Output);
        var run = Command.Run(root, "dotnet", [launcher, "-n", "2", "--", "dotnet", program, "--batch", "32", .. common]).Succeeded("two ranks");
        var ranks = Ranks(run.Output);

        Assert.Single(single);
        Assert.Equal([0, 1], ranks.Select(r => r.Index));
        Assert.All(ranks, r => Assert.Equal(2, r.World));
        Assert.Contains("[rank 1] rank 1 of 2:", run.Output, StringComparison.Ordinal);
        // The ranks agree bit for bit, and take the single process's steps to its weights.
        Assert.Equal(ranks[0].Digest, ranks[1].Digest);
        Assert.Equal(ranks[0].Sum, ranks[1].Sum);
        Assert.Equal(single[0].Steps, ranks[0].Steps);
        Assert.Equal(single[0].Sum, ranks[0].Sum, 1e-4);
        Assert.Equal(single[0].Loss, ranks[0].Loss, 1e-6);
    }

    [Fact]
    public void A_rank_that_fails_stops_the_others_and_sets_the_exit_code()
    {
        var root = PackagedMtl.FindRoot();
        var launcher = Built(root, "src/Launcher", "mtl-run.dll");
        // Rank 1 fails at once; rank 0 would wait for a minute.
        var run = Command.Run(root, "dotnet", [launcher, "-n", "2", "--", "sh", "-c", "echo started $RANK of $WORLD_SIZE on $MASTER_ADDR; if [ \"$RANK\" = 1 ]; then exit 3; fi; sleep 60"], timeoutSeconds: 45);
        Assert.Equal(3, run.ExitCode);
        Assert.Contains("[rank 1] started 1 of 2 on 127.0.0.1", run.Output, StringComparison.Ordinal);
        Assert.Contains("mtl-run: rank 1 exited with code 3; stopping the other ranks", run.Output, StringComparison.Ordinal);

        var usage = Command.Run(root, "dotnet", [launcher, "--", "true"]);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("-n (the number of processes) is required", usage.Output, StringComparison.Ordinal);
    }
}
