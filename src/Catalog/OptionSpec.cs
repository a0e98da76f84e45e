namespace Mtl.Catalog;

/// <summary>What kind of value an option takes.</summary>
public enum OptionType
{
    Integer,
    Number,
    Boolean,

    /// <summary>One word of <see cref="OptionSpec.Choices"/>.</summary>
    Choice,
    IntegerList,
    NumberList,

    /// <summary>
    /// An integer for every dimension alike, or a list of <see cref="OptionSpec.Length"/> integers,
    /// one per dimension: a 2-d kernel <c>3</c> or <c>[3, 5]</c>.
    /// </summary>
    IntegerPerDimension,

    /// <summary>
    /// A number for every dimension or label alike, or a list of numbers, one per dimension or label
    /// (of <see cref="OptionSpec.Length"/> when set; else the layer or task checks the count): an
    /// upsample scale <c>2</c> or <c>[2, 1]</c>, bce's <c>pos_weight</c> <c>3.0</c> or <c>[1.0, 3.0]</c>.
    /// </summary>
    NumberOrList,

    /// <summary><c>task.metric</c> or <c>loss</c>: checked against the model's tasks later.</summary>
    Monitor,
}

/// <summary>
/// One option of a layer, loss, optimizer, schedule, weighting method or statement. Without
/// <see cref="Default"/> it is <see cref="Required"/> or optional with no value;
/// <see cref="DefaultFrom"/> copies another option's value (a pool's stride defaults to its kernel).
/// </summary>
public sealed record OptionSpec(
    string Name,
    OptionType Type,
    OptionValue? Default = null,
    bool Required = false,
    ValueRange? Range = null,
    IReadOnlyList<string>? Choices = null,
    string? DefaultFrom = null,
    int? Length = null)
{
    public static OptionSpec Int(string name, long? defaultValue = null, ValueRange? range = null) =>
        new(name, OptionType.Integer, defaultValue is { } d ? new IntegerValue(d) : null, Range: range);

    public static OptionSpec RequiredInt(string name, ValueRange? range = null) =>
        new(name, OptionType.Integer, Required: true, Range: range);

    /// <summary>An integer per dimension of <paramref name="dimensions"/>: one for all, or a list.</summary>
    public static OptionSpec PerDimension(string name, int dimensions, long? defaultValue = null, ValueRange? range = null, bool required = false) =>
        new(name, OptionType.IntegerPerDimension, defaultValue is { } d ? new IntegerValue(d) : null, required, range, Length: dimensions);

    public static OptionSpec Num(string name, double? defaultValue = null, ValueRange? range = null) =>
        new(name, OptionType.Number, defaultValue is { } d ? new NumberValue(d) : null, Range: range);

    public static OptionSpec RequiredNum(string name, ValueRange? range = null) =>
        new(name, OptionType.Number, Required: true, Range: range);

    public static OptionSpec Bool(string name, bool defaultValue) =>
        new(name, OptionType.Boolean, new BooleanValue(defaultValue));

    public static OptionSpec Choice(string name, string? defaultValue, params string[] choices) =>
        new(name, OptionType.Choice, defaultValue is null ? null : new NameValue(defaultValue), Choices: choices);

    /// <summary>What a value must look like, for "expects ..." messages.</summary>
    public string Expected => Type switch
    {
        OptionType.Integer => "an integer",
        OptionType.Number => "a number",
        OptionType.Boolean => "true or false",
        OptionType.Choice => "one of " + string.Join(", ", Choices ?? []),
        OptionType.IntegerList => Length is { } n ? $"a list of {n} integers" : "a list of integers",
        OptionType.NumberList => Length is { } m ? $"a list of {m} numbers" : "a list of numbers",
        OptionType.IntegerPerDimension => Length is { } k ? $"an integer or a list of {k} integers" : "an integer or a list of integers, one per dimension",
        OptionType.NumberOrList => Length is { } l ? $"a number or a list of {l} numbers" : "a number or a list of numbers",
        _ => "task.metric or loss",
    };

    /// <summary>
    /// Why <paramref name="value"/> cannot be this option's value (the end of "'c' of 'cagrad' ..."),
    /// or null when it can: the same check for a .mtl file and for a runtime call. An integer is
    /// accepted where a number is expected.
    /// </summary>
    public string? Check(OptionValue value)
    {
        switch (Type, value)
        {
            case (OptionType.Integer or OptionType.IntegerPerDimension, IntegerValue integer):
                return CheckRange(integer.Value);
            case (OptionType.IntegerPerDimension, ListValue perDimension):
                return (this with { Type = OptionType.IntegerList }).Check(perDimension);
            case (OptionType.Number or OptionType.NumberOrList, IntegerValue integer):
                return CheckRange(integer.Value);
            case (OptionType.NumberOrList, ListValue perLabel):
                return (this with { Type = OptionType.NumberList }).Check(perLabel);
            case (OptionType.Number or OptionType.NumberOrList, NumberValue number):
                return double.IsNaN(number.Value) || double.IsInfinity(number.Value) ? $"must be finite; found {number}" : CheckRange(number.Value);
            case (OptionType.Boolean, BooleanValue):
                return null;
            case (OptionType.Choice, NameValue word):
                return Choices!.Contains(word.Value) ? null : $"expects {Expected}; found '{word.Value}'";
            case (OptionType.Monitor, NameValue):
                return null;
            case (OptionType.IntegerList or OptionType.NumberList, ListValue list):
                if (Length is { } length && list.Items.Count != length) return $"expects {Expected}; found {list.Items.Count} values";
                var item = this with { Type = Type == OptionType.IntegerList ? OptionType.Integer : OptionType.Number, Length = null };
                return list.Items.Select(item.Check).FirstOrDefault(e => e is not null);
            default:
                return $"expects {Expected}; found '{value}'";
        }
    }

    private string? CheckRange(double value) =>
        Range is null || Range.Contains(value) ? null : $"must be {Range.Describe()}; found {ValueRange.Format(value)}";
}

/// <summary>A named construct and its options, in positional order.</summary>
public sealed record SettingSpec(string Name, IReadOnlyList<OptionSpec> Options)
{
    public SettingSpec(string name, params OptionSpec[] options)
        : this(name, (IReadOnlyList<OptionSpec>)options)
    {
    }

    public OptionSpec? Option(string name) => Options.FirstOrDefault(o => o.Name == name);

    /// <summary>
    /// The values of every option for a call that gave <paramref name="given"/>: each checked,
    /// each one not given filled with its default. Throws <see cref="ArgumentException"/> naming
    /// this setting and the option for an unknown option, a bad value or a missing required one.
    /// </summary>
    public IReadOnlyDictionary<string, OptionValue?> Resolve(IReadOnlyDictionary<string, OptionValue>? given)
    {
        given ??= new Dictionary<string, OptionValue>();
        var unknown = given.Keys.Where(k => Option(k) is null).ToList();
        if (unknown.Count > 0)
        {
            var known = Options.Count == 0 ? "no options" : "options " + string.Join(", ", Options.Select(o => o.Name));
            throw new ArgumentException($"'{Name}' has no option {string.Join(", ", unknown.Select(k => $"'{k}'"))}: it takes {known}");
        }

        var values = new Dictionary<string, OptionValue?>(StringComparer.Ordinal);
        foreach (var option in Options)
        {
            if (given.TryGetValue(option.Name, out var value))
            {
                if (option.Check(value) is { } error) throw new ArgumentException($"'{option.Name}' of '{Name}' {error}");
                values[option.Name] = value;
            }
            else if (option.Required)
            {
                throw new ArgumentException($"'{Name}' needs '{option.Name}'");
            }
            else
            {
                values[option.Name] = option.DefaultFrom is { } from ? values[from] : option.Default;
            }
        }

        return values;
    }
}
