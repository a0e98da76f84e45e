using Mtl.Catalog;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Runtime.Tests.Training;
using Mtl.Training;
using Mtl.Training.Metrics;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Distributed;

/// <summary>
/// Data-parallel validation: each rank evaluates its part of the validation set, and the loss sums
/// and every metric's state are gathered, so every rank gets the metrics one process gets from the
/// whole set — for every metric of every task kind, dense ones included.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class ShardedValidationTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-sharded-validation-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Every metric of the catalog, each on a task of a kind it fits.</summary>
    private static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("reg", TaskKind.Regression, 2) { Metrics = ["mae", "rmse", "r2", "mse"] },
        new TaskSpec("bin", TaskKind.Binary) { Metrics = ["accuracy", "auc", "macro_f1"] },
        new TaskSpec("cls", TaskKind.Classes, 3) { Metrics = ["accuracy", "macro_f1"] },
        new TaskSpec("ml", TaskKind.Multilabel, 3) { Metrics = ["accuracy", "macro_f1", "auc"] },
        new TaskSpec("seg", TaskKind.PixelClasses, 3) { Metrics = ["miou", "accuracy", "macro_f1"] },
        new TaskSpec("depth", TaskKind.PixelRegression, 1) { Metrics = ["abs_err", "rel_err"] },
        new TaskSpec("normal", TaskKind.PixelRegression, 3) { Metrics = ["mean_angle"] },
        new TaskSpec("ner", TaskKind.TokenClasses, 5) { Metrics = ["accuracy", "entity_f1", "macro_f1"] },
    ];

    /// <summary>Random outputs (as inputs of the echo) and targets, some labels missing.</summary>
    private static MultiTaskDataset Data(long n)
    {
        manual_seed(7);
        Tensor Missing(Tensor target, double share) => target.masked_fill(rand(target.shape).lt(share), float.NaN);
        Tensor MissingClass(Tensor target, double share) => target.masked_fill(rand(target.shape).lt(share), -1);
        var inputs = new Dictionary<string, Tensor>
        {
            ["reg"] = randn([n, 2]),
            ["bin"] = randn([n, 1]),
            ["cls"] = randn([n, 3]),
            ["ml"] = randn([n, 3]),
            ["seg"] = randn([n, 3, 2, 2]),
            ["depth"] = randn([n, 1, 2, 2]),
            ["normal"] = randn([n, 3, 2, 2]),
            ["ner"] = randn([n, 4, 5]),
        };
        var targets = new Dictionary<string, Tensor>
        {
            ["reg"] = Missing(randn([n, 2]), 0.1),
            ["bin"] = Missing(randint(0, 2, [n, 1]).to(float32), 0.1),
            ["cls"] = MissingClass(randint(0, 3, [n]), 0.1),
            ["ml"] = Missing(randint(0, 2, [n, 3]).to(float32), 0.1),
            ["seg"] = MissingClass(randint(0, 3, [n, 2, 2]), 0.1),
            ["depth"] = Missing(rand([n, 1, 2, 2]).add(0.5), 0.1),
            ["normal"] = randn([n, 3, 2, 2]),
            ["ner"] = MissingClass(randint(0, 5, [n, 4]), 0.1),
        };
        return new MultiTaskDataset(inputs, targets, Tasks);
    }

    [Fact]
    public void Two_ranks_each_evaluate_half_and_both_get_the_metrics_of_the_whole_set()
    {
        // 601 rows: the evaluator's batches of 2 × 256 and one of 89, split 44 / 45.
        using var data = Data(601);
        using var losses = new TaskLosses(Tasks);
        using var single = new EchoModel();
        var expected = new Evaluator(single, Tasks, losses, 32).Evaluate(data);
        Assert.Equal(601, single.Rows);
        // Every metric of the catalog is evaluated, and each has a value.
        Assert.Equal(MetricCatalog.All.Order(), Tasks.SelectMany(t => t.Metrics).Distinct().Order());
        Assert.All(expected, p => Assert.True(double.IsFinite(p.Value), p.Key));

        var models = new[] { new EchoModel(), new EchoModel() };
        var ranks = Ranks.Run(Path.Combine(_folder, "store"), 2, Timeout,
            group => new Evaluator(models[group.rank], Tasks, losses, 32).Evaluate(data, group));

        Assert.Equal([300L, 301L], models.Select(m => m.Rows));
        Assert.Equal(ranks[0], ranks[1]);
        Assert.Equal(expected.Keys.Order(), ranks[0].Keys.Order());
        // The metrics are sums in double precision; a loss is each batch's float mean, so other batches round it otherwise.
        foreach (var (key, value) in expected)
        {
            var tolerance = key == "loss" || key.EndsWith(".loss", StringComparison.Ordinal) ? 1e-6 : 1e-12;
            Assert.True(Math.Abs(value - ranks[0][key]) <= tolerance * Math.Max(1, Math.Abs(value)), $"{key}: {value} in one process, {ranks[0][key]} over two ranks");
        }
    }

    [Fact]
    public void A_rank_whose_part_is_empty_still_gets_the_metrics_of_the_whole_set()
    {
        using var data = Data(1);
        using var losses = new TaskLosses(Tasks);
        using var single = new EchoModel();
        var expected = new Evaluator(single, Tasks, losses, 32).Evaluate(data);
        var models = new[] { new EchoModel(), new EchoModel() };
        var ranks = Ranks.Run(Path.Combine(_folder, "store-one"), 2, Timeout,
            group => new Evaluator(models[group.rank], Tasks, losses, 32).Evaluate(data, group));
        Assert.Equal(ranks[0], ranks[1]);
        foreach (var (key, value) in expected) Assert.Equal(value, ranks[0][key], 12);
    }

    [Theory]
    [InlineData("accuracy", TaskKind.Classes, 3)]
    [InlineData("macro_f1", TaskKind.Classes, 3)]
    [InlineData("auc", TaskKind.Multilabel, 3)]
    [InlineData("r2", TaskKind.Regression, 2)]
    [InlineData("miou", TaskKind.PixelClasses, 3)]
    [InlineData("rel_err", TaskKind.PixelRegression, 1)]
    [InlineData("mean_angle", TaskKind.PixelRegression, 3)]
    [InlineData("entity_f1", TaskKind.TokenClasses, 5)]
    public void A_state_merged_into_a_fresh_metric_computes_what_the_metric_that_saw_everything_computes(string name, TaskKind kind, int size)
    {
        using var scope = NewDisposeScope();
        using var data = Data(50);
        var task = Tasks.First(t => t.Kind == kind && t.Size == size).Name;
        var (outputs, targets) = (data.Inputs[task], data.Targets[task]);
        var whole = Metric.Create(name, kind, size);
        whole.Update(outputs, targets);
        var (first, second) = (Metric.Create(name, kind, size), Metric.Create(name, kind, size));
        first.Update(outputs.narrow(0, 0, 20), targets.narrow(0, 0, 20));
        second.Update(outputs.narrow(0, 20, 30), targets.narrow(0, 20, 30));
        var merged = Metric.Create(name, kind, size);
        merged.Merge(first.State());
        merged.Merge(second.State());
        Assert.Equal(whole.Compute(), merged.Compute(), 12);
        // Neither half alone gives the whole's value: the merge carries both.
        Assert.NotEqual(whole.Compute(), first.Compute(), 12);
    }
}
