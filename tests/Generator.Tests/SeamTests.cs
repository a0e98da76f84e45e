using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// Rules that the language checks at build time and the runtime enforces at run time agree: what
/// one rejects the other rejects, so a file that builds never fails for the same reason when it runs.
/// </summary>
public sealed class SeamTests
{
    [Theory]
    [InlineData(0.0, 0.0, true)]
    [InlineData(0.9, 0.0, false)]
    [InlineData(0.9, 0.1, true)]
    public void Sgd_nesterov_conflicts_in_the_language_exactly_where_the_runtime_rejects_it(double momentum, double dampening, bool conflict)
    {
        var options = new Dictionary<string, OptionValue?>
        {
            ["lr"] = new NumberValue(0.1),
            ["momentum"] = new NumberValue(momentum),
            ["dampening"] = new NumberValue(dampening),
            ["weight_decay"] = new NumberValue(0),
            ["nesterov"] = new BooleanValue(true),
        };
        using var weight = nn.Parameter(zeros(2));

        var runtimeRejects = false;
        try
        {
            using var optimizer = optim.SGD([weight], lr: 0.1, momentum: momentum, dampening: dampening, nesterov: true);
        }
        catch (ArgumentException)
        {
            runtimeRejects = true;
        }

        Assert.Equal(conflict, OptimizerCatalog.Conflict("sgd", options) is not null);
        Assert.Equal(conflict, runtimeRejects);
    }

    /// <summary>Every option a group may set in the language is one the runtime's optimizer keeps per group.</summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("rmsprop")]
    public void Every_group_option_of_the_language_is_a_per_group_option_of_the_runtime(string name)
    {
        using var weight = nn.Parameter(zeros(2));
        using var optimizer = name switch
        {
            "sgd" => (Optimizer)optim.SGD([weight], lr: 0.1),
            "adam" => optim.Adam([weight]),
            "adamw" => optim.AdamW([weight]),
            _ => optim.RMSprop([weight]),
        };
        var keys = OptimizerCatalog.GroupOptions(OptimizerCatalog.All[name]).Options
            .SelectMany(o => o.Name == "betas" ? ["beta1", "beta2"] : new[] { o.Name });

        Assert.All(keys, key => Assert.True(optimizer.defaults.ContainsKey(key), $"{name} keeps no per-group '{key}' (it keeps {string.Join(", ", optimizer.defaults.Keys)})"));
        Assert.DoesNotContain(OptimizerCatalog.GroupOptions(OptimizerCatalog.All[name]).Options, o => o.Type == OptionType.Boolean);
    }
}
