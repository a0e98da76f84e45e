using System.Globalization;

namespace Mtl.Training;

/// <summary>How report.html writes numbers, durations and text.</summary>
internal static class ReportText
{
    /// <summary>Up to six decimals, invariant culture; "NaN" for NaN (the form of <c>data-</c> attributes).</summary>
    public static string Number(double value) => double.IsNaN(value) ? "NaN" : value.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>Four significant digits for reading ("0.9950", "265.3", "1.2e-05"); "–" for NaN.</summary>
    public static string Value(double value)
    {
        if (double.IsNaN(value)) return "–";
        if (double.IsInfinity(value)) return value > 0 ? "∞" : "−∞";
        var magnitude = Math.Abs(value);
        if (magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.ToString("0.###e+0", CultureInfo.InvariantCulture);
        var decimals = magnitude == 0 ? 0 : Math.Clamp(3 - (int)Math.Floor(Math.Log10(magnitude)), 0, 6);
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    /// <summary>"0.42 s", "2.8 s", "4 min 12 s", "1 h 05 min".</summary>
    public static string Duration(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0) return "–";
        if (seconds < 10) return seconds.ToString(seconds < 1 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " s";
        if (seconds < 60) return Math.Round(seconds).ToString(CultureInfo.InvariantCulture) + " s";
        var whole = (long)Math.Round(seconds);
        if (whole < 3600) return $"{whole / 60} min {whole % 60:00} s";
        return $"{whole / 3600} h {whole % 3600 / 60:00} min";
    }

    /// <summary>Escapes the five characters HTML needs escaped in text and attributes, and leaves the rest (the page is UTF-8).</summary>
    public static string Encode(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("\"", "&quot;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);
}
