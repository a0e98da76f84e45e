using System.Globalization;
using System.Text;
using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Syntax;

/// <summary>Turns .mtl text into tokens, skipping whitespace and comments and keeping doc comments.</summary>
internal sealed class Lexer
{
    // A token longer than this is reported by its first characters only.
    private const int MaxQuotedLength = 40;

    // Dashes and minus signs that word processors and chat substitute for '-'.
    private const string Dashes = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE63\uFF0D";

    /// <summary>
    /// Pasted look-alikes of the language's punctuation (longest first) and the token each stands
    /// for. They are reported, with the ASCII to type instead, and then read as that token, so
    /// that one pasted arrow does not also break the statement around it.
    /// </summary>
    private static readonly (string Text, TokenKind Kind, string Ascii)[] LookAlikes =
    [
        .. Dashes.Select(d => (d + ">", TokenKind.Arrow, "->")),
        .. (Dashes + "-").Select(d => (d + "\uFF1E", TokenKind.Arrow, "->")),
        ("\u2192", TokenKind.Arrow, "->"),
        ("\u27F6", TokenKind.Arrow, "->"),
        ("\uFF08", TokenKind.OpenParen, "("),
        ("\uFF09", TokenKind.CloseParen, ")"),
        ("\uFF3B", TokenKind.OpenBracket, "["),
        ("\uFF3D", TokenKind.CloseBracket, "]"),
        ("\uFF5B", TokenKind.OpenBrace, "{"),
        ("\uFF5D", TokenKind.CloseBrace, "}"),
        ("\uFF0C", TokenKind.Comma, ","),
        ("\uFF1A", TokenKind.Colon, ":"),
        ("\uFF1D", TokenKind.Equals, "="),
        ("\uFF0E", TokenKind.Dot, "."),
    ];

    private readonly string _text;
    private readonly DiagnosticBag _diagnostics;
    private readonly List<Token> _tokens = [];
    private readonly StringBuilder _doc = new();
    private SourceSpan _docSpan;
    private int _position;
    private int _line = 1;
    private int _column = 1;
    private bool _firstOnLine = true;

    private Lexer(string text, DiagnosticBag diagnostics)
    {
        _text = text;
        _diagnostics = diagnostics;

        // A byte order mark at the very start is how some editors mark UTF-8; it is not text.
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            _position = 1;
        }
    }

    public static IReadOnlyList<Token> Tokenize(string text, DiagnosticBag diagnostics)
    {
        var lexer = new Lexer(text, diagnostics);
        lexer.Run();
        return lexer._tokens;
    }

    private char Current => Peek(0);

    private char Peek(int offset) => _position + offset < _text.Length ? _text[_position + offset] : '\0';

    private bool AtEnd => _position >= _text.Length;

    private void Run()
    {
        while (true)
        {
            SkipTrivia();
            if (AtEnd)
            {
                Add(TokenKind.EndOfFile, _position, _line, _column);
                return;
            }

            LexToken();
        }
    }

    /// <summary>A line break is "\r\n", "\n" or a lone "\r"; the "\r" of "\r\n" is not a break of its own.</summary>
    private bool AtLineBreak => Current == '\n' || (Current == '\r' && Peek(1) != '\n');

    private void Advance()
    {
        if (AtLineBreak)
        {
            _line++;
            _column = 1;
            _firstOnLine = true;
        }
        else
        {
            _column++;
        }

        _position++;
    }

    private void SkipTrivia()
    {
        while (!AtEnd)
        {
            var c = Current;
            if (c == '/' && Peek(1) == '/')
            {
                SkipLineComment();
            }
            else if (c == '/' && Peek(1) == '*')
            {
                SkipBlockComment();
            }
            else if (char.IsWhiteSpace(c))
            {
                Advance();
            }
            else
            {
                return;
            }
        }
    }

    private void SkipLineComment()
    {
        var isDoc = Peek(2) == '/' && Peek(3) != '/';
        var start = _position;
        var span = new SourceSpan(_line, _column, _line, _column + 3);
        while (!AtEnd && Current != '\n' && Current != '\r')
        {
            Advance();
        }

        if (!isDoc)
        {
            return;
        }

        var line = _text.Substring(start + 3, _position - start - 3);
        if (line.StartsWith(" ", StringComparison.Ordinal))
        {
            line = line.Substring(1);
        }

        if (_docSpan == default)
        {
            _docSpan = span;
        }
        else
        {
            _doc.Append('\n');
        }

        _doc.Append(line.TrimEnd());
    }

    private void SkipBlockComment()
    {
        int line = _line, column = _column;
        Advance();
        Advance();
        while (!AtEnd && !(Current == '*' && Peek(1) == '/'))
        {
            Advance();
        }

        if (AtEnd)
        {
            _diagnostics.Report(DiagnosticCode.UnterminatedComment, new SourceSpan(line, column, line, column + 2));
            return;
        }

        Advance();
        Advance();
    }

    private void LexToken()
    {
        int start = _position, line = _line, column = _column;
        var c = Current;
        if (IsIdentifierStart(c) || (c > '\x7F' && IsLetter(CharUnicodeInfo.GetUnicodeCategory(_text, _position))))
        {
            LexName(start, line, column);
            return;
        }

        if (IsDigit(c) || ((c == '-' || Dashes.IndexOf(c) >= 0) && IsDigit(Peek(1))))
        {
            LexNumber(start, line, column);
            return;
        }

        if (c == '"' || c == '\u201C' || c == '\u201D')
        {
            LexString(start, line, column);
            return;
        }

        var kind = c switch
        {
            '-' when Peek(1) == '>' => TokenKind.Arrow,
            '(' => TokenKind.OpenParen,
            ')' => TokenKind.CloseParen,
            '[' => TokenKind.OpenBracket,
            ']' => TokenKind.CloseBracket,
            '{' => TokenKind.OpenBrace,
            '}' => TokenKind.CloseBrace,
            ',' => TokenKind.Comma,
            ':' => TokenKind.Colon,
            '=' => TokenKind.Equals,
            '.' => TokenKind.Dot,
            _ => (TokenKind?)null,
        };

        if (kind is null)
        {
            LexLookAlike();
            return;
        }

        Advance();
        if (kind == TokenKind.Arrow)
        {
            Advance();
        }

        Add(kind.Value, start, line, column);
    }

    /// <summary>
    /// A name. Letters, digits and marks outside ASCII are read as part of it, so that such a name
    /// is reported once, as a whole, and its uses still match its declaration. An invisible format
    /// character inside a name (a zero-width space) is reported and left out of it.
    /// </summary>
    private void LexName(int start, int line, int column)
    {
        StringBuilder? text = null; // only once a character has been left out
        var nonAscii = false;
        while (!AtEnd)
        {
            var from = _position;
            var category = CharUnicodeInfo.GetUnicodeCategory(_text, _position);
            if (category == UnicodeCategory.Format)
            {
                text ??= new StringBuilder(_text.Substring(start, _position - start));
                ReportUnexpectedCharacter();
                continue;
            }

            if (!IsIdentifierPart(Current) && !(Current > '\x7F' && IsNamePart(category)))
            {
                break;
            }

            nonAscii |= Current > '\x7F';
            for (var i = Characters.Length(_text, _position); i > 0; i--)
            {
                Advance();
            }

            text?.Append(_text, from, _position - from);
        }

        var name = text?.ToString() ?? _text.Substring(start, _position - start);
        var span = new SourceSpan(line, column, _line, _column);
        if (nonAscii)
        {
            _diagnostics.Report(DiagnosticCode.NonAsciiName, span, Quote(name));
        }

        AddWithValue(TokenKind.Identifier, name, span, 0);
    }

    private static bool IsLetter(UnicodeCategory category) => category is
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or
        UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.LetterNumber;

    private static bool IsNamePart(UnicodeCategory category) => IsLetter(category) || category is
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or
        UnicodeCategory.ConnectorPunctuation;

    /// <summary>A look-alike of a token is reported and read as that token; any other character is reported and skipped.</summary>
    private void LexLookAlike()
    {
        int start = _position, line = _line, column = _column;
        foreach (var (text, kind, ascii) in LookAlikes)
        {
            if (string.CompareOrdinal(_text, _position, text, 0, text.Length) != 0)
            {
                continue;
            }

            for (var i = 0; i < text.Length; i++)
            {
                Advance();
            }

            // The message names the character that is not ASCII: the '＞' of "-＞".
            var odd = start + (text[0] == '-' ? 1 : 0);
            var span = new SourceSpan(line, column, line, column + text.Length);
            _diagnostics.ReportWithFix(DiagnosticCode.UnexpectedCharacter, span, $"use '{ascii}'", Characters.Describe(_text, odd).Text);
            Add(kind, start, line, column);
            return;
        }

        ReportUnexpectedCharacter();
    }

    /// <summary>Reports the character here (a surrogate pair is one character) and skips it.</summary>
    private void ReportUnexpectedCharacter()
    {
        int line = _line, column = _column;
        var length = Characters.Length(_text, _position);
        var (text, fix) = Characters.Describe(_text, _position);
        for (var i = 0; i < length; i++)
        {
            Advance();
        }

        _diagnostics.ReportWithFix(DiagnosticCode.UnexpectedCharacter, new SourceSpan(line, column, line, column + length), fix, text);
    }

    private void LexNumber(int start, int line, int column)
    {
        var pastedMinus = Dashes.IndexOf(Current) >= 0;
        if (!IsDigit(Current))
        {
            Advance();
        }

        SkipDigits();
        if (Current == '.' && IsDigit(Peek(1)))
        {
            Advance();
            SkipDigits();
        }

        if ((Current == 'e' || Current == 'E') &&
            (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2)))))
        {
            Advance();
            Advance();
            SkipDigits();
        }

        var text = _text.Substring(start, _position - start);
        var span = new SourceSpan(line, column, _line, _column);
        if (pastedMinus)
        {
            var minus = new SourceSpan(line, column, line, column + 1);
            _diagnostics.ReportWithFix(DiagnosticCode.UnexpectedCharacter, minus, "use '-'", Characters.Describe(_text, start).Text);
            text = "-" + text.Substring(1);
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ||
            double.IsInfinity(value))
        {
            _diagnostics.Report(DiagnosticCode.NumberOutOfRange, span, Quote(text));
            value = double.NaN;
        }

        AddWithValue(TokenKind.Number, text, span, value);
    }

    /// <summary>
    /// A string: <c>"Body Mass (g)"</c>, on one line, with <c>\"</c> and <c>\\</c> as the only escapes.
    /// The token's text is the value (quotes removed, escapes resolved). Typographic quotes (pasted
    /// from a document) are reported and read as <c>"</c>.
    /// </summary>
    private void LexString(int start, int line, int column)
    {
        var value = new StringBuilder();
        ReportTypographicQuote();
        Advance();
        while (true)
        {
            if (AtEnd || Current == '\n' || Current == '\r')
            {
                _diagnostics.Report(DiagnosticCode.UnterminatedString, new SourceSpan(line, column, line, column + 1));
                break;
            }

            var c = Current;
            if (c == '"' || c == '\u201C' || c == '\u201D')
            {
                ReportTypographicQuote();
                Advance();
                break;
            }

            if (c == '\\' && (Peek(1) == '"' || Peek(1) == '\\'))
            {
                Advance();
                c = Current;
            }
            else if (c == '\\')
            {
                var escape = new SourceSpan(_line, _column, _line, _column + 2);
                _diagnostics.ReportWithFix(DiagnosticCode.UnexpectedCharacter, escape, "write '\\\\' for a backslash", "'\\" + Peek(1) + "'");
            }

            value.Append(c);
            Advance();
        }

        AddWithValue(TokenKind.String, value.ToString(), new SourceSpan(line, column, _line, _column), 0);
    }

    private void ReportTypographicQuote()
    {
        if (Current != '"')
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.UnexpectedCharacter,
                new SourceSpan(_line, _column, _line, _column + 1),
                "use '\"'",
                Characters.Describe(_text, _position).Text);
        }
    }

    private void SkipDigits()
    {
        while (IsDigit(Current))
        {
            Advance();
        }
    }

    private void Add(TokenKind kind, int start, int line, int column)
    {
        var text = _text.Substring(start, _position - start);
        AddWithValue(kind, text, new SourceSpan(line, column, _line, _column), 0);
    }

    private void AddWithValue(TokenKind kind, string text, SourceSpan span, double value)
    {
        DocComment? doc = null;
        if (_docSpan != default)
        {
            doc = new DocComment(_doc.ToString(), _docSpan);
            _doc.Clear();
            _docSpan = default;
        }

        _tokens.Add(new Token(kind, text, span, _firstOnLine, doc, value));
        _firstOnLine = false;
    }

    /// <summary>Shortens very long text (fuzzed or generated) for messages.</summary>
    public static string Quote(string text) =>
        text.Length <= MaxQuotedLength ? text : text.Substring(0, MaxQuotedLength) + "...";

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsIdentifierStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || IsDigit(c);
}
