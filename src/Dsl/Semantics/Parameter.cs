using Mtl.Dsl.Model;

namespace Mtl.Dsl.Semantics;

internal enum ParameterType
{
    Integer,
    Number,
    Boolean,

    /// <summary>One word of <see cref="Parameter.Choices"/>.</summary>
    Choice,
    IntegerList,
    NumberList,

    /// <summary><c>task.metric</c> or <c>loss</c>: checked against the model's tasks later.</summary>
    Monitor,
}

/// <summary>
/// One option of a layer, loss, optimizer, schedule or statement. Without <see cref="Default"/>
/// it is <see cref="Required"/> or optional with no value; <see cref="DefaultFrom"/> copies another
/// option's value (a pool's stride defaults to its kernel).
/// </summary>
internal sealed record Parameter(
    string Name,
    ParameterType Type,
    OptionValue? Default = null,
    bool Required = false,
    ValueRange? Range = null,
    IReadOnlyList<string>? Choices = null,
    string? DefaultFrom = null,
    int? Length = null)
{
    public static Parameter Int(string name, long? defaultValue = null, ValueRange? range = null) =>
        new(name, ParameterType.Integer, defaultValue is { } d ? new IntegerValue(d) : null, Range: range);

    public static Parameter RequiredInt(string name, ValueRange? range = null) =>
        new(name, ParameterType.Integer, Required: true, Range: range);

    public static Parameter Num(string name, double? defaultValue = null, ValueRange? range = null) =>
        new(name, ParameterType.Number, defaultValue is { } d ? new NumberValue(d) : null, Range: range);

    public static Parameter RequiredNum(string name, ValueRange? range = null) =>
        new(name, ParameterType.Number, Required: true, Range: range);

    public static Parameter Bool(string name, bool defaultValue) =>
        new(name, ParameterType.Boolean, new BooleanValue(defaultValue));

    public static Parameter Choice(string name, string? defaultValue, params string[] choices) =>
        new(name, ParameterType.Choice, defaultValue is null ? null : new NameValue(defaultValue), Choices: choices);

    /// <summary>What a value must look like, for "expects ..." messages.</summary>
    public string Expected => Type switch
    {
        ParameterType.Integer => "an integer",
        ParameterType.Number => "a number",
        ParameterType.Boolean => "true or false",
        ParameterType.Choice => "one of " + string.Join(", ", Choices ?? []),
        ParameterType.IntegerList => Length is { } n ? $"a list of {n} integers" : "a list of integers",
        ParameterType.NumberList => Length is { } m ? $"a list of {m} numbers" : "a list of numbers",
        _ => "task.metric or loss",
    };
}

/// <summary>The parameters of one named construct, in positional order.</summary>
internal sealed record Signature(string Name, IReadOnlyList<Parameter> Parameters)
{
    public Signature(string name, params Parameter[] parameters)
        : this(name, (IReadOnlyList<Parameter>)parameters)
    {
    }
}
