namespace Mtl.Dsl.Model;

/// <summary>A named choice with its options: a loss, a weighting strategy, a schedule, an optimizer.</summary>
public sealed record Setting(string Name, EquatableArray<Option> Options)
{
    public OptionValue? this[string option] => Options.FirstOrDefault(o => o.Name == option)?.Value;

    public long Integer(string option) => this[option] is IntegerValue value ? value.Value : 0;

    public double Number(string option) => this[option] switch
    {
        NumberValue value => value.Value,
        IntegerValue value => value.Value,
        _ => 0,
    };

    /// <summary>
    /// The values per dimension of an option written as one integer for all dimensions (<c>3</c>)
    /// or one per dimension (<c>[3, 5]</c>); <paramref name="dimensions"/> values, 0 when absent.
    /// </summary>
    public long[] PerDimension(string option, int dimensions) => this[option] switch
    {
        IntegerValue value => [.. Enumerable.Repeat(value.Value, dimensions)],
        ListValue list when list.Items.Count == dimensions => [.. list.Items.Select(i => i is IntegerValue v ? v.Value : 0)],
        _ => new long[dimensions],
    };

    /// <summary>
    /// The numbers per dimension of an option written as one number for all dimensions (<c>2</c>)
    /// or one per dimension (<c>[2, 1.5]</c>); <paramref name="dimensions"/> values, 0 when absent.
    /// </summary>
    public double[] PerDimensionNumbers(string option, int dimensions) => this[option] switch
    {
        IntegerValue value => [.. Enumerable.Repeat((double)value.Value, dimensions)],
        NumberValue value => [.. Enumerable.Repeat(value.Value, dimensions)],
        ListValue list when list.Items.Count == dimensions => [.. list.Items.Select(i => i switch { NumberValue n => n.Value, IntegerValue v => v.Value, _ => 0 })],
        _ => new double[dimensions],
    };

    public bool Boolean(string option) => this[option] is BooleanValue { Value: true };

    public string? Word(string option) => (this[option] as NameValue)?.Value;
}
