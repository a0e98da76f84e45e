using System.Text.RegularExpressions;

namespace Mtl.Dsl.Tests;

/// <summary>Reads fenced code blocks and headed sections out of the docs.</summary>
internal static class MarkdownBlocks
{
    private static readonly Regex Fence = new(@"^```(\w*)\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline);

    /// <summary>The bodies of the fenced blocks tagged <paramref name="language"/>, in order.</summary>
    public static IReadOnlyList<string> Blocks(string markdown, string language) =>
        Fence.Matches(Normalize(markdown)).Where(m => m.Groups[1].Value == language).Select(m => m.Groups[2].Value).ToList();

    /// <summary>Sections by their "## " heading text.</summary>
    public static IReadOnlyList<(string Heading, string Body)> Sections(string markdown) =>
        Regex.Split(Normalize(markdown), @"^## ", RegexOptions.Multiline)
            .Skip(1)
            .Select(s => (s.Substring(0, s.IndexOf('\n')).Trim(), s.Substring(s.IndexOf('\n') + 1)))
            .ToList();

    private static string Normalize(string text) => text.Replace("\r\n", "\n");
}
