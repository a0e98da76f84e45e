using Mtl.Catalog;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>
/// <c>weighting m(gradients: representation)</c> against <see cref="WeightingCatalog"/>, the table
/// the runtime's <c>TaskWeighting.Create</c> reads too (pinned there by WeightingCatalogTests): the
/// language accepts the option exactly for the methods the catalog gives it, and rejects it for the
/// others with MTL0326 and the catalog's message, which is the runtime's.
/// </summary>
public sealed class RepresentationGradientTests
{
    private const string Trunk = "model M\ninput x: float[4]\nshared trunk = x -> linear(8) -> relu\ntask a: binary = trunk -> linear(1)\ntask b: binary = trunk -> linear(1)\n";

    public static TheoryData<string> Methods() => [.. WeightingCatalog.Names];

    [Theory]
    [MemberData(nameof(Methods))]
    public void Gradients_at_the_representation_are_accepted_exactly_where_the_catalog_offers_them(string name)
    {
        var text = Trunk + $"weighting {name}(gradients: representation)\n";
        if (WeightingCatalog.RepresentationMethods.Contains(name))
        {
            var model = TestCompiler.Model(text);
            Assert.Equal(new Option("gradients", new NameValue("representation"), IsDefault: false), model.Weighting.Options.Single(o => o.Name == "gradients"));
            Assert.Equal("trunk", model.SharedRepresentation);
        }
        else
        {
            var diagnostic = TestCompiler.Single(text);
            Assert.Equal(("MTL0326", WeightingCatalog.WithoutRepresentation(name)), (diagnostic.Id, diagnostic.Message));
            Assert.Equal($"6:{12 + name.Length}-6:{12 + name.Length + "gradients: representation".Length}", diagnostic.Span.ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Gradient_methods_default_to_parameter_gradients(string name)
    {
        var model = TestCompiler.Model(Trunk + $"weighting {name}\n");
        var gradients = model.Weighting.Options.SingleOrDefault(o => o.Name == "gradients");
        Assert.Equal(WeightingCatalog.RepresentationMethods.Contains(name), gradients is not null);
        if (gradients is not null) Assert.Equal(new Option("gradients", new NameValue("parameters"), IsDefault: true), gradients);
    }

    [Theory]
    [InlineData("mgda(ub: true)")]
    [InlineData("mgda(ub: true, gradients: representation)")]
    [InlineData("mgda(gradients: representation, normalization: l2)")]
    public void Mgda_ub_remains_the_MGDA_UB_spelling(string weighting)
    {
        var model = TestCompiler.Model(Trunk + $"weighting {weighting}\n");
        // both options carry the meaning, whichever was written, so the values handed to the runtime agree
        Assert.Equal(new BooleanValue(true), model.Weighting["ub"]);
        Assert.Equal(new NameValue("representation"), model.Weighting["gradients"]);
        Assert.Equal(weighting.Contains("ub:", StringComparison.Ordinal), !model.Weighting.Options.Single(o => o.Name == "ub").IsDefault);
        Assert.Equal(weighting.Contains("gradients:", StringComparison.Ordinal), !model.Weighting.Options.Single(o => o.Name == "gradients").IsDefault);
    }

    [Theory]
    [InlineData("mgda")]
    [InlineData("mgda(ub: false)")]
    [InlineData("mgda(gradients: parameters)")]
    [InlineData("mgda(ub: false, gradients: parameters)")]
    public void Plain_mgda_takes_parameter_gradients(string weighting)
    {
        var model = TestCompiler.Model(Trunk + $"weighting {weighting}\n");
        Assert.Equal((new BooleanValue(false), new NameValue("parameters")), (model.Weighting["ub"], model.Weighting["gradients"]));
    }

    [Theory]
    [InlineData("shared low = x -> linear(8) -> relu\nshared high = low -> linear(8) -> relu\ntask a: binary = low -> linear(1)\ntask b: binary = high -> linear(1)\n", "'a' reads shared block 'low', 'b' reads shared block 'high'")]
    [InlineData("shared left = x -> linear(8) -> relu\nshared right = x -> linear(8) -> relu\ntask a: binary = left -> linear(1)\ntask b: binary = right -> linear(1)\n", "'a' reads shared block 'left', 'b' reads shared block 'right'")]
    [InlineData("shared trunk = x -> linear(8) -> relu\ntask a: binary = trunk -> linear(1)\ntask b: binary = concat(trunk, x) -> linear(1)\n", "'a' reads shared block 'trunk', 'b' reads a concat")]
    [InlineData("shared trunk = x -> linear(8) -> relu\ntask a: binary = trunk -> linear(1)\ntask b: binary = a -> linear(1)\n", "'a' reads shared block 'trunk', 'b' reads task 'a'")]
    public void Tasks_reading_different_shared_blocks_have_no_representation_to_take_gradients_at(string blocks, string sources)
    {
        var text = "model M\ninput x: float[4]\n" + blocks + "weighting aligned_mtl(gradients: representation)\n";
        var diagnostic = TestCompiler.Single(text);
        Assert.Equal(
            ("MTL0114", "weighting 'aligned_mtl(gradients: representation)' needs one shared block that every task reads directly (its gradients are taken there), but the tasks read different sources: " + sources, "let every task read one shared block, or drop 'gradients'"),
            (diagnostic.Id, diagnostic.Message, diagnostic.Fix));

        // the same model with parameter gradients is fine
        Assert.Empty(TestCompiler.Compile(text.Replace("gradients: representation", "gradients: parameters", StringComparison.Ordinal)).Diagnostics);
    }
}
