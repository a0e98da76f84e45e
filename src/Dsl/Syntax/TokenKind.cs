namespace Mtl.Dsl.Syntax;

public enum TokenKind
{
    EndOfFile,
    Identifier,
    Number,
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
