using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Semantics;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl;

/// <summary>The entry point: .mtl text in, semantic models and diagnostics out.</summary>
public static class MtlCompiler
{
    /// <summary>
    /// Compiles <paramref name="text"/>; never throws. <paramref name="path"/> only labels the
    /// diagnostics, which come sorted by position. A model with errors is left out of
    /// <see cref="MtlCompilation.Models"/>. A cancelled <paramref name="cancellationToken"/> is the
    /// one exception: it throws <see cref="OperationCanceledException"/>, as a host expects.
    /// </summary>
    public static MtlCompilation Compile(string text, string path, CancellationToken cancellationToken = default)
    {
        // The contract is "diagnostics, never exceptions"; the fuzz tests prove this guard is not needed.
        try
        {
            return CompileCore(text, path, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            var diagnostics = new DiagnosticBag(path ?? string.Empty);
            diagnostics.Report(DiagnosticCode.InternalError, new SourceSpan(1, 1, 1, 1), exception.Message);
            return new MtlCompilation(EquatableArray<MtlModel>.Empty, diagnostics.Items.ToEquatableArray());
        }
    }

    /// <summary>The pipeline without the guard; the fuzz tests call this so that a bug cannot hide.</summary>
    internal static MtlCompilation CompileCore(string text, string path, CancellationToken cancellationToken = default)
    {
        var diagnostics = new DiagnosticBag(path ?? string.Empty);
        cancellationToken.ThrowIfCancellationRequested();
        var syntax = Parser.Parse(text ?? string.Empty, diagnostics);
        cancellationToken.ThrowIfCancellationRequested();
        var models = Binder.Bind(syntax, diagnostics);
        var ordered = diagnostics.Items.OrderBy(d => d.Span.StartLine).ThenBy(d => d.Span.StartColumn);
        return new MtlCompilation(models.ToEquatableArray(), ordered.ToEquatableArray());
    }
}
