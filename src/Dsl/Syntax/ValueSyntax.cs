using Mtl.Dsl.Text;

namespace Mtl.Dsl.Syntax;

/// <summary>
/// A value as written: the language has one expression grammar (names, numbers, calls, lists,
/// dotted names and <c>-&gt;</c> chains) that the binder reads as a pipeline, a schedule chain, an
/// option value and so on, depending on where it stands.
/// </summary>
public abstract record ValueSyntax(SourceSpan Span);

public sealed record NameSyntax(string Text, SourceSpan Span) : ValueSyntax(Span);

public sealed record NumberSyntax(string Text, double Value, SourceSpan Span) : ValueSyntax(Span)
{
    /// <summary>True when written without a fraction or exponent (<c>64</c>, not <c>64.0</c> or <c>1e3</c>).</summary>
    public bool IsIntegerLiteral => Text.IndexOfAny(['.', 'e', 'E']) < 0;
}

/// <summary><c>"Body Mass (g)"</c>: <see cref="Value"/> is the text between the quotes, escapes resolved.</summary>
public sealed record StringSyntax(string Value, SourceSpan Span) : ValueSyntax(Span);

/// <summary><c>task.metric</c>, as in <c>early_stop(monitor: marital.accuracy)</c>.</summary>
public sealed record MemberAccessSyntax(NameSyntax Target, NameSyntax Member, SourceSpan Span) : ValueSyntax(Span);

public sealed record CallSyntax(NameSyntax Name, IReadOnlyList<ArgumentSyntax> Arguments, SourceSpan Span) : ValueSyntax(Span);

public sealed record ListSyntax(IReadOnlyList<ValueSyntax> Items, SourceSpan Span) : ValueSyntax(Span);

/// <summary><c>a -&gt; b -&gt; c</c>: a pipeline or a chain of schedules.</summary>
public sealed record ChainSyntax(IReadOnlyList<ValueSyntax> Steps, SourceSpan Span) : ValueSyntax(Span);

/// <summary>Stands where a value was expected but could not be parsed; an error was reported.</summary>
public sealed record MissingSyntax(SourceSpan Span) : ValueSyntax(Span);

/// <summary>A positional (<c>64</c>) or named (<c>stride: 2</c>) argument.</summary>
public sealed record ArgumentSyntax(NameSyntax? Name, ValueSyntax Value, SourceSpan Span);
