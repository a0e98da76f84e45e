namespace Mtl.Dsl.Syntax;

public enum TokenKind
{
    EndOfFile,
    Identifier,
    Number,
    String,
    Arrow,
    OpenParen,
    CloseParen,
    OpenBracket,
    CloseBracket,
    OpenBrace,
    CloseBrace,
    Comma,
    Colon,
    Equals,
    Dot,
}
