using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Binds written arguments and values to a <see cref="SettingSpec"/>: positional and named
/// arguments, types, ranges and defaults. Every option construct of the language goes through here.
/// </summary>
internal sealed class ArgumentBinder
{
    private readonly DiagnosticBag _diagnostics;

    public ArgumentBinder(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
    }

    /// <summary>
    /// Binds a bare name (<c>relu</c>) or a call (<c>dwa(temperature: 2)</c>) naming one of
    /// <paramref name="catalog"/>; reports an unknown name as an unknown <paramref name="category"/>.
    /// </summary>
    public Setting? BindSetting(IReadOnlyDictionary<string, SettingSpec> catalog, string category, ValueSyntax value)
    {
        var (name, arguments) = SplitCall(value);
        if (name is null)
        {
            if (value is not MissingSyntax)
            {
                _diagnostics.Report(DiagnosticCode.StatementForm, value.Span, category, "a name");
            }

            return null;
        }

        if (!catalog.TryGetValue(name.Text, out var signature))
        {
            ReportUnknownChoice(category, name, catalog.Keys.ToList());
            return null;
        }

        return Bind(signature, arguments, value.Span);
    }

    public void ReportUnknownChoice(string category, NameSyntax name, IReadOnlyCollection<string> choices) =>
        _diagnostics.ReportWithFix(
            DiagnosticCode.UnknownChoice,
            name.Span,
            Suggestions.DidYouMeanOrList(name.Text, choices),
            category,
            Lexer.Quote(name.Text));

    /// <summary>The name and arguments of a name or call; a null name for any other value.</summary>
    public static (NameSyntax? Name, IReadOnlyList<ArgumentSyntax> Arguments) SplitCall(ValueSyntax value) => value switch
    {
        NameSyntax name => (name, []),
        CallSyntax call => (call.Name, call.Arguments),
        _ => (null, []),
    };

    /// <summary>Binds arguments; null when any of them is wrong (each problem is reported).</summary>
    /// <param name="applyDefaults">False to keep only the options written (optimizer parameter groups).</param>
    public Setting? Bind(SettingSpec signature, IReadOnlyList<ArgumentSyntax> arguments, SourceSpan span, bool applyDefaults = true)
    {
        var errors = _diagnostics.ErrorCount;
        var parameters = signature.Options;
        var values = new OptionValue?[parameters.Count];
        var given = new bool[parameters.Count];
        var positional = 0;
        var seenNamed = false;
        var positionalCount = arguments.Count(a => a.Name is null);
        foreach (var argument in arguments)
        {
            int index;
            if (argument.Name is null)
            {
                if (seenNamed)
                {
                    _diagnostics.Report(DiagnosticCode.PositionalAfterNamed, argument.Span, signature.Name);
                    continue;
                }

                if (positional >= parameters.Count)
                {
                    if (positional == parameters.Count)
                    {
                        _diagnostics.Report(
                            DiagnosticCode.TooManyArguments, argument.Span, signature.Name, Wording.Count(parameters.Count, "positional argument"), positionalCount);
                    }

                    positional++;
                    continue;
                }

                index = positional++;
            }
            else
            {
                seenNamed = true;
                index = IndexOf(parameters, argument.Name.Text);
                if (index < 0)
                {
                    var names = parameters.Select(p => p.Name).ToArray();
                    var fix = names.Length == 0
                        ? $"'{signature.Name}' takes no options"
                        : Suggestions.DidYouMeanOrList(argument.Name.Text, names);
                    _diagnostics.ReportWithFix(
                        DiagnosticCode.UnknownOption, argument.Name.Span, fix, signature.Name, Lexer.Quote(argument.Name.Text));
                    continue;
                }

                if (given[index])
                {
                    _diagnostics.Report(DiagnosticCode.DuplicateArgument, argument.Span, argument.Name.Text, signature.Name);
                    continue;
                }
            }

            given[index] = true;
            values[index] = BindValue(Quoted(signature.Name), parameters[index], argument.Value);
        }

        var options = new List<Option>();
        for (var i = 0; i < parameters.Count; i++)
        {
            var parameter = parameters[i];
            if (given[i])
            {
                options.Add(new Option(parameter.Name, values[i], IsDefault: false));
            }
            else if (parameter.Required)
            {
                _diagnostics.Report(DiagnosticCode.MissingArgument, span, signature.Name, parameter.Name);
            }
            else if (applyDefaults)
            {
                var value = parameter.DefaultFrom is { } from ? values[IndexOf(parameters, from)] : parameter.Default;
                options.Add(new Option(parameter.Name, value, IsDefault: true));
            }
        }

        // A value can fail without a new error here: a number the lexer already reported as out of range.
        var complete = values.Where((value, i) => given[i]).All(value => value is not null);
        return complete && _diagnostics.ErrorCount == errors ? new Setting(signature.Name, options.ToEquatableArray()) : null;
    }

    /// <summary>Binds one value to a parameter; null (with a diagnostic) when it does not fit.</summary>
    /// <param name="owner">What the parameter belongs to, as messages name it: <c>'linear'</c>, <c>task 'income'</c>.</param>
    public OptionValue? BindValue(string owner, OptionSpec parameter, ValueSyntax value)
    {
        switch (parameter.Type)
        {
            case OptionType.Integer:
            case OptionType.Number:
                return BindNumber(owner, parameter, value);
            case OptionType.Boolean when value is NameSyntax { Text: "true" or "false" } word:
                return new BooleanValue(word.Text == "true");
            case OptionType.Choice when value is NameSyntax word && parameter.Choices!.Contains(word.Text):
                return new NameValue(word.Text);
            case OptionType.Choice when value is NameSyntax word:
                ReportWrongType(owner, parameter, value, Suggestions.DidYouMean(word.Text, parameter.Choices!));
                return null;
            case OptionType.Monitor when value is NameSyntax { Text: TaskCatalog.LossMetric }:
                return new NameValue(TaskCatalog.LossMetric);
            case OptionType.Monitor when value is MemberAccessSyntax member:
                return new NameValue(member.Target.Text + "." + member.Member.Text);
            case OptionType.IntegerList or OptionType.NumberList when value is ListSyntax list:
                return BindList(owner, parameter, list);
            // Without a Length the list may have any length: the layer checks it against its input (upsample).
            case OptionType.IntegerPerDimension when value is ListSyntax perDimension && (parameter.Length is null || perDimension.Items.Count == parameter.Length):
                return BindList(owner, parameter with { Type = OptionType.IntegerList }, perDimension);
            case OptionType.IntegerPerDimension when value is NumberSyntax:
                return BindNumber(owner, parameter with { Type = OptionType.Integer }, value);
            case OptionType.NumberOrList when value is ListSyntax list && (parameter.Length is null || list.Items.Count == parameter.Length):
                return BindList(owner, parameter with { Type = OptionType.NumberList }, list);
            case OptionType.NumberOrList when value is NumberSyntax:
                return BindNumber(owner, parameter with { Type = OptionType.Number }, value);
            default:
                ReportWrongType(owner, parameter, value, null);
                return null;
        }
    }

    private ListValue? BindList(string owner, OptionSpec parameter, ListSyntax list)
    {
        if (parameter.Length is { } length && list.Items.Count != length)
        {
            ReportWrongType(owner, parameter, list, null);
            return null;
        }

        var itemType = parameter.Type == OptionType.IntegerList ? OptionType.Integer : OptionType.Number;
        var item = parameter with { Type = itemType, Length = null };
        var items = new List<OptionValue>();
        foreach (var syntax in list.Items)
        {
            if (BindNumber(owner, item, syntax) is not { } bound)
            {
                return null;
            }

            items.Add(bound);
        }

        return new ListValue(items.ToEquatableArray());
    }

    private OptionValue? BindNumber(string owner, OptionSpec parameter, ValueSyntax value)
    {
        // The lexer reported the number as out of range; '1e400' is no integer either, but one error is enough.
        if (value is NumberSyntax { Value: double.NaN })
        {
            return null;
        }

        if (value is not NumberSyntax number || (parameter.Type == OptionType.Integer && !number.IsIntegerLiteral))
        {
            ReportWrongType(owner, parameter, value, null);
            return null;
        }

        var range = parameter.Range;
        if (parameter.Type == OptionType.Integer && (number.Value > int.MaxValue || number.Value < int.MinValue))
        {
            range = new ValueRange(range?.Min ?? int.MinValue, range?.MinExclusive ?? false, int.MaxValue, false);
        }

        if (range is not null && !range.Contains(number.Value))
        {
            _diagnostics.Report(
                DiagnosticCode.ValueOutOfRange, value.Span, owner, parameter.Name, range.Describe(), Lexer.Quote(number.Text));
            return null;
        }

        return parameter.Type == OptionType.Integer ? new IntegerValue((long)number.Value) : new NumberValue(number.Value);
    }

    private void ReportWrongType(string owner, OptionSpec parameter, ValueSyntax value, string? fix) =>
        _diagnostics.ReportWithFix(
            DiagnosticCode.WrongValueType, value.Span, fix, owner, parameter.Name, parameter.Expected, SyntaxText.Of(value));

    /// <summary>The argument written for <paramref name="parameter"/>, named or positional; null when it was not written.</summary>
    public static ArgumentSyntax? ArgumentFor(SettingSpec signature, IReadOnlyList<ArgumentSyntax> arguments, string parameter)
    {
        if (arguments.FirstOrDefault(a => a.Name?.Text == parameter) is { } named)
        {
            return named;
        }

        var index = IndexOf(signature.Options, parameter);
        return index >= 0 && index < arguments.Count && arguments.Take(index + 1).All(a => a.Name is null) ? arguments[index] : null;
    }

    /// <summary>A construct's name as an owner in messages: <c>'linear'</c>.</summary>
    public static string Quoted(string name) => "'" + name + "'";

    private static int IndexOf(IReadOnlyList<OptionSpec> parameters, string name)
    {
        for (var i = 0; i < parameters.Count; i++)
        {
            if (parameters[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }
}
