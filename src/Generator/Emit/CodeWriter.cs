using System.Text;

namespace Mtl.Generator.Emit;

/// <summary>Builds C# text with four-space indentation and LF line endings, whatever the platform.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <paramref name="header"/>, an opening brace, and indents until the returned scope is disposed.</summary>
    public Scope Block(string header)
    {
        Line(header);
        Line("{");
        _indent++;
        return new Scope(this);
    }

    public void Indent() => _indent++;

    public void Outdent() => _indent--;

    /// <summary>An XML doc comment: a summary from <paramref name="text"/> (several lines allowed), escaped.</summary>
    public CodeWriter Summary(string text)
    {
        var lines = Xml(text).Split('\n');
        if (lines.Length == 1)
        {
            return Line($"/// <summary>{lines[0]}</summary>");
        }

        Line("/// <summary>");
        foreach (var line in lines) Line("/// " + line);
        return Line("/// </summary>");
    }

    public CodeWriter Param(string name, string text) => Line($"/// <param name=\"{name.TrimStart('@')}\">{Xml(text)}</param>");

    public static string Xml(string text) => text.Replace("\r\n", "\n").Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Trim();

    public override string ToString() => _text.ToString();

    public readonly struct Scope(CodeWriter writer) : IDisposable
    {
        public void Dispose()
        {
            writer._indent--;
            writer.Line("}");
        }
    }
}
