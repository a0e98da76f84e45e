using Mtl.Data;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

[Collection(GlobalGeneratorCollection.Name)]
public sealed class TaskSamplerTests
{
    [Fact]
    public void Round_robin_takes_turns_and_sees_every_dataset_once()
    {
        var sampler = new TaskSampler(SamplingKind.RoundRobin, [100, 30, 10]);
        var schedule = sampler.Schedule([4, 2, 1], new SeededRandom(1));
        Assert.Equal(new[] { 0, 1, 2, 0, 1, 0, 0 }, schedule);
        Assert.Equal(new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 }, sampler.Probabilities);
    }

    [Fact]
    public void Proportional_and_temperature_sampling_follow_their_probabilities()
    {
        var proportional = new TaskSampler(SamplingKind.Proportional, [300, 100]);
        Assert.Equal(0.75, proportional.Probabilities[0], 12);
        var hot = new TaskSampler(SamplingKind.Temperature, [400, 100], temperature: 2);
        // p ∝ N^(1/T): 20 and 10
        Assert.Equal(2.0 / 3, hot.Probabilities[0], 12);
        var schedule = proportional.Schedule([3000, 1000], new SeededRandom(7));
        Assert.Equal(4000, schedule.Count);
        var share = schedule.Count(t => t == 0) / 4000.0;
        Assert.InRange(share, 0.73, 0.77);
        Assert.Equal(schedule, proportional.Schedule([3000, 1000], new SeededRandom(7)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TaskSampler(SamplingKind.Temperature, [1, 2], temperature: 0));
    }

    [Fact]
    public void Only_the_sampled_tasks_loss_flows_for_its_batch()
    {
        manual_seed(3);
        using var all = TwoTaskData.Make(64, seed: 1);
        using var valueOnly = new MultiTaskDataset(all.Inputs.ToDictionary(p => p.Key, p => p.Value.clone()), new Dictionary<string, Tensor> { ["value"] = all.Targets["value"].clone() }, TwoTaskData.Tasks);
        using var train = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["value"] = valueOnly });
        using var model = new TwoTaskModel();
        var kindBefore = model.KindHead.parameters().SelectMany(p => p.data<float>()).ToArray();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 16 });
        var history = trainer.Fit(train);
        Assert.Equal(8, trainer.Step);
        Assert.Equal(kindBefore, model.KindHead.parameters().SelectMany(p => p.data<float>()).ToArray());
        Assert.False(history[0].TaskLosses.ContainsKey("kind"), "a task without data has no training loss: absent, not NaN");
        Assert.False(double.IsNaN(history[0].TaskLosses["value"]));
    }

    [Fact]
    public void Separate_datasets_train_both_tasks()
    {
        manual_seed(5);
        using var a = TwoTaskData.Make(1024, seed: 1);
        using var b = TwoTaskData.Make(512, seed: 2);
        using var train = new TaskDatasets(new Dictionary<string, MultiTaskDataset>
        {
            ["value"] = Only(a, "value"),
            ["kind"] = Only(b, "kind"),
        }, SamplingKind.Proportional);
        using var validation = new TaskDatasets(new Dictionary<string, MultiTaskDataset>
        {
            ["value"] = TwoTaskData.Make(256, seed: 3),
            ["kind"] = TwoTaskData.Make(256, seed: 4),
        });
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 12, BatchSize = 32 });
        var history = trainer.Fit(train, validation);
        Assert.Equal(12 * (1024 / 32 + 512 / 32), trainer.Step);
        Assert.True(history[^1].Validation["kind.accuracy"] > 0.85, $"kind.accuracy {history[^1].Validation["kind.accuracy"]}");
        Assert.True(history[^1].Validation["value.r2"] > 0.9, $"value.r2 {history[^1].Validation["value.r2"]}");

        static MultiTaskDataset Only(MultiTaskDataset data, string task) =>
            new(data.Inputs.ToDictionary(p => p.Key, p => p.Value.clone()), new Dictionary<string, Tensor> { [task] = data.Targets[task].clone() }, TwoTaskData.Tasks);
    }
}
