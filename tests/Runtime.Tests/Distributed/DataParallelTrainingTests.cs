using Mtl.Data;
using Mtl.Runtime.Tests.Training;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;
using static Mtl.Torch.torch.distributed;

namespace Mtl.Runtime.Tests.Distributed;

/// <summary>
/// <see cref="TrainerOptions.Parallel"/>: two ranks with batch B each train as one process with
/// batch 2B — the same weights and the same logged losses — and only rank 0 writes files.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class DataParallelTrainingTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-ddp-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static float[] Weights(nn.Module model) => model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();

    private sealed record Run(float[] Weights, IReadOnlyList<EpochRecord> History);

    private static TaskWeighting Weighting(string name) => TaskWeighting.Create(name, TwoTaskData.Tasks.Select(t => t.Weight).ToList());

    private static Run Train(TwoTaskModel model, MultiTaskDataset data, TrainerOptions options)
    {
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, options);
        var history = trainer.Fit(data, data);
        return new Run(Weights(model), history);
    }

    private Run[] TwoRanks(MultiTaskDataset data, Func<TrainerOptions> options)
    {
        // Each rank starts from other weights: the broadcast makes them rank 0's.
        manual_seed(1);
        var models = new[] { new TwoTaskModel(), new TwoTaskModel() };
        var results = Ranks.Run(Path.Combine(_folder, $"store-{Guid.NewGuid():N}"), 2, Timeout,
            group => Train(models[group.rank], data, options() with { Parallel = group, LogPath = Path.Combine(_folder, $"rank{group.rank}.jsonl") }));
        foreach (var model in models) model.Dispose();
        return results;
    }

    /// <summary>
    /// Two ranks with batch b against one process with batch 2b, from one start: the ranks agree
    /// bit for bit, and with the single process to float rounding in weights, steps, losses, task
    /// weights and validation metrics; only rank 0 writes its log.
    /// </summary>
    private void TwoRanksTrainAsOneProcess(Func<TaskWeighting> weighting)
    {
        using var data = TwoTaskData.Make(96, seed: 3);
        var settings = new TrainerOptions { Epochs = 3, BatchSize = 16, Seed = 5 };
        var ranks = TwoRanks(data, () => settings with { Weighting = weighting() });

        manual_seed(1);
        using var model = new TwoTaskModel();
        var single = Train(model, data, settings with { BatchSize = 32, Weighting = weighting() });

        // The ranks agree bit for bit, and with the single process to float rounding.
        Assert.Equal(ranks[0].Weights, ranks[1].Weights);
        for (var i = 0; i < single.Weights.Length; i++) Assert.Equal(single.Weights[i], ranks[0].Weights[i], 2e-5f);
        Assert.NotEqual(single.Weights, Weights(NewModel()));
        for (var epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal(single.History[epoch].Step, ranks[0].History[epoch].Step);
            Assert.Equal(single.History[epoch].TrainLoss, ranks[0].History[epoch].TrainLoss, 1e-5);
            Assert.Equal(ranks[0].History[epoch].TrainLoss, ranks[1].History[epoch].TrainLoss);
            foreach (var (task, loss) in single.History[epoch].TaskLosses) Assert.Equal(loss, ranks[0].History[epoch].TaskLosses[task], 1e-5);
            foreach (var (task, w) in single.History[epoch].Weights) Assert.Equal(w, ranks[0].History[epoch].Weights[task], 1e-5);
            // Validation: each rank evaluates half the set, and both get the whole set's metrics (early stopping reads the same values).
            Assert.Equal(ranks[0].History[epoch].Validation, ranks[1].History[epoch].Validation);
            Assert.Equal(single.History[epoch].Validation.Keys.Order(), ranks[0].History[epoch].Validation.Keys.Order());
            foreach (var (key, value) in single.History[epoch].Validation) Assert.Equal(value, ranks[0].History[epoch].Validation[key], 1e-4);
        }
        // Only rank 0 writes its log.
        Assert.Equal(3, File.ReadLines(Path.Combine(_folder, "rank0.jsonl")).Count());
        Assert.False(File.Exists(Path.Combine(_folder, "rank1.jsonl")));
    }

    [Theory]
    [InlineData("fixed")]
    [InlineData("uncertainty")]
    [InlineData("dwa")]
    [InlineData("gradnorm")]
    [InlineData("famo")]
    [InlineData("pcgrad")]
    [InlineData("mgda")]
    [InlineData("cagrad")]
    [InlineData("imtl")]
    [InlineData("graddrop")]
    [InlineData("gradvac")]
    [InlineData("aligned_mtl")]
    [InlineData("nash_mtl")]
    public void Two_ranks_with_batch_b_train_as_one_process_with_batch_2b(string weighting)
    {
        TwoRanksTrainAsOneProcess(() => Weighting(weighting));
    }

    /// <summary>
    /// Task gradients at the shared representation: the ranks sum their Gram matrices (the union
    /// batch's inner products are sums over its rows), so they find one process's weights.
    /// </summary>
    [Theory]
    [InlineData("mgda", "none")]
    [InlineData("mgda", "loss")]
    [InlineData("mgda", "l2")]
    [InlineData("imtl", null)]
    [InlineData("aligned_mtl", null)]
    public void With_gradients_at_the_representation_two_ranks_with_batch_b_train_as_one_process_with_batch_2b(string method, string? normalization)
    {
        TaskWeighting Make()
        {
            var options = new Dictionary<string, object> { ["gradients"] = "representation" };
            if (normalization is not null) options["normalization"] = normalization;
            return TaskWeighting.Create(method, TwoTaskData.Tasks.Select(t => t.Weight).ToList(), options);
        }
        TwoRanksTrainAsOneProcess(Make);
    }

    /// <summary>
    /// Nash-MTL solving α every second step: the steps in between reuse it over the ranks, each
    /// rank backpropagating Σ αᵢLᵢ of its own shard (the gradient averaging makes it the union's).
    /// </summary>
    [Fact]
    public void Nash_mtl_reusing_its_weights_every_other_step_trains_over_two_ranks_as_one_process()
    {
        TaskWeighting Make() => TaskWeighting.Create("nash_mtl", TwoTaskData.Tasks.Select(t => t.Weight).ToList(), new Dictionary<string, object> { ["update_every"] = 2 });
        TwoRanksTrainAsOneProcess(Make);
    }

    [Theory]
    [InlineData("pcgrad")]
    [InlineData("mgda")]
    [InlineData("gradnorm")]
    [InlineData("famo")]
    [InlineData("mgda", "representation")]
    [InlineData("imtl", "representation")]
    public void With_missing_labels_a_task_labelled_on_one_rank_only_keeps_the_ranks_equal(string weighting, string gradients = "parameters")
    {
        // Batches of 2 per rank with most labels missing: many steps have a task on one rank only.
        using var data = TwoTaskData.Make(48, seed: 4, missingValue: 0.5, missingKind: 0.6);
        TaskWeighting Make() => gradients == "parameters"
            ? Weighting(weighting)
            : TaskWeighting.Create(weighting, TwoTaskData.Tasks.Select(t => t.Weight).ToList(), new Dictionary<string, object> { ["gradients"] = gradients });
        var ranks = TwoRanks(data, () => new TrainerOptions { Epochs = 2, BatchSize = 2, Seed = 5, Weighting = Make() });
        Assert.Equal(ranks[0].Weights, ranks[1].Weights);
        Assert.All(ranks[0].Weights, w => Assert.True(float.IsFinite(w)));
        Assert.Equal(ranks[0].History.Select(r => r.TrainLoss), ranks[1].History.Select(r => r.TrainLoss));
    }

    [Fact]
    public void A_two_rank_run_resumed_from_rank_0s_checkpoint_equals_the_uninterrupted_run()
    {
        using var data = TwoTaskData.Make(96, seed: 3);
        var settings = new TrainerOptions { Epochs = 4, BatchSize = 16, Seed = 5 };
        var whole = TwoRanks(data, () => settings with { Weighting = Weighting("pcgrad") });

        // Two epochs, a checkpoint from rank 0; then fresh ranks load it and run the other two.
        var checkpoint = Path.Combine(_folder, "two-epochs.ckpt");
        TwoRanks(data, () => settings with { Epochs = 2, Weighting = Weighting("pcgrad"), CheckpointPath = checkpoint });
        Assert.True(File.Exists(checkpoint));
        manual_seed(9);
        var models = new[] { new TwoTaskModel(), new TwoTaskModel() };
        var resumed = Ranks.Run(Path.Combine(_folder, "resume-store"), 2, Timeout, group =>
        {
            using var optimizer = optim.Adam(models[group.rank].parameters(), lr: 1e-2);
            using var trainer = new Trainer(models[group.rank], TwoTaskData.Tasks, optimizer, settings with { Weighting = Weighting("pcgrad"), Parallel = group });
            Checkpoint.Load(checkpoint, trainer);
            var history = trainer.Fit(data, data);
            return new Run(Weights(models[group.rank]), history);
        });
        foreach (var model in models) model.Dispose();

        Assert.Equal(whole[0].Weights, resumed[0].Weights);
        Assert.Equal(whole[1].Weights, resumed[1].Weights);
        Assert.Equal(whole[0].History.Select(r => r.TrainLoss), resumed[0].History.Select(r => r.TrainLoss));
    }

    private static TwoTaskModel NewModel()
    {
        manual_seed(1);
        return new TwoTaskModel();
    }

    [Fact]
    public void What_is_not_sharded_yet_is_refused_with_the_reason()
    {
        using var store = new FileStore(Path.Combine(_folder, "store"), 1, Timeout);
        using var group = new ProcessGroupGloo(store, 0, 1, Timeout, host: "127.0.0.1");
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var error = Assert.Throws<NotSupportedException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Parallel = group, Weighting = new OwnWeighting() }));
        Assert.Contains("not 'own'", error.Message);
        var representation = TaskWeighting.Create("graddrop", [1, 1], new Dictionary<string, object> { ["gradients"] = "representation" });
        var refused = Assert.Throws<NotSupportedException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Parallel = group, Weighting = representation })).Message;
        Assert.Contains("'graddrop' with gradients: representation cannot run data-parallel", refused);
        Assert.Contains("(mgda, imtl, aligned_mtl)", refused);
    }

    [Fact]
    public void Early_stopping_reads_the_same_sharded_validation_on_every_rank_and_stops_them_together()
    {
        using var data = TwoTaskData.Make(96, seed: 3);
        using var validation = TwoTaskData.Make(50, seed: 8);
        var settings = new TrainerOptions { Epochs = 40, BatchSize = 16, Seed = 5, EarlyStop = new EarlyStopping("value.mae", Patience: 2, MinDelta: 0.02), RestoreBest = true };
        manual_seed(1);
        var models = new[] { new TwoTaskModel(), new TwoTaskModel() };
        var ranks = Ranks.Run(Path.Combine(_folder, "stop-store"), 2, Timeout, group =>
        {
            using var optimizer = optim.Adam(models[group.rank].parameters(), lr: 1e-2);
            using var trainer = new Trainer(models[group.rank], TwoTaskData.Tasks, optimizer, settings with { Parallel = group });
            var history = trainer.Fit(data, validation);
            return new Run(Weights(models[group.rank]), history);
        });
        foreach (var m in models) m.Dispose();
        manual_seed(1);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, settings with { BatchSize = 32 });
        var single = trainer.Fit(data, validation);

        // Stopped early, at the epoch one process stops at, on both ranks, with the best epoch's weights restored alike.
        Assert.InRange(single.Count, 3, 39);
        Assert.Equal(single.Count, ranks[0].History.Count);
        Assert.Equal(single.Count, ranks[1].History.Count);
        Assert.Equal(ranks[0].History.Select(r => r.Validation["value.mae"]), ranks[1].History.Select(r => r.Validation["value.mae"]));
        Assert.Equal(ranks[0].Weights, ranks[1].Weights);
        Assert.Equal(single.Select(r => r.Best), ranks[0].History.Select(r => r.Best));
    }

    /// <summary>A dataset per task: each task's batches are sharded as one dataset's, and the seeded sampler picks the same task on every rank.</summary>
    [Theory]
    [InlineData("fixed")]
    [InlineData("pcgrad")]
    public void With_a_dataset_per_task_two_ranks_with_batch_b_train_as_one_process_with_batch_2b(string weighting)
    {
        using var values = TwoTaskData.Make(96, seed: 3);
        using var kinds = TwoTaskData.Make(70, seed: 4);
        using var validation = TwoTaskData.Make(40, seed: 5);
        TaskDatasets Sets(MultiTaskDataset value, MultiTaskDataset kind) =>
            new(new Dictionary<string, MultiTaskDataset> { ["value"] = value, ["kind"] = kind }, Mtl.SamplingKind.Proportional, 1.0);
        Run Fit(TwoTaskModel model, TrainerOptions options)
        {
            using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
            using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, options);
            var history = trainer.Fit(Sets(values, kinds), Sets(validation, validation));
            return new Run(Weights(model), history);
        }
        var settings = new TrainerOptions { Epochs = 3, BatchSize = 8, Seed = 5 };
        manual_seed(1);
        var models = new[] { new TwoTaskModel(), new TwoTaskModel() };
        var ranks = Ranks.Run(Path.Combine(_folder, "per-task-store"), 2, Timeout,
            group => Fit(models[group.rank], settings with { Weighting = Weighting(weighting), Parallel = group }));
        foreach (var m in models) m.Dispose();
        manual_seed(1);
        using var model = new TwoTaskModel();
        var single = Fit(model, settings with { BatchSize = 16, Weighting = Weighting(weighting) });

        Assert.Equal(ranks[0].Weights, ranks[1].Weights);
        for (var i = 0; i < single.Weights.Length; i++) Assert.Equal(single.Weights[i], ranks[0].Weights[i], 2e-5f);
        Assert.NotEqual(single.Weights, Weights(NewModel()));
        for (var epoch = 0; epoch < 3; epoch++)
        {
            // ⌈96 / 16⌉ + ⌈70 / 16⌉ = 11 steps an epoch, on every rank.
            Assert.Equal(11L * (epoch + 1), ranks[0].History[epoch].Step);
            Assert.Equal(single.History[epoch].Step, ranks[0].History[epoch].Step);
            Assert.Equal(single.History[epoch].TrainLoss, ranks[0].History[epoch].TrainLoss, 1e-5);
            foreach (var (task, loss) in single.History[epoch].TaskLosses) Assert.Equal(loss, ranks[0].History[epoch].TaskLosses[task], 1e-5);
            Assert.Equal(ranks[0].History[epoch].Validation, ranks[1].History[epoch].Validation);
            foreach (var (key, value) in single.History[epoch].Validation) Assert.Equal(value, ranks[0].History[epoch].Validation[key], 1e-4);
        }
    }

    [Fact]
    public void Each_rank_takes_its_equal_part_of_every_batch_one_process_would_take()
    {
        using var data = TwoTaskData.Make(10, seed: 1);
        // Each row by its first input value (the rows' values differ).
        float[] Rows(IEnumerable<MultiTaskBatch> batches) => batches.SelectMany(b => b.Inputs["x"].narrow(1, 0, 1).flatten().data<float>().ToArray()).ToArray();
        using var scope = NewDisposeScope();
        var whole = data.Batches(8, shuffle: true, seed: 4).ToList();
        var rank0 = data.Batches(4, shuffle: true, seed: 4, rank: 0, world: 2).ToList();
        var rank1 = data.Batches(4, shuffle: true, seed: 4, rank: 1, world: 2).ToList();
        Assert.Equal([4L, 1L], rank0.Select(b => b.Size));
        Assert.Equal([4L, 1L], rank1.Select(b => b.Size));
        var expected = Rows(whole);
        Assert.Equal(expected[..4].Concat(expected[8..9]), Rows(rank0));
        Assert.Equal(expected[4..8].Concat(expected[9..]), Rows(rank1));
    }

    /// <summary>A weighting method outside the catalog: data-parallel training cannot know what it reads.</summary>
    private sealed class OwnWeighting() : LossWeighting("own", [1.0, 1.0])
    {
        protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context) =>
            (losses.Aggregate((a, b) => a + b), tasks.Select(_ => 1.0).ToArray());
    }
}
