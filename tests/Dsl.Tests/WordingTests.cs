using Mtl.Catalog;
using Xunit;

namespace Mtl.Dsl.Tests;

public class WordingTests
{
    [Theory]
    [InlineData(0, "task", null, "0 tasks")]
    [InlineData(1, "task", null, "1 task")]
    [InlineData(2, "shared block", null, "2 shared blocks")]
    [InlineData(1, "stitch", "stitches", "1 stitch")]
    [InlineData(3, "stitch", "stitches", "3 stitches")]
    [InlineData(403624, "parameter", null, "403624 parameters")]
    public void Counts_read_as_English(long count, string noun, string? plural, string expected) =>
        Assert.Equal(expected, Wording.Count(count, noun, plural));
}
