using Mtl.Dsl;
using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Text;
using Mtl.Generator.Model;

namespace Mtl.Generator.Parsing;

/// <summary>Compiles one .mtl file with Mtl.Dsl and turns the result into the generator's specs.</summary>
internal static class FileParser
{
    public static FileResult Parse(MtlFile file, GeneratorOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var compilation = MtlCompiler.Compile(file.Text, file.Path, cancellationToken);
            var lines = LineStarts(file.Text);
            var hint = HintPrefix(file.Path, options.ProjectDirectory);
            var name = System.IO.Path.GetFileName(file.Path);
            var models = compilation.Models
                .Select(m => new ModelSpec(m, m.Namespace ?? options.RootNamespace, hint, name))
                .ToEquatableArray();
            var diagnostics = compilation.Diagnostics.Select(d => Spec(d, file.Path, lines)).ToEquatableArray();
            return new FileResult(models, diagnostics);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            return new FileResult(EquatableArray<ModelSpec>.Empty, EquatableArray.Create(Internal(file.Path, exception)));
        }
    }

    /// <summary>A generator failure as one diagnostic on the file, never an exception that would drop all generated code.</summary>
    public static DiagnosticSpec Internal(string path, Exception exception) =>
        new(DiagnosticCode.InternalError, DiagnosticSeverity.Error, $"internal compiler error: {exception.GetType().Name}: {exception.Message}", path, 0, 0, 0, 0, 0, 0);

    private static DiagnosticSpec Spec(Diagnostic diagnostic, string path, IReadOnlyList<int> lines)
    {
        var span = diagnostic.Span;
        var start = Offset(lines, span.StartLine, span.StartColumn);
        var end = Math.Max(start, Offset(lines, span.EndLine, span.EndColumn));
        var message = diagnostic.Fix is null ? diagnostic.Message : $"{diagnostic.Message} ({diagnostic.Fix})";
        return new DiagnosticSpec(diagnostic.Code, diagnostic.Severity, message, path, start, end - start,
            span.StartLine - 1, span.StartColumn - 1, Math.Max(span.EndLine, span.StartLine) - 1, Math.Max(span.EndColumn, 1) - 1);
    }

    private static int Offset(IReadOnlyList<int> lines, int line, int column)
    {
        var index = Math.Min(Math.Max(line, 1), lines.Count) - 1;
        return lines[index] + Math.Max(column, 1) - 1;
    }

    /// <summary>Where each line starts: after \n, after \r\n, and after a lone \r.</summary>
    private static IReadOnlyList<int> LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.Length || text[i + 1] != '\n'))) starts.Add(i + 1);
        }
        return starts;
    }

    /// <summary>
    /// The file's path relative to the project, as a hint name may spell it (separators become
    /// dots); a file linked from outside the project is named by its file name alone, so that hint
    /// names never depend on where the project is checked out.
    /// </summary>
    public static string HintPrefix(string path, string? projectDirectory)
    {
        var relative = "linked/" + System.IO.Path.GetFileName(path);
        if (projectDirectory is { } root)
        {
            var full = System.IO.Path.GetFullPath(path);
            var rootFull = System.IO.Path.GetFullPath(root);
            if (!rootFull.EndsWith("/", StringComparison.Ordinal) && !rootFull.EndsWith("\\", StringComparison.Ordinal)) rootFull += System.IO.Path.DirectorySeparatorChar;
            if (full.StartsWith(rootFull, StringComparison.OrdinalIgnoreCase)) relative = full.Substring(rootFull.Length);
        }
        var chars = relative.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '.').ToArray();
        return new string(chars).Trim('.');
    }
}
