using System.Text.RegularExpressions;
using Mtl.Dsl.Tests;

namespace Mtl.Generator.Tests;

/// <summary>The ```mtl examples of docs/language.md, each a whole .mtl file, and the models each declares.</summary>
internal static class DocExamples
{
    private static readonly Lazy<IReadOnlyList<string>> LazyBlocks = new(() =>
        MarkdownBlocks.Blocks(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "language.md")), "mtl"));

    public static IReadOnlyList<string> Blocks => LazyBlocks.Value;

    /// <summary>The models a block declares, in order.</summary>
    public static IReadOnlyList<string> Models(string block) =>
        Regex.Matches(block, @"^model (\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();

    /// <summary>The block that declares <paramref name="model"/>.</summary>
    public static string Declaring(string model) => Blocks.Single(b => Models(b).Contains(model));
}
