using Mtl.Catalog;
using Mtl.Dsl.Model;
using Xunit;

namespace Mtl.Dsl.Tests;

/// <summary>
/// Sequence tasks: bce's <c>pos_weight</c> per label, and which layers of a pipeline carry an
/// embedding's padding mask to the reductions that read it.
/// </summary>
public sealed class SequenceTaskTests
{
    private static string Multilabel(string loss, int k = 3) =>
        $"model M\ninput x: float[4]\ntask t: multilabel({k}) = x -> linear({k}) {{\n  loss {loss}\n}}\n";

    [Theory]
    [InlineData("bce(pos_weight: [1.0, 3.0, 0.5])", new[] { 1.0, 3.0, 0.5 })]
    [InlineData("bce(pos_weight: [1, 2, 3])", new[] { 1.0, 2.0, 3.0 })]
    public void A_list_gives_one_positive_weight_per_label(string loss, double[] weights)
    {
        var task = Assert.Single(TestCompiler.Model(Multilabel(loss)).Tasks);

        var list = Assert.IsType<ListValue>(task.Loss["pos_weight"]);
        Assert.Equal(weights, list.Items.Select(i => i.AsNumber()));
    }

    [Fact]
    public void One_number_still_weighs_every_label_alike()
    {
        var task = Assert.Single(TestCompiler.Model(Multilabel("bce(pos_weight: 3.0)")).Tasks);

        Assert.Equal(3.0, task.Loss["pos_weight"]!.AsNumber());
    }

    [Fact]
    public void A_binary_task_takes_a_list_of_one()
    {
        var task = Assert.Single(TestCompiler.Model("model M\ninput x: float[4]\ntask t: binary = x -> linear(1) { loss bce(pos_weight: [2.5]) }\n").Tasks);

        Assert.Equal([2.5], Assert.IsType<ListValue>(task.Loss["pos_weight"]).Items.Select(i => i.AsNumber()));
    }

    [Theory]
    [InlineData("bce(pos_weight: [1.0, 3.0])", "MTL0362", "4:8-4:35", "'pos_weight' needs 3 values for task 't', one per label; found 2")]
    [InlineData("bce(pos_weight: [1.0, 3.0, 0.5, 2.0])", "MTL0362", "4:8-4:45", "'pos_weight' needs 3 values for task 't', one per label; found 4")]
    // A weight that is not positive is reported at the value itself.
    [InlineData("bce(pos_weight: [1.0, 0.0, 0.5])", "MTL0305", "4:30-4:33", null)]
    [InlineData("bce(pos_weight: [1.0, -2, 0.5])", "MTL0305", "4:30-4:32", null)]
    [InlineData("bce(pos_weight: [1.0, x, 0.5])", "MTL0304", "4:30-4:31", null)]
    public void A_list_of_the_wrong_length_or_with_a_non_positive_weight_is_reported(string loss, string code, string span, string? message)
    {
        var diagnostic = TestCompiler.Single(Multilabel(loss));

        Assert.Equal((code, span), (diagnostic.Id, diagnostic.Span.ToString()));
        if (message is not null) Assert.Equal(message, diagnostic.Message);
    }

    [Fact]
    public void The_runtime_check_is_the_languages()
    {
        var spec = LossCatalog.All[LossCatalog.Bce];

        Assert.IsType<ListValue>(spec.Resolve(new Dictionary<string, OptionValue> { ["pos_weight"] = OptionValue.From(new[] { 1.0, 2.0 }) })["pos_weight"]);
        Assert.Throws<ArgumentException>(() => spec.Resolve(new Dictionary<string, OptionValue> { ["pos_weight"] = OptionValue.From(new[] { 1.0, 0.0 }) }));
    }

    // ---- ignore ----------------------------------------------------------------------------------

    [Theory]
    [InlineData("float[3, 8, 8]", "pixel_classes(19, ignore: 255) = x -> conv2d(19, 1)", 255L)]
    [InlineData("float[3, 8, 8]", "pixel_classes(19, 255) = x -> conv2d(19, 1)", 255L)]
    [InlineData("float[3, 8, 8]", "pixel_classes(19) = x -> conv2d(19, 1)", -1L)]
    [InlineData("float[3, 8, 8]", "classes(3, ignore: -100) = x -> flatten -> linear(3)", -100L)]
    [InlineData("long[6]", "token_classes(4, ignore: 4) = x -> embedding(10, 4) -> linear(4)", 4L)]
    public void The_ignore_value_is_recorded(string input, string task, long ignore)
    {
        var model = TestCompiler.Model($"model M\ninput x: {input}\ntask t: {task}\n");

        Assert.Equal(ignore, Assert.Single(model.Tasks).IgnoreIndex);
    }

    [Theory]
    [InlineData("pixel_classes(19, ignore: 5)", "image -> conv2d(19, 1)", "MTL0363", "task 't': ignore 5 is a class (classes are 0 to 18): use a value outside [0, 19)")]
    [InlineData("pixel_classes(19, ignore: 0)", "image -> conv2d(19, 1)", "MTL0363", "task 't': ignore 0 is a class (classes are 0 to 18): use a value outside [0, 19)")]
    [InlineData("classes(3, ignore: 2)", "image -> flatten -> linear(3)", "MTL0363", "task 't': ignore 2 is a class (classes are 0 to 2): use a value outside [0, 3)")]
    [InlineData("binary(ignore: 2)", "image -> flatten -> linear(1)", "MTL0300", null)]
    [InlineData("regression(1, ignore: -1)", "image -> flatten -> linear(1)", "MTL0300", null)]
    public void An_ignore_value_that_is_a_class_or_on_a_kind_without_classes_is_reported(string kind, string pipeline, string code, string? message)
    {
        var diagnostic = TestCompiler.Single($"model M\ninput image: float[3, 8, 8]\ntask t: {kind} = {pipeline}\n");

        Assert.Equal(code, diagnostic.Id);
        Assert.Equal(3, diagnostic.Span.StartLine);
        if (message is not null)
        {
            Assert.Equal(message, diagnostic.Message);
            Assert.Equal($"3:9-3:{9 + kind.Length}", diagnostic.Span.ToString());
        }
    }

    // ---- padding masks --------------------------------------------------------------------------

    private static MaskSpan? Plan(string layers, string input = "long[12]") =>
        SequenceMasks.Plan(Assert.Single(TestCompiler.Model($"model M\ninput ids: {input}\nshared s = ids -> {layers}\ntask t: regression(1) = s -> flatten -> linear(1)\n").SharedBlocks).Pipeline.Layers);

    [Theory]
    // The embedding starts the mask; the reduction over dim 1 (the positions) reads it last.
    [InlineData("embedding(50, 4, padding_idx: 0) -> mean(dim: 1)", 0, 1, 0L)]
    [InlineData("embedding(50, 4, padding_idx: 3) -> max(dim: -2)", 0, 1, 3L)]
    [InlineData("embedding(50, 4, padding_idx: 0) -> linear(8) -> relu -> dropout(p: 0.1) -> layernorm -> sum(dim: 1)", 0, 5, 0L)]
    [InlineData("embedding(50, 4, padding_idx: 0) -> gru(8, reduce: last)", 0, 1, 0L)]
    [InlineData("embedding(50, 4, padding_idx: 0) -> lstm(8, bidirectional: true, reduce: mean)", 0, 1, 0L)]
    // A recurrent layer reads the mask and carries it on: the last reader is the mean after it.
    [InlineData("embedding(50, 4, padding_idx: 0) -> gru(8) -> tanh -> mean(dim: 1)", 0, 3, 0L)]
    // A recurrent layer that hands on every step reads the mask even when nothing after it does.
    [InlineData("embedding(50, 4, padding_idx: 0) -> gru(8) -> flatten", 0, 1, 0L)]
    [InlineData("long -> embedding(50, 4, padding_idx: 0) -> softmax(dim: -1) -> mean(dim: 1)", 1, 3, 0L)]
    public void The_mask_runs_from_the_embedding_to_its_last_reader(string layers, int source, int last, long padding)
    {
        Assert.Equal(new MaskSpan(source, last, padding), Plan(layers, layers.StartsWith("long", StringComparison.Ordinal) ? "int[12]" : "long[12]"));
    }

    [Theory]
    // No padding_idx: no mask, and nothing changes.
    [InlineData("embedding(50, 4) -> mean(dim: 1)")]
    // A reduction over the features, not the positions.
    [InlineData("embedding(50, 4, padding_idx: 0) -> mean(dim: 2)")]
    // Layers that move or mix positions stop the mask before the reduction.
    [InlineData("embedding(50, 4, padding_idx: 0) -> transpose(1, 2) -> conv1d(4, 3) -> permute(0, 2, 1) -> mean(dim: 1)")]
    [InlineData("embedding(50, 4, padding_idx: 0) -> softmax(dim: 1) -> mean(dim: 1)")]
    [InlineData("embedding(50, 4, padding_idx: 0) -> flatten")]
    [InlineData("embedding(50, 4, padding_idx: 0) -> mean(dim: 2) -> relu")]
    public void Without_a_reader_in_reach_there_is_no_mask(string layers)
    {
        Assert.Null(Plan(layers));
    }

    private const string Encoder = "model M\ninput words: long[12]\nshared encoder = words -> embedding(vocab: 100, dim: 8, padding_idx: 0) -> gru(8)\n";

    [Theory]
    // A merge carries no mask: a reduction after it, or in a branch of it, counts the padding.
    [InlineData("concat(encoder, encoder, dim: 1) -> mean(dim: 1) -> linear(3)", "mean", "4:62-4:74", "a merge over the positions, or of different masks, carries none")]
    [InlineData("concat(encoder -> relu, other, dim: -1) -> gru(3, reduce: last)", "gru", "5:69-5:89", "a merge over the positions, or of different masks, carries none")]
    [InlineData("concat(encoder -> max(dim: 1), x) -> linear(3)", "max", "5:44-5:55", "a merge's source does not start with the padding mask")]
    public void A_reader_the_mask_cannot_reach_through_a_merge_is_warned_about(string head, string layer, string span, string why)
    {
        var model = head.Contains(", x)", StringComparison.Ordinal) ? Encoder.Replace("\nshared", "\ninput x: float[8]\nshared", StringComparison.Ordinal) : Encoder;
        // A second encoder with a mask of its own embedding, over the same ids.
        model += head.Contains("other", StringComparison.Ordinal) ? "shared other = words -> embedding(vocab: 100, dim: 8, padding_idx: 0)\n" : "";
        var diagnostic = TestCompiler.Single(model + $"task topic: classes(3) = {head}\n");

        Assert.Equal(("MTL0221", span), (diagnostic.Id, diagnostic.Span.ToString()));
        Assert.Equal($"'{layer}' reads the positions of 'encoder', padding included: {why}", diagnostic.Message);
    }

    [Theory]
    // Same mask (one embedding), positions kept: the merge carries it on, in three ways.
    [InlineData("concat(encoder, encoder -> relu, dim: 2)", true)]
    [InlineData("add(encoder, view -> tanh)", true)]
    [InlineData("concat(encoder, view, plain, dim: -1)", true)]
    // Over the positions; or the masks of two embeddings, though over the same ids.
    [InlineData("concat(encoder, view, dim: 1)", false)]
    [InlineData("concat(encoder, other, dim: 2)", false)]
    public void A_merge_carries_one_mask_over_the_features(string merge, bool carries)
    {
        var flows = Flows(Encoder + "shared view = encoder -> linear(8)\nshared other = words -> embedding(vocab: 100, dim: 8, padding_idx: 0)\n"
            + "shared plain = words -> embedding(vocab: 100, dim: 4)\n"
            + $"shared joined = {merge}\ntask t: classes(3) = joined -> {(carries ? "max(dim: 1)" : "flatten")} -> linear(3)\n"
            + "task u: regression(1) = other -> sum(dim: 1) -> linear(1)\ntask p: regression(1) = plain -> flatten -> linear(1)\n"
            + "task v: regression(1) = view -> flatten -> linear(1)\n");

        // Where it carries none, a reader after the merge would be warned about (MTL0221): flatten reads nothing.
        Assert.Equal(carries, flows.ContainsKey("joined"));
        Assert.Equal(carries, flows["encoder"].CarriesOut);
        if (carries)
        {
            // The first source that brings the mask hands it to the merge, which hands it to t's max.
            Assert.Equal(new MaskSpan(MaskSpan.Incoming, MaskSpan.Incoming, 0, CarriesOut: true, From: "encoder"), flows["joined"]);
            Assert.Equal(new MaskSpan(MaskSpan.Incoming, 0, 0, From: "joined"), flows["t"]);
        }
    }

    [Theory]
    // A pipeline reading a block that ends with a mask starts with it: no warning.
    [InlineData("encoder -> mean(dim: 1) -> linear(3)")]
    [InlineData("encoder -> relu -> gru(3, reduce: last)")]
    [InlineData("encoder -> lstm(4, bidirectional: true) -> max(dim: -2) -> linear(3)")]
    public void A_reader_of_a_masked_block_is_not_warned_about(string head)
    {
        Assert.Empty(TestCompiler.Compile(Encoder + $"task topic: classes(3) = {head}\n").Diagnostics);
    }

    private static IReadOnlyDictionary<string, MaskSpan> Flows(string text) => SequenceMasks.Flows(TestCompiler.Model(text));

    [Fact]
    public void A_shared_encoders_mask_goes_to_the_task_that_reads_it_and_no_further()
    {
        var flows = Flows(Encoder
            + "task topic: classes(4) = encoder -> mean(dim: 1) -> linear(4)\ntask tags: token_classes(9) = encoder -> linear(9)\n");

        // The encoder's gru reads its mask and hands it out; topic's mean (layer 0) reads it; tags
        // carries it to its end, but nothing reads tags, so it takes none.
        Assert.Equal(new MaskSpan(0, 1, 0, CarriesOut: true), flows["encoder"]);
        Assert.Equal(new MaskSpan(MaskSpan.Incoming, 0, 0, From: "encoder"), flows["topic"]);
        Assert.Equal(["encoder", "topic"], flows.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_mask_runs_down_a_chain_of_blocks_and_tasks_to_its_reader()
    {
        var flows = Flows(
            "model M\ninput words: long[12]\nshared embed = words -> embedding(vocab: 100, dim: 8, padding_idx: 2)\n"
            + "shared proj = embed -> linear(8) -> relu\ntask tags: token_classes(5) = proj -> linear(5)\n"
            + "task count: regression(1) = tags -> sum(dim: 1) -> linear(1)\n");

        // No layer reads it before count: each pipeline on the way passes it through (Last -1).
        Assert.Equal(new MaskSpan(0, MaskSpan.Incoming, 2, CarriesOut: true), flows["embed"]);
        Assert.Equal(new MaskSpan(MaskSpan.Incoming, MaskSpan.Incoming, 0, CarriesOut: true, From: "embed"), flows["proj"]);
        Assert.Equal(new MaskSpan(MaskSpan.Incoming, MaskSpan.Incoming, 0, CarriesOut: true, From: "proj"), flows["tags"]);
        Assert.Equal(new MaskSpan(MaskSpan.Incoming, 0, 0, From: "tags"), flows["count"]);
    }

    [Theory]
    // Stopped before the end (flatten), or read last (reduce: last): nothing leaves the encoder.
    [InlineData("gru(8) -> flatten", "encoder -> linear(3)")]
    [InlineData("gru(8, reduce: last)", "encoder -> linear(3)")]
    // A merge carries no mask out: the reader after it gets none.
    [InlineData("gru(8)", "concat(encoder, encoder, dim: 2) -> flatten -> linear(3)")]
    public void A_mask_stopped_on_the_way_leaves_nothing_to_read(string encoder, string head)
    {
        var flows = Flows($"model M\ninput words: long[12]\nshared encoder = words -> embedding(vocab: 100, dim: 8, padding_idx: 0) -> {encoder}\ntask t: classes(3) = {head}\n");

        Assert.Equal(new MaskSpan(0, 1, 0), flows["encoder"]);
        Assert.False(flows.ContainsKey("t"));
    }

    [Theory]
    // A per-token head reads no positions: no warning.
    [InlineData("gru(8)", "token_classes(3)", "encoder -> linear(3)")]
    // The encoder's mask was read and stopped within it.
    [InlineData("gru(8, reduce: mean)", "classes(3)", "encoder -> linear(3)")]
    // A layer that stops the mask comes first: what follows reads no masked positions.
    [InlineData("gru(8)", "classes(3)", "encoder -> flatten -> linear(3)")]
    public void Readers_the_mask_could_not_reach_anyway_are_not_warned_about(string encoder, string kind, string head)
    {
        var result = TestCompiler.Compile(
            $"model M\ninput words: long[12]\nshared encoder = words -> embedding(vocab: 100, dim: 8, padding_idx: 0) -> {encoder}\ntask t: {kind} = {head}\n");

        Assert.Empty(result.Diagnostics);
    }

    [Fact]
    public void Ids_of_more_than_one_dim_start_no_mask()
    {
        Assert.Null(Plan("embedding(50, 4, padding_idx: 0) -> mean(dim: 1)", "long[3, 12]"));
    }
}
