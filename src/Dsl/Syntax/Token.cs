using Mtl.Dsl.Text;

namespace Mtl.Dsl.Syntax;

/// <summary>Consecutive <c>///</c> lines: their text (one leading space per line removed) and where they start.</summary>
public sealed record DocComment(string Text, SourceSpan Span);

/// <param name="FirstOnLine">True when no other token precedes this one on its line; statements end there.</param>
/// <param name="Doc">The <c>///</c> comment lines directly before this token, if any.</param>
/// <param name="Number">The value of a number token; NaN for a number too large to represent (already reported).</param>
public readonly record struct Token(TokenKind Kind, string Text, SourceSpan Span, bool FirstOnLine, DocComment? Doc, double Number)
{
    public static string Describe(TokenKind kind) => kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.Identifier => "a name",
        TokenKind.Number => "a number",
        TokenKind.String => "a string",
        TokenKind.Arrow => "'->'",
        TokenKind.OpenParen => "'('",
        TokenKind.CloseParen => "')'",
        TokenKind.OpenBracket => "'['",
        TokenKind.CloseBracket => "']'",
        TokenKind.OpenBrace => "'{'",
        TokenKind.CloseBrace => "'}'",
        TokenKind.Comma => "','",
        TokenKind.Colon => "':'",
        TokenKind.Equals => "'='",
        _ => "'.'",
    };

    /// <summary>How the token reads in a message: its text, or "end of file".</summary>
    public string Describe() => Kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.String => "\"" + Lexer.Quote(Text) + "\"",
        _ => "'" + Lexer.Quote(Text) + "'",
    };
}
