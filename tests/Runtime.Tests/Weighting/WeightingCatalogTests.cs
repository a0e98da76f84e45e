using System.Reflection;
using Mtl.Catalog;
using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// The runtime's methods against <see cref="WeightingCatalog"/>, the table the language reads
/// too: the same names, every option a public property and a constructor parameter, the same
/// defaults (through <c>Create</c> and on the constructors) and the same ranges.
/// </summary>
public sealed class WeightingCatalogTests
{
    private static readonly double[] Two = [1, 1];

    public static TheoryData<string> Methods() => [.. WeightingCatalog.Names];

    public static TheoryData<string, string> Options()
    {
        var data = new TheoryData<string, string>();
        foreach (var (name, spec) in WeightingCatalog.All)
        {
            foreach (var option in spec.Options) data.Add(name, option.Name);
        }
        return data;
    }

    [Fact]
    public void Names_are_the_catalogs()
    {
        Assert.Equal(WeightingCatalog.Names, TaskWeighting.Names);
        Assert.Equal(WeightingCatalog.All.Keys.Order(StringComparer.Ordinal), TaskWeighting.Names.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void The_catalogs_gradient_methods_are_the_runtimes_gradient_weightings(string name)
    {
        // The language rejects these with every shared block frozen (MTL0119): they differentiate the shared parameters.
        using var method = TaskWeighting.Create(name, Two);
        Assert.Equal(method is GradientWeighting, WeightingCatalog.GradientMethods.Contains(name));
    }

    [Fact]
    public void The_methods_with_a_representation_mode_are_the_gradient_methods_whose_papers_define_it()
    {
        // MGDA-UB, IMTL (gradients at the shared feature), GradDrop (on activations), Aligned-MTL-UB;
        // PCGrad, CAGrad, GradVac and Nash-MTL are defined on parameter gradients only.
        Assert.Equal(["aligned_mtl", "graddrop", "imtl", "mgda"], WeightingCatalog.RepresentationMethods.Order(StringComparer.Ordinal));
        Assert.All(WeightingCatalog.RepresentationMethods, name => Assert.Contains(name, WeightingCatalog.GradientMethods));
        Assert.All(WeightingCatalog.RepresentationMethods, name => Assert.Equal(WeightingCatalog.Parameters, ((NameValue)WeightingCatalog.All[name].Option(WeightingCatalog.Gradients)!.Default!).Value));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Gradients_at_the_representation_are_accepted_exactly_where_the_catalog_offers_them(string name)
    {
        var options = new Dictionary<string, object> { [WeightingCatalog.Gradients] = WeightingCatalog.Representation };
        if (WeightingCatalog.RepresentationMethods.Contains(name))
        {
            using var method = TaskWeighting.Create(name, Two, options);
            Assert.Equal(WeightingCatalog.Representation, Assert.IsAssignableFrom<GradientWeighting>(method).Gradients);
        }
        else
        {
            var error = Assert.Throws<ArgumentException>(() => TaskWeighting.Create(name, Two, options));
            Assert.Equal($"'{name}' has no representation-gradient mode: 'gradients' is an option of mgda, imtl, graddrop, aligned_mtl only (Parameter 'options')", error.Message);
        }
    }

    [Fact]
    public void Mgda_ub_is_gradients_at_the_representation_and_may_not_contradict_it()
    {
        using var ub = (MGDA)TaskWeighting.Create("mgda", Two, new Dictionary<string, object> { ["ub"] = true });
        Assert.Equal((true, WeightingCatalog.Representation), (ub.UB, ub.Gradients));
        using var both = (MGDA)TaskWeighting.Create("mgda", Two, new Dictionary<string, object> { ["ub"] = true, ["gradients"] = "representation" });
        Assert.Equal((true, WeightingCatalog.Representation), (both.UB, both.Gradients));
        using var spelled = (MGDA)TaskWeighting.Create("mgda", Two, new Dictionary<string, object> { ["gradients"] = "representation" });
        Assert.Equal((true, WeightingCatalog.Representation), (spelled.UB, spelled.Gradients));
        using var plain = (MGDA)TaskWeighting.Create("mgda", Two, new Dictionary<string, object> { ["ub"] = false, ["gradients"] = "parameters" });
        Assert.Equal((false, WeightingCatalog.Parameters), (plain.UB, plain.Gradients));

        var conflict = Assert.Throws<ArgumentException>(() => TaskWeighting.Create("mgda", Two, new Dictionary<string, object> { ["ub"] = true, ["gradients"] = "parameters" }));
        Assert.Equal("'mgda': 'ub: true' means 'gradients: representation', so it contradicts 'gradients: parameters' (Parameter 'options')", conflict.Message);
        conflict = Assert.Throws<ArgumentException>(() => TaskWeighting.Create("mgda", Two, new Dictionary<string, object> { ["ub"] = false, ["gradients"] = "representation" }));
        Assert.Equal("'mgda': 'ub: false' means 'gradients: parameters', so it contradicts 'gradients: representation' (Parameter 'options')", conflict.Message);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Create_without_options_takes_every_catalog_default(string name)
    {
        using var method = TaskWeighting.Create(name, Two);
        Assert.Equal(name, method.Name);
        foreach (var option in WeightingCatalog.All[name].Options)
        {
            Assert.Equal(Plain(option.Default!), Plain(Property(method, option.Name).GetValue(method)!));
        }
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Every_value_in_range_is_accepted_and_is_what_the_method_uses(string name, string option)
    {
        var spec = WeightingCatalog.All[name].Option(option)!;
        var values = OtherValidValues(spec);
        Assert.NotEmpty(values);
        foreach (var value in values)
        {
            using var method = TaskWeighting.Create(name, Two, new Dictionary<string, object> { [option] = value });
            var actual = Plain(Property(method, option).GetValue(method)!);
            Assert.Equal(Plain(value), actual);
            Assert.NotEqual(Plain(spec.Default!), actual);
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Constructor_defaults_are_the_catalog_defaults(string name)
    {
        var spec = WeightingCatalog.All[name];
        using var created = TaskWeighting.Create(name, Two);
        var constructor = Assert.Single(created.GetType().GetConstructors());
        var withDefaults = constructor.GetParameters().Where(p => p.HasDefaultValue).ToList();
        foreach (var parameter in withDefaults)
        {
            var option = spec.Options.SingleOrDefault(o => Matches(o.Name, parameter.Name!));
            Assert.True(option is not null, $"{created.GetType().Name}({parameter.Name}) has a default but '{name}' has no such option");
            Assert.Equal(Plain(option.Default!), Plain(parameter.DefaultValue!));
        }
        // and every option can be given to the constructor
        Assert.Equal(spec.Options.Select(o => o.Name), withDefaults.Select(p => spec.Options.Single(o => Matches(o.Name, p.Name!)).Name));

        // the constructor with its defaults builds what Create builds
        using var constructed = (TaskWeighting)constructor.Invoke([Two, .. withDefaults.Select(p => p.DefaultValue)]);
        foreach (var option in spec.Options)
        {
            Assert.Equal(Plain(Property(created, option.Name).GetValue(created)!), Plain(Property(constructed, option.Name).GetValue(constructed)!));
        }
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Values_outside_the_catalog_range_are_rejected_naming_the_option(string name, string option)
    {
        var spec = WeightingCatalog.All[name].Option(option)!;
        using var created = TaskWeighting.Create(name, Two);
        var constructor = Assert.Single(created.GetType().GetConstructors());
        var parameters = constructor.GetParameters();
        foreach (var bad in InvalidValues(spec))
        {
            var fromCreate = Assert.ThrowsAny<ArgumentException>(() => TaskWeighting.Create(name, Two, new Dictionary<string, object> { [option] = bad }));
            Assert.Contains($"'{option}'", fromCreate.Message);

            // the constructor makes the same check, when the value has the parameter's type
            var index = Array.FindIndex(parameters, p => Matches(option, p.Name!));
            if (ArgumentOf(bad, parameters[index].ParameterType) is not { } argument) continue;
            var arguments = parameters.Select(p => p.HasDefaultValue ? p.DefaultValue : Two).ToArray();
            arguments[index] = argument;
            var thrown = Assert.Throws<TargetInvocationException>(() => constructor.Invoke(arguments));
            var inner = Assert.IsAssignableFrom<ArgumentException>(thrown.InnerException);
            Assert.Contains($"'{option}'", inner.Message);
        }
    }

    /// <summary><c>update_every</c> ↔ <c>UpdateEvery</c>, <c>updateEvery</c>; <c>lr</c> ↔ <c>LR</c>.</summary>
    private static bool Matches(string option, string member) =>
        string.Equals(option.Replace("_", "", StringComparison.Ordinal), member, StringComparison.OrdinalIgnoreCase);

    private static PropertyInfo Property(TaskWeighting method, string option)
    {
        var property = method.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).SingleOrDefault(p => Matches(option, p.Name));
        Assert.True(property is not null, $"{method.GetType().Name} has no public property for '{option}'");
        Assert.False(property.CanWrite, $"{method.GetType().Name}.{property.Name} should be get-only");
        return property;
    }

    /// <summary>An option value or a .NET value as a double, bool or string, so either can be compared.</summary>
    private static object Plain(object value) => value switch
    {
        NumberValue number => number.Value,
        IntegerValue integer => (double)integer.Value,
        BooleanValue flag => flag.Value,
        NameValue word => word.Value,
        int or long or double => Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };

    /// <summary>Valid values other than the default: a few numbers in range, the other bool, the other words.</summary>
    private static List<object> OtherValidValues(OptionSpec spec)
    {
        switch (spec.Type)
        {
            case OptionType.Boolean:
                return [!((BooleanValue)spec.Default!).Value];
            case OptionType.Choice:
                return [.. spec.Choices!.Where(c => c != ((NameValue)spec.Default!).Value)];
            case OptionType.Integer:
                var i = ((IntegerValue)spec.Default!).Value;
                return [.. new[] { i + 1, i + 5, 2L, 3L }.Where(v => v != i && spec.Check(new IntegerValue(v)) is null).Distinct().Take(2).Cast<object>()];
            default:
                var d = spec.Default!.AsNumber();
                return [.. new[] { d / 2, d * 2, d + 0.5, 0.25, 0.5, 0.75, 1, 2 }.Where(v => v != d && spec.Check(new NumberValue(v)) is null).Distinct().Take(3).Cast<object>()];
        }
    }

    /// <summary>Values just outside the range (and NaN), a word that is no choice, a number for a bool.</summary>
    private static List<object> InvalidValues(OptionSpec spec)
    {
        switch (spec.Type)
        {
            case OptionType.Boolean:
                return [1];
            case OptionType.Choice:
                return ["nope", "Hybrid"];
            case OptionType.Integer:
                var range = spec.Range!;
                var ints = new List<object>();
                if (range.Min is { } imin) ints.Add((long)(range.MinExclusive ? imin : imin - 1));
                if (range.Max is { } imax) ints.Add((long)(range.MaxExclusive ? imax : imax + 1));
                return ints;
            default:
                var r = spec.Range!;
                var numbers = new List<object> { double.NaN };
                if (r.Min is { } min) numbers.Add(r.MinExclusive ? min : min - 0.5);
                if (r.Max is { } max) numbers.Add(r.MaxExclusive ? max : max + 0.5);
                return numbers;
        }
    }

    /// <summary><paramref name="value"/> as an argument of <paramref name="type"/>, or null when it is not one (a number for a bool).</summary>
    private static object? ArgumentOf(object value, Type type) => (value, type) switch
    {
        (double d, _) when type == typeof(double) => d,
        (long l, _) when type == typeof(long) => l,
        (long l, _) when type == typeof(double) => (double)l,
        (string s, _) when type == typeof(string) => s,
        _ => null,
    };
}
