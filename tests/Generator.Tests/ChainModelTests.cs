using Mtl.Layers;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>
/// The generated models of the Chain and Joined examples of docs/language.md: a padding mask
/// started by one block, passed through a second and read by a task, three pipelines along; and one
/// carried through a concat over the features.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class ChainModelTests
{
    private static readonly Lazy<GeneratedAssembly> Generated = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("Chain")));
    private static readonly Lazy<GeneratedAssembly> GeneratedJoined = new(() => GeneratedAssembly.Compile(DocExamples.Declaring("Joined")));

    [Fact]
    public void A_concat_over_the_features_hands_the_mask_on_values_and_gradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(8);
        using var model = (MultiTaskModule)GeneratedJoined.Value.Model(GeneratedJoined.Value.Models.Single(m => m.Name == "Joined"));
        model.to(ScalarType.Float64);
        var encoder = (Sequential)GeneratedAssembly.Get(model, "Encoder")!;
        var joined = (Merge)GeneratedAssembly.Get(model, "Joined")!;
        var tags = (Sequential)GeneratedAssembly.Get(model, "Tags")!;
        long[] row = [7, 0, 0, 9, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        var parameters = model.named_parameters().ToList();

        var got = model.forward(new Dictionary<string, Tensor> { ["words"] = tensor(row, [1, 20]) }).Tasks["tags"];
        got.sum().backward();
        var grads = parameters.Select(p => p.parameter.grad!.clone()).ToList();
        model.zero_grad();

        // The three real words alone: encoder, joined with its linear-tanh branch, max over 3 positions, linear.
        var words = ((Recurrent)encoder[1]).forward(encoder[0].forward(tensor(new long[] { 7, 9, 2 }, [1, 3])));
        var both = cat([words, joined.Branches[1].forward(words)], 2);
        var expected = tags[1].forward(both.amax([1]));
        expected.sum().backward();
        Assert.True(expected.allclose(got, rtol: 1e-12, atol: 1e-12), $"{expected} vs {got}");
        // embedding 1, gru 4, the branch's linear 2, tags' linear 2: all compared.
        Assert.Equal(1 + 4 + 2 + 2, parameters.Count);
        for (var i = 0; i < parameters.Count; i++)
        {
            Assert.True(parameters[i].parameter.grad!.allclose(grads[i], rtol: 1e-12, atol: 1e-12), $"gradient of {parameters[i].name}");
        }
    }

    [Fact]
    public void The_task_sums_over_the_real_words_only_values_and_gradients()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        using var model = (MultiTaskModule)Generated.Value.Model(Generated.Value.Models.Single(m => m.Name == "Chain"));
        model.to(ScalarType.Float64);
        var block = (string name) => (Sequential)GeneratedAssembly.Get(model, name)!;
        var (embed, proj, pooled) = (block("Embed"), block("Proj"), block("Pooled"));
        long[] row = [0, 0, 12, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 499];
        var parameters = model.named_parameters().ToList();

        var got = model.forward(new Dictionary<string, Tensor> { ["words"] = tensor(row, [1, 20]) }).Tasks["pooled"];
        got.sum().backward();
        var grads = parameters.Select(p => p.parameter.grad!.clone()).ToList();
        model.zero_grad();

        // The four real words alone: embedding, linear, relu, summed over 4 positions, linear.
        var words = embed[0].forward(tensor(new long[] { 12, 3, 3, 499 }, [1, 4]));
        var expected = pooled[1].forward(proj[1].forward(proj[0].forward(words)).sum([1]));
        expected.sum().backward();
        Assert.True(expected.allclose(got, rtol: 1e-12, atol: 1e-12), $"{expected} vs {got}");
        Assert.Equal(1 + 2 + 2, parameters.Count);
        for (var i = 0; i < parameters.Count; i++)
        {
            Assert.True(parameters[i].parameter.grad!.allclose(grads[i], rtol: 1e-12, atol: 1e-12), $"gradient of {parameters[i].name}");
        }

        // Padding counted: relu(linear(0)) = relu(bias) at 16 more positions would change the sum.
        Assert.True(proj[1].forward(((Linear)proj[0]).bias!).abs().sum().item<double>() > 0);
    }
}
