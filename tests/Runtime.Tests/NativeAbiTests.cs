using Xunit;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Mtl.Runtime.Tests;

/// <summary>
/// The C ABI contract of docs/runtime.md ("The native ABI"), checked on the sources and on the built library: every
/// export's whole body sits in MTL_GUARD, the library exports exactly the guarded functions, the
/// managed side declares exactly those, and op codes agree on both sides.
/// </summary>
public sealed partial class NativeAbiTests
{
    private sealed record Export(string Name, string File, string Body);

    [GeneratedRegex(@"MTL_API\s+int32_t\s+(mtl_\w+)\s*\(")]
    private static partial Regex ExportStart();

    private static List<Export> ReadExports()
    {
        var exports = new List<Export>();
        foreach (var file in Directory.GetFiles(RepositoryPaths.NativeSources, "*.cpp"))
        {
            var text = File.ReadAllText(file);
            foreach (Match match in ExportStart().Matches(text))
            {
                var open = text.IndexOf('{', match.Index);
                var close = MatchingBrace(text, open);
                exports.Add(new Export(match.Groups[1].Value, Path.GetFileName(file), text[(open + 1)..close].Trim()));
            }
        }
        return exports;
    }

    private static int MatchingBrace(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            if (text[i] == '{') depth++;
            else if (text[i] == '}' && --depth == 0) return i;
        }
        throw new InvalidOperationException("unbalanced braces");
    }

    [Fact]
    public void Every_export_body_is_exactly_one_guard()
    {
        var exports = ReadExports();
        Assert.True(exports.Count > 100, $"expected the shim's exports, found {exports.Count}");
        var unguarded = exports
            .Where(e => !(e.Body.StartsWith("MTL_GUARD(", StringComparison.Ordinal) && e.Body.EndsWith(");", StringComparison.Ordinal)))
            .Select(e => $"{e.File}: {e.Name}")
            .ToList();
        Assert.True(unguarded.Count == 0, "exports whose body is not a single MTL_GUARD(...): " + string.Join(", ", unguarded));
    }

    [Fact]
    public void Every_exported_extern_C_function_is_declared_with_MTL_API()
    {
        // Nothing may reach the ABI by another route (a bare extern "C" or a default-visibility function).
        foreach (var file in Directory.GetFiles(RepositoryPaths.NativeSources, "*.*"))
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("extern \"C\" {", text);
            Assert.DoesNotContain("visibility(\"default\")", text.Replace("#define MTL_API extern \"C\" __attribute__((visibility(\"default\")))", ""));
        }
    }

    [Fact]
    public void The_library_exports_exactly_the_guarded_functions()
    {
        var expected = ReadExports().Select(e => e.Name).ToHashSet();
        var exported = ExportedSymbols().Where(s => s.StartsWith("mtl_", StringComparison.Ordinal)).ToHashSet();
        Assert.Empty(exported.Except(expected));
        Assert.Empty(expected.Except(exported));
    }

    [Fact]
    public void Managed_declarations_match_the_exports()
    {
        var exports = ReadExports().Select(e => e.Name).ToHashSet();
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.ManagedBinding, "Native", "NativeMethods.cs"));
        var declared = Regex.Matches(text, @"static partial int (mtl_\w+)\(").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(declared.Count, declared.Distinct().Count());
        Assert.Empty(declared.Except(exports));
        Assert.Empty(exports.Except(declared));
    }

    [Theory]
    [InlineData("ops.cpp", "Unary", "UnaryOp")]
    [InlineData("ops.cpp", "Binary", "BinaryOp")]
    [InlineData("ops.cpp", "Reduce", "ReduceOp")]
    [InlineData("ops.cpp", "ShapeOp", "ShapeOp")]
    [InlineData("tensor.cpp", "Factory", "FactoryKind")]
    [InlineData("nn.cpp", "Loss", "RegressionLoss")]
    public void Op_codes_agree_between_CSharp_and_CPlusPlus(string cppFile, string cppEnum, string csEnum)
    {
        var cpp = File.ReadAllText(Path.Combine(RepositoryPaths.NativeSources, cppFile));
        var cppMatch = Regex.Match(cpp, @"enum " + cppEnum + @" : int32_t \{([^}]*)\}");
        Assert.True(cppMatch.Success, $"enum {cppEnum} not found in {cppFile}");
        var cppNames = cppMatch.Groups[1].Value.Split(',')
            .Select(n => n.Split('=')[0].Trim())
            .Where(n => n.Length > 0)
            .Select(n => n[1..].ToLowerInvariant())
            .ToList();
        var cs = File.ReadAllText(Path.Combine(RepositoryPaths.ManagedBinding, "Native", "OpCodes.cs"));
        var csMatch = Regex.Match(cs, @"enum " + csEnum + @"\s*\{([^}]*)\}");
        Assert.True(csMatch.Success, $"enum {csEnum} not found in OpCodes.cs");
        var csNames = csMatch.Groups[1].Value.Split(',').Select(n => n.Trim().ToLowerInvariant()).Where(n => n.Length > 0).ToList();
        Assert.Equal(cppNames, csNames);
    }

    private static IEnumerable<string> ExportedSymbols()
    {
        var start = new ProcessStartInfo("nm", ["-D", "--defined-only", RepositoryPaths.NativeLibrary])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("nm could not be started");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 3 && parts[1] == "T")
            .Select(parts => parts[2]);
    }
}
