using Mtl.Dsl.Text;

namespace Mtl.Dsl.Syntax;

public sealed record FileSyntax(NamespaceSyntax? Namespace, IReadOnlyList<ModelSyntax> Models);

public sealed record NamespaceSyntax(string Name, SourceSpan Span);

public sealed record ModelSyntax(NameSyntax Name, string? Doc, IReadOnlyList<MemberSyntax> Members, SourceSpan Span);

/// <summary>A declaration or statement inside a model.</summary>
public abstract record MemberSyntax(SourceSpan Span);

/// <summary>
/// <c>input features: float[14] { columns a, b }</c>; no dimensions means a scalar per example; the
/// body (empty when absent) says where the values come from in a table and how they are prepared.
/// </summary>
public sealed record InputSyntax(
    NameSyntax Name,
    NameSyntax DType,
    IReadOnlyList<NumberSyntax> Dimensions,
    IReadOnlyList<StatementSyntax> Body,
    string? Doc,
    SourceSpan Span)
    : MemberSyntax(Span);

/// <summary><c>shared trunk = features -&gt; linear(64) -&gt; relu</c>.</summary>
public sealed record SharedSyntax(NameSyntax Name, ValueSyntax Pipeline, string? Doc, SourceSpan Span) : MemberSyntax(Span);

/// <summary><c>task income: binary = fused -&gt; linear(1) { ... }</c>.</summary>
public sealed record TaskSyntax(
    NameSyntax Name,
    ValueSyntax Kind,
    ValueSyntax Pipeline,
    IReadOnlyList<StatementSyntax> Body,
    string? Doc,
    SourceSpan Span) : MemberSyntax(Span);

/// <summary>
/// <c>keyword(arguments) value, value value { statements }</c>, every part optional but the keyword:
/// <c>weighting dwa(temperature: 2)</c>, <c>metrics accuracy, auc</c>, <c>train { ... }</c>,
/// <c>early_stop(monitor: a.accuracy)</c>, <c>tie a, b l2(0.01)</c>.
/// </summary>
public sealed record StatementSyntax(
    NameSyntax Keyword,
    IReadOnlyList<ArgumentSyntax>? Arguments,
    IReadOnlyList<ValueSyntax> Values,
    IReadOnlyList<StatementSyntax>? Body,
    SourceSpan Span) : MemberSyntax(Span);
