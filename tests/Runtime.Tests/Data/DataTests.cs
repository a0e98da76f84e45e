using Mtl.Data;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Data;

/// <summary>
/// Datasets built from .NET values (<see cref="InputColumn{T}"/>, <see cref="TargetColumn"/>),
/// subsets, splits and per-task views of a <see cref="MultiTaskDataset"/>, and the input check
/// of generated models (<see cref="DataValidation.RequireInput"/>).
/// </summary>
public sealed class DataTests
{
    // ---- InputColumn ---------------------------------------------------------------------------

    [Fact]
    public void An_input_column_gathers_flat_rows_into_one_tensor_of_the_declared_shape()
    {
        using var scope = NewDisposeScope();
        var column = new InputColumn<float>("pixels", [2, 3], rows: 2);
        Assert.Equal("pixels", column.Member);
        Assert.Equal(2, column.Rows);
        column.Set(1, [6f, 7, 8, 9, 10, 11]);
        column.Set(0, new ReadOnlySpan<float>([0f, 1, 2, 3, 4, 5]));
        var values = column.ToTensor();
        Assert.Equal(new long[] { 2, 2, 3 }, values.shape);
        Assert.Equal(ScalarType.Float32, values.dtype);
        Assert.Equal([0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], values.data<float>());

        var scalar = new InputColumn<long>("age", [], rows: 3);
        scalar.Set(0, 41L);
        scalar.Set(2, -3L);
        scalar.Set(1, [7L]);
        var ages = scalar.ToTensor();
        Assert.Equal(new long[] { 3 }, ages.shape);
        Assert.Equal([41L, 7, -3], ages.data<long>());

        var empty = new InputColumn<double>("x", [4], rows: 0).ToTensor();
        Assert.Equal(new long[] { 0, 4 }, empty.shape);
    }

    [Fact]
    public void An_input_row_of_the_wrong_length_names_the_member_the_row_and_both_lengths()
    {
        var column = new InputColumn<float>("pixels", [2, 3], rows: 4);
        Assert.Equal("pixels, row 2: expected 6 values for shape [2, 3], found 5", Assert.Throws<InvalidDataException>(() => column.Set(2, new float[5])).Message);
        Assert.Equal("pixels, row 3: expected 6 values for shape [2, 3], found one", Assert.Throws<InvalidDataException>(() => column.Set(3, 1f)).Message);
        Assert.Equal("pixels, row 1: no values (expected 6 for shape [2, 3])", Assert.Throws<InvalidDataException>(() => column.Set(1, (float[]?)null)).Message);

        var scalar = new InputColumn<int>("count", [], rows: 2);
        Assert.Equal("count, row 0: expected 1 values for shape [], found 2", Assert.Throws<InvalidDataException>(() => scalar.Set(0, [1, 2])).Message);
    }

    [Fact]
    public void A_non_finite_input_names_the_member_the_row_the_index_and_the_value()
    {
        var column = new InputColumn<float>("x", [3], rows: 3);
        Assert.Equal("x, row 1 at index 2: NaN is not finite; inputs must be finite", Assert.Throws<InvalidDataException>(() => column.Set(1, [1f, 2, float.NaN])).Message);
        Assert.Equal("x, row 2 at index 0: -Infinity is not finite; inputs must be finite", Assert.Throws<InvalidDataException>(() => column.Set(2, [float.NegativeInfinity, 0, 0])).Message);

        var scalar = new InputColumn<double>("income", [], rows: 5);
        Assert.Equal("income, row 4: Infinity is not finite; inputs must be finite", Assert.Throws<InvalidDataException>(() => scalar.Set(4, double.PositiveInfinity)).Message);

        // A rejected row leaves the column as it was.
        using var scope = NewDisposeScope();
        column.Set(0, [1f, 2, 3]);
        Assert.Throws<InvalidDataException>(() => column.Set(0, [5f, 5, float.NaN]));
        Assert.Equal([1f, 2, 3], column.ToTensor()[0].data<float>());
    }

    [Fact]
    public void An_input_row_outside_the_column_or_a_negative_row_count_is_rejected()
    {
        var column = new InputColumn<float>("x", [1], rows: 2);
        Assert.Contains("x: row 2 is outside [0, 2)", Assert.Throws<ArgumentOutOfRangeException>(() => column.Set(2, [1f])).Message);
        Assert.Contains("x: row -1 is outside [0, 2)", Assert.Throws<ArgumentOutOfRangeException>(() => column.Set(-1, 1f)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new InputColumn<float>("x", [1], rows: -1));
    }

    // ---- TargetColumn --------------------------------------------------------------------------

    [Fact]
    public void A_target_column_stores_each_kind_in_the_form_its_loss_reads()
    {
        using var scope = NewDisposeScope();
        var binary = new TargetColumn(new TaskSpec("churn", TaskKind.Binary), rows: 3);
        binary.Set(0, true);
        binary.Set(1, (bool?)null);
        binary.Set(2, false);
        var churn = binary.ToTensor();
        Assert.Equal(new long[] { 3, 1 }, churn.shape);
        Assert.Equal([1f, float.NaN, 0f], churn.data<float>());

        var classes = new TargetColumn(new TaskSpec("kind", TaskKind.Classes, 3), rows: 3);
        classes.Set(0, 2);
        classes.Set(1, (int?)null);
        classes.Set(2, 0);
        var kind = classes.ToTensor();
        Assert.Equal(ScalarType.Int64, kind.dtype);
        Assert.Equal(new long[] { 3 }, kind.shape);
        Assert.Equal([2L, -1, 0], kind.data<long>());

        var value = new TargetColumn(new TaskSpec("price", TaskKind.Regression), rows: 2);
        value.Set(0, 3.5f);
        value.Set(1, (float?)null);
        Assert.Equal([3.5f, float.NaN], value.ToTensor().data<float>());

        var vector = new TargetColumn(new TaskSpec("position", TaskKind.Regression, 2), rows: 3);
        vector.Set(0, [1f, -2f]);
        vector.Set(1, [float.NaN, 4f]);
        vector.Set(2, (float[]?)null);
        var position = vector.ToTensor();
        Assert.Equal(new long[] { 3, 2 }, position.shape);
        Assert.Equal([1f, -2f, float.NaN, 4f, float.NaN, float.NaN], position.data<float>());

        var multilabel = new TargetColumn(new TaskSpec("tags", TaskKind.Multilabel, 3), rows: 2);
        multilabel.Set(0, [true, false, true]);
        multilabel.Set(1, (bool[]?)null);
        Assert.Equal([1f, 0f, 1f, float.NaN, float.NaN, float.NaN], multilabel.ToTensor().data<float>());

        // What the column builds is what a dataset accepts.
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = zeros(3, 1) },
            new Dictionary<string, Tensor> { ["churn"] = churn, ["kind"] = kind, ["position"] = position },
            [binary.Task, classes.Task, vector.Task]);
        Assert.Equal(3, data.Count);
    }

    [Fact]
    public void A_class_out_of_range_names_the_task_the_row_and_the_class()
    {
        var column = new TargetColumn(new TaskSpec("kind", TaskKind.Classes, 3), rows: 5);
        Assert.Equal("task 'kind', row 4: class 3 is outside [0, 3)", Assert.Throws<InvalidDataException>(() => column.Set(4, 3)).Message);
        Assert.Equal("task 'kind', row 1: class -1 is outside [0, 3)", Assert.Throws<InvalidDataException>(() => column.Set(1, -1)).Message);
    }

    [Fact]
    public void A_missing_label_where_the_task_forbids_them_names_the_task_and_the_row()
    {
        const string Forbidden = "the label is missing, and this task forbids missing labels";
        TargetColumn Column(TaskKind kind, int size = 1) => new(new TaskSpec("t", kind, size) { MissingLabels = false }, rows: 3);
        Assert.Equal($"task 't', row 2: {Forbidden}", Assert.Throws<InvalidDataException>(() => Column(TaskKind.Binary).Set(2, (bool?)null)).Message);
        Assert.Equal($"task 't', row 1: {Forbidden}", Assert.Throws<InvalidDataException>(() => Column(TaskKind.Classes, 4).Set(1, (int?)null)).Message);
        Assert.Equal($"task 't', row 0: {Forbidden}", Assert.Throws<InvalidDataException>(() => Column(TaskKind.Regression).Set(0, (float?)null)).Message);
        Assert.Equal($"task 't', row 1: {Forbidden}", Assert.Throws<InvalidDataException>(() => Column(TaskKind.Regression, 2).Set(1, [0f, float.NaN])).Message);
        Assert.Equal($"task 't', row 2: {Forbidden}", Assert.Throws<InvalidDataException>(() => Column(TaskKind.Regression, 2).Set(2, (float[]?)null)).Message);
        Assert.Equal($"task 't', row 0: {Forbidden}", Assert.Throws<InvalidDataException>(() => Column(TaskKind.Multilabel, 2).Set(0, (bool[]?)null)).Message);
    }

    [Fact]
    public void A_target_of_the_wrong_length_or_not_finite_names_the_task_the_row_and_the_value()
    {
        var vector = new TargetColumn(new TaskSpec("position", TaskKind.Regression, 2), rows: 3);
        Assert.Equal("task 'position', row 1: expected 2 values, found 3", Assert.Throws<InvalidDataException>(() => vector.Set(1, [1f, 2f, 3f])).Message);
        Assert.Equal("task 'position', row 2 at index 1: Infinity is not a finite value", Assert.Throws<InvalidDataException>(() => vector.Set(2, [1f, float.PositiveInfinity])).Message);
        Assert.Equal("task 'position', row 0: a regression(2) task takes 2 values per row, not one", Assert.Throws<InvalidDataException>(() => vector.Set(0, 1f)).Message);

        // For regression(1), null marks a missing value; NaN is no value at all.
        var value = new TargetColumn(new TaskSpec("price", TaskKind.Regression), rows: 2);
        Assert.Equal("task 'price', row 1: NaN is not a finite value", Assert.Throws<InvalidDataException>(() => value.Set(1, float.NaN)).Message);

        var tags = new TargetColumn(new TaskSpec("tags", TaskKind.Multilabel, 3), rows: 2);
        Assert.Equal("task 'tags', row 0: expected 3 values, found 2", Assert.Throws<InvalidDataException>(() => tags.Set(0, [true, false])).Message);
    }

    [Fact]
    public void A_label_of_another_kind_names_the_task_the_row_and_the_kind()
    {
        var binary = new TargetColumn(new TaskSpec("churn", TaskKind.Binary), rows: 2);
        Assert.Equal("task 'churn', row 1: the task is binary, so its label is not an int class", Assert.Throws<InvalidOperationException>(() => binary.Set(1, 1)).Message);
        Assert.Equal("task 'churn', row 0: the task is binary, so its label is not a float", Assert.Throws<InvalidOperationException>(() => binary.Set(0, 1f)).Message);

        var classes = new TargetColumn(new TaskSpec("kind", TaskKind.Classes, 4), rows: 2);
        Assert.Equal("task 'kind', row 0: the task is classes(4), so its label is not a bool", Assert.Throws<InvalidOperationException>(() => classes.Set(0, true)).Message);
        Assert.Equal("task 'kind', row 1: the task is classes(4), so its label is not bool labels", Assert.Throws<InvalidOperationException>(() => classes.Set(1, [true])).Message);

        var multilabel = new TargetColumn(new TaskSpec("tags", TaskKind.Multilabel, 2), rows: 1);
        Assert.Equal("task 'tags', row 0: the task is multilabel(2), so its label is not float values", Assert.Throws<InvalidOperationException>(() => multilabel.Set(0, [1f, 0f])).Message);

        Assert.Contains("task 'churn': row 2 is outside [0, 2)", Assert.Throws<ArgumentOutOfRangeException>(() => binary.Set(2, true)).Message);
    }

    // ---- Subset, Split, WithTargets ------------------------------------------------------------

    private static readonly TaskSpec[] Tasks = [new TaskSpec("a", TaskKind.Regression), new TaskSpec("b", TaskKind.Classes, 3)];

    /// <summary>Example i has input id = i, a = 10·i and b = i mod 3, so every row can be traced.</summary>
    private static MultiTaskDataset Numbered(int count)
    {
        using var scope = NewDisposeScope();
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["id"] = tensor(Enumerable.Range(0, count).Select(i => (float)i).ToArray(), [count, 1]) },
            new Dictionary<string, Tensor>
            {
                ["a"] = tensor(Enumerable.Range(0, count).Select(i => 10f * i).ToArray(), [count, 1]),
                ["b"] = tensor(Enumerable.Range(0, count).Select(i => (long)(i % 3)).ToArray(), [count]),
            },
            Tasks);
    }

    private static long[] Ids(MultiTaskDataset data) => [.. data.Inputs["id"].data<float>().Select(v => (long)v)];

    [Fact]
    public void Subset_copies_the_given_rows_in_the_given_order()
    {
        using var data = Numbered(6);
        using var subset = data.Subset([4, 0, 4, 2]);
        Assert.Equal(4, subset.Count);
        Assert.Equal([4L, 0, 4, 2], Ids(subset));
        Assert.Equal([40f, 0, 40, 20], subset.Targets["a"].data<float>());
        Assert.Equal([1L, 0, 1, 2], subset.Targets["b"].data<long>());
        Assert.Same(data.Tasks, subset.Tasks);

        // copies: changing the original changes nothing in the subset
        using (no_grad()) data.Inputs["id"].fill_(-1.0);
        Assert.Equal([4L, 0, 4, 2], Ids(subset));

        using var none = data.Subset([]);
        Assert.Equal(0, none.Count);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([1, 6]));
        Assert.Contains("row 6 is outside the dataset's [0, 6)", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Subset([-1]));
    }

    [Theory]
    [InlineData(10, 0.7, 7)]
    [InlineData(10, 0.25, 3)] // 2.5 rounds away from zero
    [InlineData(7, 0.5, 4)]
    [InlineData(3, 0.1, 0)] // rounds to an empty part: rejected
    [InlineData(3, 0.9, 3)] // rounds to an empty part: rejected
    public void Split_is_seeded_sized_disjoint_and_keeps_the_order(int count, double fraction, int trainCount)
    {
        using var data = Numbered(count);
        if (trainCount == 0 || trainCount == count)
        {
            var error = Assert.Throws<ArgumentException>(() => data.Split(fraction, seed: 1));
            Assert.Contains($"splitting {count} examples at {fraction} leaves one part empty", error.Message);
            return;
        }
        var (train, validation) = data.Split(fraction, seed: 1);
        using (train)
        using (validation)
        {
            Assert.Equal(trainCount, train.Count);
            Assert.Equal(count - trainCount, validation.Count);
            var trainIds = Ids(train);
            var validationIds = Ids(validation);
            Assert.Empty(trainIds.Intersect(validationIds));
            Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), trainIds.Concat(validationIds).Order());
            Assert.Equal(trainIds.Order(), trainIds);
            Assert.Equal(validationIds.Order(), validationIds);
            // targets travel with their rows
            Assert.Equal(trainIds.Select(i => 10f * i), train.Targets["a"].data<float>());
            Assert.Equal(validationIds.Select(i => i % 3), validation.Targets["b"].data<long>());

            // the same seed gives the same split
            var (again, againValidation) = data.Split(fraction, seed: 1);
            using (again)
            using (againValidation)
            {
                Assert.Equal(trainIds, Ids(again));
            }
        }
    }

    [Fact]
    public void Split_depends_on_the_seed_and_rejects_fractions_outside_0_1()
    {
        using var data = Numbered(40);
        var splits = new HashSet<string>();
        for (var seed = 0; seed < 4; seed++)
        {
            var (train, validation) = data.Split(0.5, seed);
            using (train)
            using (validation)
            {
                splits.Add(string.Join(",", Ids(train)));
            }
        }
        Assert.True(splits.Count > 1, "four seeds gave the same split");
        foreach (var bad in new[] { 0.0, 1.0, -0.5, 1.5, double.NaN })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(bad, seed: 1));
        }
    }

    [Fact]
    public void WithTargets_shares_the_tensors_keeps_only_the_named_targets_and_leaves_the_original_intact()
    {
        using var data = Numbered(4);
        var view = data.WithTargets("b");
        Assert.Equal(new[] { "b" }, view.Targets.Keys);
        Assert.Equal(new[] { "id" }, view.Inputs.Keys);
        Assert.Equal(4, view.Count);
        Assert.Same(data.Tasks, view.Tasks);

        // shared: a change through the original shows in the view
        using (no_grad()) data.Targets["b"][0].fill_(2L);
        Assert.Equal([2L, 1, 2, 0], view.Targets["b"].data<long>());
        using (no_grad()) view.Inputs["id"][3].fill_(9.0);
        Assert.Equal([0f, 1, 2, 9], data.Inputs["id"].data<float>());

        // disposing the view frees only its own handles
        view.Dispose();
        Assert.Equal([0f, 1, 2, 9], data.Inputs["id"].data<float>());
        Assert.Equal([0f, 10, 20, 30], data.Targets["a"].data<float>());
        Assert.Equal([2L, 1, 2, 0], data.Targets["b"].data<long>());

        using var both = data.WithTargets("a", "b");
        Assert.Equal(new[] { "a", "b" }, both.Targets.Keys.Order());
        var error = Assert.Throws<ArgumentException>(() => data.WithTargets("c"));
        Assert.Contains("the dataset holds no targets for 'c' (it has: a, b)", error.Message);
    }

    // ---- RequireInput ---------------------------------------------------------------------------

    [Fact]
    public void RequireInput_names_the_input_what_was_expected_and_what_was_found()
    {
        using var scope = NewDisposeScope();
        var inputs = new Dictionary<string, Tensor> { ["x"] = zeros([4, 3]), ["ids"] = zeros([4], dtype: ScalarType.Int64) };
        DataValidation.RequireInput(inputs, "x", ScalarType.Float32, [3]);
        DataValidation.RequireInput(inputs, "ids", ScalarType.Int64, []);

        Assert.Equal("input 'z' is missing (the data has 'x', 'ids')", Assert.Throws<InvalidDataException>(() => DataValidation.RequireInput(inputs, "z", ScalarType.Float32, [3])).Message);
        Assert.Equal("input 'z' is missing (the data has no inputs)", Assert.Throws<InvalidDataException>(() => DataValidation.RequireInput(new Dictionary<string, Tensor>(), "z", ScalarType.Float32, [3])).Message);
        Assert.Equal("input 'x' must be torch.float64 [N, 3], not torch.float32 [4, 3]", Assert.Throws<InvalidDataException>(() => DataValidation.RequireInput(inputs, "x", ScalarType.Float64, [3])).Message);
        Assert.Equal("input 'x' must be torch.float32 [N, 4], not torch.float32 [4, 3]", Assert.Throws<InvalidDataException>(() => DataValidation.RequireInput(inputs, "x", ScalarType.Float32, [4])).Message);
        Assert.Equal("input 'x' must be torch.float32 [N, 3, 1], not torch.float32 [4, 3]", Assert.Throws<InvalidDataException>(() => DataValidation.RequireInput(inputs, "x", ScalarType.Float32, [3, 1])).Message);
        Assert.Equal("input 'ids' must be torch.int64 [N, 1], not torch.int64 [4]", Assert.Throws<InvalidDataException>(() => DataValidation.RequireInput(inputs, "ids", ScalarType.Int64, [1])).Message);
        Assert.Equal("input 'x' must be torch.float32 [N], not torch.float32 [4, 3]", Assert.Throws<InvalidDataException>(() => DataValidation.RequireInput(inputs, "x", ScalarType.Float32, [])).Message);
    }
}
