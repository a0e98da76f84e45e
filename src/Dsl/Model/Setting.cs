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

    public bool Boolean(string option) => this[option] is BooleanValue { Value: true };

    public string? Word(string option) => (this[option] as NameValue)?.Value;
}
