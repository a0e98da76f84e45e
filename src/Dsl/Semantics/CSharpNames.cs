using System.Text;
using Mtl.Dsl.Model;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Derives C# names from .mtl names: words split at '_' are capitalised and joined
/// (<c>income_band</c> -&gt; <c>IncomeBand</c>, camel <c>incomeBand</c>). Pascal names never equal a C#
/// keyword (keywords are lower case); a camel name that is one is escaped with '@' (<c>@class</c>).
/// </summary>
internal static class CSharpNames
{
    private static readonly HashSet<string> ReservedWords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const",
        "continue", "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern",
        "false", "finally", "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface",
        "internal", "is", "lock", "long", "namespace", "new", "null", "object", "operator", "out", "override",
        "params", "private", "protected", "public", "readonly", "ref", "return", "sbyte", "sealed", "short",
        "sizeof", "stackalloc", "static", "string", "struct", "switch", "this", "throw", "true", "try", "typeof",
        "uint", "ulong", "unchecked", "unsafe", "ushort", "using", "virtual", "void", "volatile", "while",
    };

    /// <summary>The C# names, or null when the name has no letter or digit to build one from.</summary>
    public static CSharpName? Derive(string name)
    {
        var pascal = new StringBuilder();
        foreach (var word in name.Split('_'))
        {
            if (word.Length > 0)
            {
                pascal.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
            }
        }

        if (pascal.Length == 0 || char.IsDigit(pascal[0]))
        {
            return null;
        }

        var text = pascal.ToString();
        var camel = char.ToLowerInvariant(text[0]) + text.Substring(1);
        return new CSharpName(text, ReservedWords.Contains(camel) ? "@" + camel : camel);
    }
}
