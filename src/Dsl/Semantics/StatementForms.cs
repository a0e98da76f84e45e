using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>Checks that a statement has the parts its keyword takes (values, arguments, a body).</summary>
internal sealed class StatementForms
{
    private readonly DiagnosticBag _diagnostics;

    public StatementForms(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
    }

    /// <summary>The single value of <c>keyword value</c>, or null (reported) when the form differs.</summary>
    public ValueSyntax? SingleValue(StatementSyntax statement, string expected, bool allowBody = false) =>
        Check(statement, expected, statement.Values.Count == 1 && statement.Arguments is null && (allowBody || statement.Body is null))
            ? statement.Values[0]
            : null;

    /// <summary>True for <c>keyword(arguments)</c> with nothing else.</summary>
    public bool ArgumentsOnly(StatementSyntax statement, string expected) =>
        Check(statement, expected, statement.Arguments is not null && statement.Values.Count == 0 && statement.Body is null);

    /// <summary>The body of <c>keyword { ... }</c>, or null (reported) when the form differs.</summary>
    public IReadOnlyList<StatementSyntax>? BodyOnly(StatementSyntax statement, string expected) =>
        Check(statement, expected, statement.Body is not null && statement.Values.Count == 0 && statement.Arguments is null)
            ? statement.Body
            : null;

    public bool Check(StatementSyntax statement, string expected, bool ok)
    {
        if (!ok)
        {
            _diagnostics.Report(DiagnosticCode.StatementForm, statement.Span, statement.Keyword.Text, expected);
        }

        return ok;
    }

    /// <summary>Reports the second and later statements with the same keyword; returns the first of each.</summary>
    public Dictionary<string, StatementSyntax> FirstOfEach(IEnumerable<StatementSyntax> statements)
    {
        var first = new Dictionary<string, StatementSyntax>(StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            if (first.ContainsKey(statement.Keyword.Text))
            {
                _diagnostics.Report(DiagnosticCode.DuplicateStatement, statement.Keyword.Span, statement.Keyword.Text);
            }
            else
            {
                first.Add(statement.Keyword.Text, statement);
            }
        }

        return first;
    }

    /// <summary>
    /// A body's statements by keyword: one <paramref name="context"/> does not know is reported (with a
    /// "did you mean"), and so is the second of a keyword; the first of each is kept.
    /// </summary>
    public Dictionary<string, StatementSyntax> Body(IEnumerable<StatementSyntax> body, string context, IReadOnlyCollection<string> known)
    {
        var statements = new List<StatementSyntax>();
        foreach (var statement in body)
        {
            if (known.Contains(statement.Keyword.Text))
            {
                statements.Add(statement);
            }
            else
            {
                ReportUnknown(statement, context, known);
            }
        }

        return FirstOfEach(statements);
    }

    /// <summary>Reports a statement keyword that <paramref name="context"/> does not know.</summary>
    public void ReportUnknown(StatementSyntax statement, string context, IReadOnlyCollection<string> known) =>
        _diagnostics.ReportWithFix(
            DiagnosticCode.UnknownStatement,
            statement.Keyword.Span,
            Suggestions.DidYouMeanOrList(statement.Keyword.Text, known),
            context,
            Lexer.Quote(statement.Keyword.Text));
}
