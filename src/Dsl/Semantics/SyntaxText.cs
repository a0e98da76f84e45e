using Mtl.Dsl.Syntax;

namespace Mtl.Dsl.Semantics;

/// <summary>How a value reads in a message, shortened when long.</summary>
internal static class SyntaxText
{
    public static string Of(ValueSyntax value) => Lexer.Quote(value switch
    {
        NameSyntax name => name.Text,
        NumberSyntax number => number.Text,
        StringSyntax text => "\"" + text.Value + "\"",
        MemberAccessSyntax member => member.Target.Text + "." + member.Member.Text,
        CallSyntax call => call.Name.Text + "(...)",
        ListSyntax => "[...]",
        ChainSyntax chain => Of(chain.Steps[0]) + " -> ...",
        _ => "nothing",
    });
}
