using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Mtl.Generator.Emit;
using Mtl.Generator.Model;
using Mtl.Generator.Parsing;

namespace Mtl.Generator;

/// <summary>
/// Turns each .mtl file among the project's AdditionalFiles into typed model, data and trainer
/// classes, and its diagnostics into build errors and warnings at the file's line and column.
/// Only the pipeline lives here: parsing in <see cref="FileParser"/>, emitting in <see cref="Emitter"/>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class MtlGenerator : IIncrementalGenerator
{
    /// <summary>The tracking names of the pipeline's steps (the caching tests look them up).</summary>
    public static class Steps
    {
        public const string Options = "Options";
        public const string Files = "Files";
        public const string Compile = "Compile";
        public const string Models = "Models";
        public const string Diagnostics = "Diagnostics";
    }

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var options = context.AnalyzerConfigOptionsProvider
            .Select(static (provider, _) => GeneratorOptions.From(provider.GlobalOptions))
            .WithTrackingName(Steps.Options);

        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".mtl", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, cancellationToken) => new MtlFile(text.Path, text.GetText(cancellationToken)?.ToString() ?? string.Empty))
            .WithTrackingName(Steps.Files);

        var results = files
            .Combine(options)
            .Select(static (pair, cancellationToken) => FileParser.Parse(pair.Left, pair.Right, cancellationToken))
            .WithTrackingName(Steps.Compile);

        // Models and diagnostics travel apart: moving text in a file changes its diagnostics'
        // positions but not its models, so the emitted source stays cached.
        var models = results.SelectMany(static (result, _) => result.Models).WithTrackingName(Steps.Models);
        var diagnostics = results.Select(static (result, _) => result.Diagnostics).WithTrackingName(Steps.Diagnostics);

        context.RegisterSourceOutput(models, static (production, spec) => Emit(production, spec));
        context.RegisterSourceOutput(diagnostics, static (production, list) => Generator.Diagnostics.Report(production, list));
    }

    private static void Emit(SourceProductionContext context, ModelSpec spec) =>
        Emit(spec, (hint, text) => context.AddSource(hint, SourceText.From(text, System.Text.Encoding.UTF8)), context.ReportDiagnostic);

    /// <summary>
    /// Emits a model's files, or, when emitting fails, reports one MTL9999 diagnostic and adds
    /// nothing: an exception must never reach the compiler (it would drop every generated file).
    /// </summary>
    internal static void Emit(ModelSpec spec, Action<string, string> addSource, Action<Diagnostic> report)
    {
        IReadOnlyList<(string HintName, string Text)> files;
        try
        {
            files = Emitter.Emit(spec);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            report(Generator.Diagnostics.Create(FileParser.Internal(spec.FileName, exception)));
            return;
        }
        foreach (var (hintName, text) in files)
        {
            try
            {
                addSource(hintName, text);
            }
            catch (ArgumentException exception)
            {
                // Two files whose paths spell the same hint (a/b.mtl and a.b.mtl) and declare the same model.
                report(Generator.Diagnostics.Create(FileParser.Internal(spec.FileName, exception)));
                return;
            }
        }
    }
}
