namespace Mtl.Dsl.Text;

/// <summary>
/// A range of source text with 1-based lines and columns. The end is exclusive: it is the
/// position just after the last character, so a one-character token at 3:5 ends at 3:6.
/// </summary>
public readonly record struct SourceSpan(int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public static SourceSpan Between(SourceSpan start, SourceSpan end) =>
        new(start.StartLine, start.StartColumn, end.EndLine, end.EndColumn);

    public override string ToString() => $"{StartLine}:{StartColumn}-{EndLine}:{EndColumn}";
}
