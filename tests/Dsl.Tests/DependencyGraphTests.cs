using System.Text;
using Xunit;

namespace Mtl.Dsl.Tests;

public sealed class DependencyGraphTests
{
    [Fact]
    public void Each_cycle_is_reported_once_and_its_readers_stay_silent()
    {
        var result = TestCompiler.Compile(
            TestCompiler.Header +
            "shared a = b -> relu\nshared b = a -> relu\nshared c = a -> relu\nshared d = e -> relu\nshared e = concat(d, x)\n" +
            "task t: binary = concat(c, e) -> linear(1)\n");

        Assert.Equal(
            ["'a' depends on itself: a -> b -> a", "'d' depends on itself: d -> e -> d"],
            result.Diagnostics.Select(d => d.Message));
        Assert.Equal(["3:8-3:9", "6:8-6:9"], result.Diagnostics.Select(d => d.Span.ToString()));
    }

    [Fact]
    public void Long_chains_declared_backwards_bind_without_deep_recursion()
    {
        const int Blocks = 20_000;
        var builder = new StringBuilder("model M\ninput x: float[4]\ntask t: regression(4) = b0\n");
        for (var i = 0; i < Blocks - 1; i++)
        {
            builder.Append("shared b").Append(i).Append(" = b").Append(i + 1).Append(" -> relu\n");
        }

        builder.Append("shared b").Append(Blocks - 1).Append(" = x\n");

        var model = TestCompiler.Model(builder.ToString());

        Assert.Equal(Blocks, model.SharedBlocks.Count);
        Assert.Equal("b19999", model.Order[0]);
        Assert.Equal("t", model.Order[^1]);
    }
}
