using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Syntax;

/// <summary>
/// Recursive-descent parser. Statements end at a line break (a token that is first on its line),
/// except where the syntax obviously goes on (after <c>,</c>, <c>-&gt;</c>, <c>=</c> or inside
/// brackets) or the next line starts with <c>-&gt;</c>. The first error in a statement is reported
/// and the parser resumes at the next line, so one pass reports the errors of many statements.
/// </summary>
internal sealed class Parser
{
    /// <summary>Bounds recursion so that pathological nesting is a diagnostic, not a stack overflow.</summary>
    public const int MaxDepth = 64;

    private readonly IReadOnlyList<Token> _tokens;
    private readonly DiagnosticBag _diagnostics;
    private int _position;
    private int _depth;
    private int _bodies;
    private bool _failed;

    private Parser(IReadOnlyList<Token> tokens, DiagnosticBag diagnostics)
    {
        _tokens = tokens;
        _diagnostics = diagnostics;
    }

    public static FileSyntax Parse(string text, DiagnosticBag diagnostics)
    {
        var parser = new Parser(Lexer.Tokenize(text, diagnostics), diagnostics);
        return parser.ParseFile();
    }

    private Token Current => _tokens[_position];

    private Token Previous => _tokens[Math.Max(0, _position - 1)];

    private Token PeekToken(int offset) => _tokens[Math.Min(_position + offset, _tokens.Count - 1)];

    private bool AtEnd => Current.Kind == TokenKind.EndOfFile;

    private Token Advance()
    {
        var token = Current;
        if (!AtEnd)
        {
            _position++;
        }

        if (token.Doc is { } doc && !DocumentsDeclaration(token))
        {
            _diagnostics.Report(DiagnosticCode.DocCommentNotAttached, doc.Span);
        }

        return token;
    }

    /// <summary>Whether a <c>///</c> comment before this token documents something.</summary>
    private static bool DocumentsDeclaration(Token token) =>
        token is { Kind: TokenKind.Identifier, FirstOnLine: true } &&
        token.Text is Keywords.Model or Keywords.Input or Keywords.Shared or Keywords.Task;

    private bool IsWord(string word) => Current.Kind == TokenKind.Identifier && Current.Text == word;

    private SourceSpan From(SourceSpan start) => SourceSpan.Between(start, Previous.Span);

    private FileSyntax ParseFile()
    {
        NamespaceSyntax? ns = null;
        var models = new List<ModelSyntax>();
        var reportedOutside = false;
        while (!AtEnd)
        {
            _failed = false;
            var start = _position;
            if (IsWord(Keywords.Namespace))
            {
                var declaration = ParseNamespace();
                if (ns is not null || models.Count > 0)
                {
                    _diagnostics.Report(DiagnosticCode.MisplacedNamespace, declaration.Span);
                }
                else
                {
                    ns = declaration;
                }
            }
            else if (IsWord(Keywords.Model))
            {
                models.Add(ParseModel());
                continue;
            }
            else
            {
                if (!reportedOutside)
                {
                    reportedOutside = true;
                    _diagnostics.Report(DiagnosticCode.StatementOutsideModel, Current.Span, Lexer.Quote(Current.Text));
                }

                _failed = true;
            }

            EndStatement(start, stopAtCloseBrace: false);
        }

        Advance(); // the end of file, which may carry a stray doc comment
        if (models.Count == 0 && _diagnostics.ErrorCount == 0)
        {
            // An empty file (or one of comments) is most likely a mistake; a file with errors already says what is wrong.
            _diagnostics.ReportWithFix(DiagnosticCode.NoModel, new SourceSpan(1, 1, 1, 1), "start one with 'model Name'");
        }

        return new FileSyntax(ns, models);
    }

    private NamespaceSyntax ParseNamespace()
    {
        var keyword = Advance();
        var start = keyword.Span;
        var name = ExpectDeclaredName(keyword, "a namespace name").Text;
        while (!_failed && Current.Kind == TokenKind.Dot)
        {
            Advance();
            name += "." + ExpectName("a name").Text;
        }

        return new NamespaceSyntax(name, From(start));
    }

    private ModelSyntax ParseModel()
    {
        var start = _position;
        var keyword = Advance();
        var name = ExpectDeclaredName(keyword, "a model name");
        EndStatement(start, stopAtCloseBrace: false);
        var members = new List<MemberSyntax>();
        while (!AtEnd && !IsWord(Keywords.Model) && !IsWord(Keywords.Namespace))
        {
            _failed = false;
            var memberStart = _position;
            var member = ParseMember();
            if (member is not null && (_failed ? Recover(member) : member) is { } kept)
            {
                members.Add(kept);
            }

            EndStatement(memberStart, stopAtCloseBrace: false);
        }

        return new ModelSyntax(name, keyword.Doc?.Text, members, From(keyword.Span));
    }

    /// <summary>
    /// What is kept of a declaration with a syntax error: its name (so that references to it do
    /// not add "unknown name" errors) without the broken parts, which would only add echoes.
    /// A statement with an error is dropped.
    /// </summary>
    private static MemberSyntax? Recover(MemberSyntax member) => member switch
    {
        InputSyntax input => input with { DType = new NameSyntax(string.Empty, input.DType.Span), Dimensions = [], Body = [] },
        SharedSyntax shared => shared with { Pipeline = new MissingSyntax(shared.Pipeline.Span) },
        TaskSyntax task => task with { Kind = new MissingSyntax(task.Kind.Span), Pipeline = new MissingSyntax(task.Pipeline.Span), Body = [] },
        _ => null,
    };

    private MemberSyntax? ParseMember()
    {
        if (Current.Kind != TokenKind.Identifier)
        {
            Fail("a statement");
            return null;
        }

        switch (Current.Text)
        {
            case Keywords.Input:
                return ParseInput();
            case Keywords.Shared:
                return ParseShared();
            case Keywords.Task:
                return ParseTask();
            case Keywords.Weighting:
            case Keywords.Optimizer:
            case Keywords.Schedule:
            case Keywords.Regularize:
            case Keywords.Train:
            case Keywords.Init:
                return ParseStatement();
            default:
                var word = Current;
                _diagnostics.ReportWithFix(
                    DiagnosticCode.UnknownStatement,
                    word.Span,
                    Suggestions.DidYouMeanOrList(word.Text, Keywords.ModelStatements),
                    "model",
                    Lexer.Quote(word.Text));
                _failed = true;
                return null;
        }
    }

    private InputSyntax ParseInput()
    {
        var keyword = Advance();
        var name = ExpectDeclaredName(keyword, "an input name");
        Expect(TokenKind.Colon);
        var dtype = ExpectName("a dtype (float, double, long, int, bool)");
        var dimensions = new List<NumberSyntax>();
        if (!_failed && Current.Kind == TokenKind.OpenBracket)
        {
            Advance();
            while (!_failed && Current.Kind != TokenKind.CloseBracket)
            {
                if (Current.Kind == TokenKind.Number)
                {
                    var number = Advance();
                    dimensions.Add(new NumberSyntax(number.Text, number.Number, number.Span));
                }
                else
                {
                    Fail("a dimension size");
                }

                if (Current.Kind != TokenKind.Comma)
                {
                    break;
                }

                Advance();
            }

            Expect(TokenKind.CloseBracket);
        }

        IReadOnlyList<StatementSyntax> body = [];
        if (!_failed && Current.Kind == TokenKind.OpenBrace)
        {
            body = ParseBody();
        }

        return new InputSyntax(name, dtype, dimensions, body, keyword.Doc?.Text, From(keyword.Span));
    }

    private SharedSyntax ParseShared()
    {
        var keyword = Advance();
        var name = ExpectDeclaredName(keyword, "a block name");
        Expect(TokenKind.Equals);
        var pipeline = ParseValue();
        return new SharedSyntax(name, pipeline, keyword.Doc?.Text, From(keyword.Span));
    }

    private TaskSyntax ParseTask()
    {
        var keyword = Advance();
        var name = ExpectDeclaredName(keyword, "a task name");
        Expect(TokenKind.Colon);
        var kind = ParsePrimary();
        Expect(TokenKind.Equals);
        var pipeline = ParseValue();
        IReadOnlyList<StatementSyntax> body = [];
        if (!_failed && Current.Kind == TokenKind.OpenBrace)
        {
            body = ParseBody();
        }

        return new TaskSyntax(name, kind, pipeline, body, keyword.Doc?.Text, From(keyword.Span));
    }

    private StatementSyntax ParseStatement()
    {
        var keyword = Advance();
        var name = new NameSyntax(keyword.Text, keyword.Span);
        IReadOnlyList<ArgumentSyntax>? arguments = null;
        if (Current.Kind == TokenKind.OpenParen && !Current.FirstOnLine)
        {
            arguments = ParseArguments();
        }

        var values = new List<ValueSyntax>();
        while (!_failed && (Current.Kind == TokenKind.Comma || !AtStatementEnd()))
        {
            if (Current.Kind == TokenKind.Comma)
            {
                if (values.Count == 0)
                {
                    Fail("a value");
                    break;
                }

                Advance();
            }

            values.Add(ParseValue());
        }

        IReadOnlyList<StatementSyntax>? body = null;
        if (!_failed && Current.Kind == TokenKind.OpenBrace)
        {
            body = ParseBody();
        }

        return new StatementSyntax(name, arguments, values, body, From(keyword.Span));
    }

    private bool AtStatementEnd() =>
        Current.FirstOnLine || Current.Kind is TokenKind.OpenBrace or TokenKind.CloseBrace or TokenKind.EndOfFile;

    private IReadOnlyList<StatementSyntax> ParseBody()
    {
        var statements = new List<StatementSyntax>();
        if (!Enter())
        {
            return statements;
        }

        Advance();
        _bodies++;
        while (!AtEnd && Current.Kind != TokenKind.CloseBrace)
        {
            if (Current.FirstOnLine && Current.Kind == TokenKind.Identifier && Keywords.StartsDeclaration(Current.Text) &&
                !(_bodies > 1 && Keywords.InStage(Current.Text)))
            {
                // A missing '}': let the enclosing model parse the declaration (a stage's own optimizer or schedule stays in it).
                break;
            }

            var start = _position;
            if (Current.Kind == TokenKind.Identifier)
            {
                var statement = ParseStatement();
                if (!_failed)
                {
                    statements.Add(statement);
                }
            }
            else
            {
                Fail("a statement or '}'");
            }

            EndStatement(start, stopAtCloseBrace: true);
        }

        _bodies--;
        Expect(TokenKind.CloseBrace);
        _depth--;
        return statements;
    }

    private ValueSyntax ParseValue()
    {
        var first = ParsePrimary();
        if (_failed || Current.Kind != TokenKind.Arrow)
        {
            return first;
        }

        var steps = new List<ValueSyntax> { first };
        while (!_failed && Current.Kind == TokenKind.Arrow)
        {
            Advance();
            steps.Add(ParsePrimary());
        }

        return new ChainSyntax(steps, SourceSpan.Between(first.Span, Previous.Span));
    }

    private ValueSyntax ParsePrimary()
    {
        if (_failed || !Enter())
        {
            return new MissingSyntax(Current.Span);
        }

        var value = ParsePrimaryCore();
        _depth--;
        return value;
    }

    private ValueSyntax ParsePrimaryCore()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
                Advance();
                return new NumberSyntax(token.Text, token.Number, token.Span);
            case TokenKind.String:
                Advance();
                return new StringSyntax(token.Text, token.Span);
            case TokenKind.OpenBracket:
                return ParseList();
            case TokenKind.Identifier:
                Advance();
                var name = new NameSyntax(token.Text, token.Span);
                if (Current.Kind == TokenKind.OpenParen)
                {
                    var arguments = ParseArguments();
                    return new CallSyntax(name, arguments, From(token.Span));
                }

                if (Current.Kind == TokenKind.Dot)
                {
                    Advance();
                    var member = ExpectName("a name after '.'");
                    return new MemberAccessSyntax(name, member, From(token.Span));
                }

                return name;
            default:
                Fail("a value");
                return new MissingSyntax(token.Span);
        }
    }

    private ListSyntax ParseList()
    {
        var start = Advance().Span;
        var items = new List<ValueSyntax>();
        while (!_failed && Current.Kind != TokenKind.CloseBracket)
        {
            items.Add(ParseValue());
            if (Current.Kind != TokenKind.Comma)
            {
                break;
            }

            Advance();
        }

        Expect(TokenKind.CloseBracket);
        return new ListSyntax(items, From(start));
    }

    private IReadOnlyList<ArgumentSyntax> ParseArguments()
    {
        Advance();
        var arguments = new List<ArgumentSyntax>();
        while (!_failed && Current.Kind != TokenKind.CloseParen)
        {
            var start = Current.Span;
            NameSyntax? name = null;
            if (Current.Kind == TokenKind.Identifier && PeekToken(1).Kind == TokenKind.Colon)
            {
                var token = Advance();
                name = new NameSyntax(token.Text, token.Span);
                Advance();
            }

            var value = ParseValue();
            arguments.Add(new ArgumentSyntax(name, value, From(start)));
            if (Current.Kind != TokenKind.Comma)
            {
                break;
            }

            Advance();
        }

        Expect(TokenKind.CloseParen);
        return arguments;
    }

    private bool Enter()
    {
        if (_depth >= MaxDepth)
        {
            _diagnostics.Report(DiagnosticCode.NestingTooDeep, Current.Span, MaxDepth);
            _failed = true;
            return false;
        }

        _depth++;
        return true;
    }

    private NameSyntax ExpectName(string what)
    {
        if (!_failed && Current.Kind == TokenKind.Identifier)
        {
            var token = Advance();
            return new NameSyntax(token.Text, token.Span);
        }

        Fail(what);
        return new NameSyntax(string.Empty, Current.Span);
    }

    /// <summary>
    /// The name after <paramref name="keyword"/>, which must be on the same line: otherwise a bare
    /// <c>model</c> line would take the next line's <c>input</c> as its name. The error is reported
    /// at the keyword. When the next line starts with a word that is not a keyword, it is taken as
    /// the name all the same, so that references to it do not add errors.
    /// </summary>
    private NameSyntax ExpectDeclaredName(Token keyword, string what)
    {
        if (_failed || !Current.FirstOnLine)
        {
            return ExpectName(what);
        }

        _diagnostics.ReportWithFix(
            DiagnosticCode.UnexpectedToken,
            keyword.Span,
            $"write the name on the same line as '{keyword.Text}'",
            what,
            "end of line");
        if (Current.Kind == TokenKind.Identifier && !Keywords.StartsDeclaration(Current.Text))
        {
            var token = Advance();
            return new NameSyntax(token.Text, token.Span);
        }

        _failed = true;
        return new NameSyntax(string.Empty, keyword.Span);
    }

    private void Expect(TokenKind kind)
    {
        if (_failed)
        {
            return;
        }

        if (Current.Kind == kind)
        {
            Advance();
            return;
        }

        Fail(Token.Describe(kind));
    }

    /// <summary>Reports the first error of a statement; later ones would only echo it.</summary>
    private void Fail(string expected)
    {
        if (_failed)
        {
            return;
        }

        _failed = true;
        _diagnostics.Report(DiagnosticCode.UnexpectedToken, Current.Span, expected, Current.Describe());
    }

    /// <summary>
    /// Checks that the statement that began at token <paramref name="start"/> ended at a line
    /// break and, after an error, skips to the next line that can start a statement (outside any
    /// braces the skipped text opened). Inside a body it stops at the body's closing brace.
    /// </summary>
    private void EndStatement(int start, bool stopAtCloseBrace)
    {
        if (!_failed && !AtStatementEnd())
        {
            Fail("a line break");
        }

        if (!_failed)
        {
            return;
        }

        var depth = 0;
        var mustAdvance = _position == start;
        while (!AtEnd)
        {
            var token = Current;
            var isClose = token.Kind == TokenKind.CloseBrace;
            if (depth == 0 && ((stopAtCloseBrace && isClose) || (!mustAdvance && token.FirstOnLine && !isClose)))
            {
                break;
            }

            depth += token.Kind switch
            {
                TokenKind.OpenBrace => 1,
                TokenKind.CloseBrace when depth > 0 => -1,
                _ => 0,
            };
            mustAdvance = false;
            Advance();
        }

        _failed = false;
    }
}
