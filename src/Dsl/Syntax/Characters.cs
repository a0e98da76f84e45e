using System.Globalization;

namespace Mtl.Dsl.Syntax;

/// <summary>How a character that is not part of the language reads in a message.</summary>
internal static class Characters
{
    private const int ReplacementCharacter = 0xFFFD;

    // Names of the characters that are most often pasted by accident; others are shown by code point only.
    private static readonly Dictionary<int, string> Names = new()
    {
        [0x0000] = "null",
        [0x007F] = "delete",
        [0x00A0] = "no-break space",
        [0x00AD] = "soft hyphen",
        [0x034F] = "combining grapheme joiner",
        [0x061C] = "arabic letter mark",
        [0x180E] = "mongolian vowel separator",
        [0x200B] = "zero width space",
        [0x200C] = "zero width non-joiner",
        [0x200D] = "zero width joiner",
        [0x200E] = "left-to-right mark",
        [0x200F] = "right-to-left mark",
        [0x2028] = "line separator",
        [0x2029] = "paragraph separator",
        [0x202A] = "left-to-right embedding",
        [0x202B] = "right-to-left embedding",
        [0x202C] = "pop directional formatting",
        [0x202D] = "left-to-right override",
        [0x202E] = "right-to-left override",
        [0x2060] = "word joiner",
        [0x2066] = "left-to-right isolate",
        [0x2067] = "right-to-left isolate",
        [0x2068] = "first strong isolate",
        [0x2069] = "pop directional isolate",
        [0x3000] = "ideographic space",
        [0xFEFF] = "byte order mark",
        [ReplacementCharacter] = "replacement character",
    };

    /// <summary>The number of UTF-16 code units of the character at <paramref name="index"/>: 2 for a surrogate pair.</summary>
    public static int Length(string text, int index) => char.IsSurrogatePair(text, index) ? 2 : 1;

    /// <summary>
    /// The character at <paramref name="index"/> as a message shows it: quoted when it is visible
    /// (<c>'$'</c>), otherwise as its code point and, for common ones, its name
    /// (<c>U+200B (zero width space)</c>), since a quoted invisible character reads as nothing.
    /// The fix says what to do with it, or is null.
    /// </summary>
    public static (string Text, string? Fix) Describe(string text, int index)
    {
        var length = Length(text, index);
        var codePoint = length == 2 ? char.ConvertToUtf32(text, index) : text[index];
        var category = CharUnicodeInfo.GetUnicodeCategory(text, index);
        if (IsVisible(category) && codePoint != ReplacementCharacter)
        {
            return ("'" + text.Substring(index, length) + "'", null);
        }

        var described = "U+" + codePoint.ToString("X4", CultureInfo.InvariantCulture) +
                        (Names.TryGetValue(codePoint, out var name) ? " (" + name + ")" : string.Empty);
        var fix = codePoint == ReplacementCharacter
            ? "save the file as UTF-8: this character stands for bytes that were not valid text"
            : IsInvisible(category) ? "delete it: it is invisible in most editors" : "delete it";
        return (described, fix);
    }

    private static bool IsVisible(UnicodeCategory category) => category is not (
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or
        UnicodeCategory.OtherNotAssigned or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or
        UnicodeCategory.ParagraphSeparator or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or
        UnicodeCategory.EnclosingMark);

    private static bool IsInvisible(UnicodeCategory category) => category is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.SpaceSeparator or
        UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
