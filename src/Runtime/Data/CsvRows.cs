using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;

namespace Mtl.Data;

/// <summary>
/// The records of a CSV file after its header (RFC 4180: quoted fields may hold commas, quotes
/// and line breaks; invariant culture), each with the line it starts on; columns are found by
/// their exact header name. Every record must have as many fields as the header. Errors are
/// <see cref="CsvDataException"/>s naming the file, the line, the column and the cell.
/// </summary>
internal sealed class CsvRows : IDisposable
{
    private readonly CsvParser _parser;
    private readonly Dictionary<string, List<int>> _columns = new(StringComparer.Ordinal);
    // A field with a stray quote (CsvHelper's "bad data") of the current record, and its index once known.
    private string? _badField;
    private int _badIndex = -1;

    public CsvRows(TextReader reader, string source)
    {
        Source = source;
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = true,
            // A stray quote in an unquoted field is reported with its line, not read as it stands.
            BadDataFound = args => _badField ??= args.Field,
        };
        _parser = new CsvParser(reader, configuration);
        if (!Next(checkWidth: false))
        {
            throw new CsvDataException(Source, 1, null, null, "no data rows: the file is empty (it needs a header row naming the columns, then one row per example)");
        }
        Header = _parser.Record ?? [];
        for (var i = 0; i < Header.Count; i++)
        {
            if (!_columns.TryGetValue(Header[i], out var places)) _columns[Header[i]] = places = new List<int>();
            places.Add(i);
        }
    }

    public string Source { get; }

    /// <summary>The column names, as the header row spells them.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>The line the current record starts on (the header is line 1).</summary>
    public long Line { get; private set; }

    /// <summary>Records read after the header so far.</summary>
    public long Count { get; private set; }

    /// <summary>
    /// Where column <paramref name="name"/> is: a column the header lacks is an error naming it
    /// (with the closest header name, if one is close) and listing the header; a name the header
    /// holds more than once is an error too, as the column meant is ambiguous.
    /// </summary>
    public int Column(string name, string user)
    {
        if (!_columns.TryGetValue(name, out var places))
        {
            var header = string.Join(", ", Header.Select(h => $"'{h}'"));
            throw new CsvDataException(Source, 1, name, null, $"no column '{name}', which {user} reads{Suggestions.DidYouMean(name, Header)}; the header has {header}");
        }
        if (places.Count > 1)
        {
            throw new CsvDataException(Source, 1, name, null, $"the header names column '{name}' {places.Count} times (columns {string.Join(", ", places.Select(p => p + 1))}), so which one {user} reads is ambiguous; rename the others");
        }
        return places[0];
    }

    /// <summary>Moves to the next record; false at the end of the file.</summary>
    public bool Next() => Next(checkWidth: true);

    private bool Next(bool checkWidth)
    {
        if (!_parser.Read()) return false;
        _badField = null;
        _badIndex = -1;
        var raw = _parser.RawRecord;
        if (raw.AsSpan().Count('"') % 2 == 1)
        {
            // An odd number of quotes: a quote in an unquoted field, or a quoted field never
            // closed, which runs to the end of the file; processing the fields tells which (and
            // where). Every line break of an unclosed record is inside its quotes.
            for (var i = 0; i < _parser.Count && _badField is null; i++)
            {
                _ = _parser[i];
                if (_badField is not null) _badIndex = i;
            }
            if (_badField is { } field && field.StartsWith('"'))
            {
                throw new CsvDataException(Source, _parser.RawRow - raw.AsSpan().Count('\n'), null, null, "a quoted field is not closed: it runs to the end of the file (a field that starts with a quote ends with one, and each quote inside it is doubled)");
            }
        }
        // A record spanning lines (line breaks inside quotes) is named by the line it starts on.
        Line = _parser.RawRow - raw.AsSpan().TrimEnd("\r\n").Count('\n');
        if (!checkWidth) return true;
        Count++;
        if (_parser.Count != Header.Count)
        {
            throw new CsvDataException(Source, Line, null, null, $"the row has {_parser.Count} field{(_parser.Count == 1 ? "" : "s")} but the header has {Header.Count}");
        }
        return true;
    }

    /// <summary>The cell of the current record in column <paramref name="index"/>, as the file holds it (quotes removed).</summary>
    public string Cell(int index)
    {
        // Fields are processed once, when first read: a bad one is found then, or was found by Next.
        var found = _badField is not null;
        var cell = _parser[index];
        if (_badField is { } bad && (!found || _badIndex == index))
        {
            throw new CsvDataException(Source, Line, Header[index], bad, $"'{bad}' holds a quote but is not quoted: quote the whole field and double each quote inside it");
        }
        return cell;
    }

    /// <summary>An error about the current record's cell in <paramref name="index"/>.</summary>
    public CsvDataException Error(int index, string value, string problem) => new(Source, Line, Header[index], value, problem);

    public void Dispose() => _parser.Dispose();
}
