using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>Early stopping through the trainer: when it stops, and which weights the model ends with.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class EarlyStoppingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-early-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Trains on learnable data, validated on noise classes so that accuracy wanders; returns the history and the last checkpoint's tensors.</summary>
    private (IReadOnlyList<EpochRecord> history, Dictionary<string, float[]> model, Dictionary<string, float[]> checkpoint) Run(bool restoreBest, int patience = 2)
    {
        var path = Path.Combine(_folder, $"run-{restoreBest}-{patience}.ckpt");
        manual_seed(8);
        using var data = TwoTaskData.Make(128, seed: 4);
        using var validation = TwoTaskData.Make(64, seed: 5, randomKinds: true);
        using var model = new TwoTaskModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
        {
            Epochs = 40,
            BatchSize = 16,
            EarlyStop = new EarlyStopping("kind.accuracy", Patience: patience),
            RestoreBest = restoreBest,
            CheckpointPath = path,
        });
        var history = trainer.Fit(data, validation).ToList();
        using var content = load_safetensors(path);
        return (history,
            model.state_dict().ToDictionary(p => p.Key, p => p.Value.data<float>().ToArray()),
            content.tensors.Where(p => p.Value.dtype == ScalarType.Float32).ToDictionary(p => p.Key, p => p.Value.data<float>().ToArray()));
    }

    /// <summary>The epoch of the last strict improvement: the first to reach the maximum.</summary>
    private static int BestEpoch(IReadOnlyList<EpochRecord> history)
    {
        var best = history.Max(r => r.Validation["kind.accuracy"]);
        return history.First(r => r.Validation["kind.accuracy"] == best).Epoch;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Training_stops_exactly_patience_epochs_after_the_best(int patience)
    {
        var (history, _, _) = Run(restoreBest: true, patience);
        Assert.True(history.Count < 40, "the run should stop early");
        Assert.Equal(BestEpoch(history) + patience, history.Count);
    }

    [Fact]
    public void The_model_ends_with_the_best_epochs_weights_bit_for_bit()
    {
        var (history, model, checkpoint) = Run(restoreBest: true);
        Assert.NotEqual(BestEpoch(history), history[^1].Epoch);
        foreach (var (key, values) in model)
        {
            Assert.Equal(checkpoint["best." + key], values);
            // The last checkpoint was written before the restore: it holds the last epoch's weights.
            Assert.NotEqual(checkpoint["model." + key], values);
        }
    }

    [Fact]
    public void Without_restore_best_no_copy_is_kept_and_the_model_ends_with_the_last_epochs_weights()
    {
        var (_, model, checkpoint) = Run(restoreBest: false);
        Assert.DoesNotContain(checkpoint.Keys, k => k.StartsWith("best.", StringComparison.Ordinal));
        foreach (var (key, values) in model) Assert.Equal(checkpoint["model." + key], values);
    }
}
