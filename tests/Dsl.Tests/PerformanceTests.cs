using System.Diagnostics;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace Mtl.Dsl.Tests;

/// <summary>Measures a large file; the time is reported, not asserted (timings belong in benchmarks).</summary>
public sealed class PerformanceTests
{
    private readonly ITestOutputHelper _output;

    public PerformanceTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Compiles_a_5000_line_file()
    {
        var text = Generate(models: 125, blocksPerModel: 28);
        Assert.Equal(5000, text.Split('\n').Length - 1);

        TestCompiler.Compile(text); // warm up the JIT
        var stopwatch = Stopwatch.StartNew();
        var result = TestCompiler.Compile(text);
        stopwatch.Stop();

        Assert.True(result.Diagnostics.Count == 0, string.Join("\n", result.Diagnostics.Take(5)));
        Assert.Equal(125, result.Models.Count);
        Assert.All(result.Models, m => Assert.Equal(28, m.SharedBlocks.Count));
        _output.WriteLine($"5,000 lines compiled in {stopwatch.Elapsed.TotalMilliseconds:F1} ms");
    }

    /// <summary>Models of 40 lines: inputs, a chain of shared blocks, tasks and settings.</summary>
    private static string Generate(int models, int blocksPerModel)
    {
        var builder = new StringBuilder();
        for (var m = 0; m < models; m++)
        {
            builder.Append("/// Generated model ").Append(m).Append('\n');
            builder.Append("model Generated").Append(m).Append('\n');
            builder.Append("input features: float[32]\n");
            builder.Append("input image: float[3, 16, 16]\n");
            builder.Append("shared block_0 = concat(features, image -> conv2d(4, 3, padding: 1) -> relu -> maxpool2d(2) -> flatten) -> linear(64)\n");
            for (var b = 1; b < blocksPerModel; b++)
            {
                builder.Append("shared block_").Append(b).Append(" = block_").Append(b - 1)
                    .Append(" -> residual(linear(64) -> relu) -> dropout(0.1) // block ").Append(b).Append('\n');
            }

            builder.Append("task score: regression(1) = block_").Append(blocksPerModel - 1).Append(" -> linear(1) {\n");
            builder.Append("  loss huber(delta: 1.5)\n  metrics mae\n}\n");
            builder.Append("task label: classes(5) = block_").Append(blocksPerModel - 1).Append(" -> linear(5)\n");
            builder.Append("optimizer adam(lr: 1e-3) {\n  group block_0(lr: 1e-4)\n}\n");
        }

        return builder.ToString();
    }
}
