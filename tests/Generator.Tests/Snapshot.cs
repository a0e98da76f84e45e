using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// Snapshot files beside the tests: <c>Snapshots/{Class}.{Method}#{name}.verified.cs</c>. A text
/// that differs from its snapshot writes <c>.received.cs</c> next to it and fails; with
/// <c>MTL_ACCEPT=1</c> (never when <c>CI</c> is set) it replaces the snapshot instead. Line endings
/// are compared as LF.
/// </summary>
internal static class Snapshot
{
    /// <summary>
    /// The snapshot folder in the source tree, found from the test output folder: a deterministic CI
    /// build maps source paths to <c>/_/</c>, so the caller's file path cannot be used.
    /// </summary>
    public static string Directory { get; } = FindDirectory();

    public static string FileName(string type, string method, string name) => $"{type}.{method}#{name}.verified.cs";

    public static void Verify(string text, string type, string method, string name)
    {
        var directory = Directory;
        var verified = Path.Combine(directory, FileName(type, method, name));
        var received = Path.ChangeExtension(verified, null).Replace(".verified", ".received") + ".cs";
        var actual = Normalize(text);
        var expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
        if (actual == expected)
        {
            File.Delete(received);
            return;
        }
        if (Accepting)
        {
            System.IO.Directory.CreateDirectory(directory);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"no snapshot {verified}; the output is in {received} (set MTL_ACCEPT=1 to accept it)"
            : $"{verified} differs from the output, written to {received}; diff them, and set MTL_ACCEPT=1 to accept the change");
    }

    /// <summary>Whether mismatches replace snapshots: MTL_ACCEPT=1, and never on CI.</summary>
    public static bool Accepting =>
        Environment.GetEnvironmentVariable("MTL_ACCEPT") == "1" && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    private static string FindDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return Path.Combine(dir.FullName, "tests", "Generator.Tests", "Snapshots");
        }
        throw new InvalidOperationException("the repository root (holding Dsl.sln) was not found above " + AppContext.BaseDirectory);
    }

    public static string Normalize(string text) => text.Replace("\r\n", "\n").TrimStart('\uFEFF');
}
