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

    /// <summary>
    /// Trains <paramref name="model"/> for its scripted epochs, validating on the scripted data and
    /// stopping early on <paramref name="monitor"/>; returns the epochs run and what the trainer reported.
    /// </summary>
    private static (int Epochs, string Progress) RunScripted(ScriptedValidationModel model, string monitor, int patience, double minDelta, double[] script)
    {
        using var data = ScriptedValidationModel.Data();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var progress = new StringWriter();
        using var trainer = new Trainer(model, ScriptedValidationModel.Tasks, optimizer, new TrainerOptions
        {
            Epochs = model.Epochs,
            BatchSize = ScriptedValidationModel.Rows,
            EarlyStop = new EarlyStopping(monitor, patience, MinDelta: minDelta),
            Progress = progress,
        });
        var history = trainer.Fit(data, data);
        // The monitor took exactly the scripted values, so every comparison below is exact.
        Assert.Equal(script.Take(history.Count), history.Select(r => r.Validation[monitor]));
        return (history.Count, progress.ToString());
    }

    private static (int Epochs, string Progress) RunMae(int patience, double minDelta, params double[] script) =>
        RunScripted(ScriptedValidationModel.Mae(script), "value.mae", patience, minDelta, script);

    private static (int Epochs, string Progress) RunAccuracy(int patience, double minDelta, params int[] correct) =>
        RunScripted(ScriptedValidationModel.Correct(correct), "kind.accuracy", patience, minDelta, correct.Select(c => c / (double)ScriptedValidationModel.Rows).ToArray());

    [Fact]
    public void A_minimised_monitor_stops_at_the_exact_epoch_a_rise_or_a_tie_is_no_improvement()
    {
        // Best 0.5 (1), 0.25 (2); 0.25 ties (3: stale 1); best 0.125 (4); 0.5 rises (5: stale 1);
        // 0.125 ties (6: stale 2 = patience): stop after epoch 6. Treating a rise as a gain stops
        // after 3, a tie as a gain or a late patience check runs on through the falling tail.
        var (epochs, progress) = RunMae(2, 0, 0.5, 0.25, 0.25, 0.125, 0.5, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625, 0.001953125);
        Assert.Equal(6, epochs);
        Assert.Contains("early stop after epoch 6: value.mae has not improved for 2 epochs (best 0.125)", progress);
    }

    [Fact]
    public void A_minimised_monitor_with_min_delta_needs_a_fall_of_more_than_min_delta()
    {
        // MinDelta 0.125. Best 1 (1); 0.875 is not below 1 − 0.125 (2: stale 1); best 0.75 (3);
        // best 0.5 (4: below 0.625); 0.375 is not below 0.5 − 0.125 (5, 6: stale 2): stop after 6.
        // Without MinDelta, or with it added instead of subtracted, epochs 2, 5 and 6 are gains.
        var (epochs, progress) = RunMae(2, 0.125, 1, 0.875, 0.75, 0.5, 0.375, 0.375, 0.25, 0.125, 0);
        Assert.Equal(6, epochs);
        Assert.Contains("early stop after epoch 6: value.mae has not improved for 2 epochs (best 0.5)", progress);
    }

    [Fact]
    public void A_maximised_monitor_stops_at_the_exact_epoch_a_tie_is_no_improvement()
    {
        // Accuracy in eighths: best 2 (1), 4 (2); 4 ties (3: stale 1); best 5 (4); 3 falls (5: stale 1);
        // 5 ties (6: stale 2): stop after 6. With ">=" the ties are gains and the rising tail runs on.
        var (epochs, progress) = RunAccuracy(2, 0, 2, 4, 4, 5, 3, 5, 6, 7, 8, 8, 8, 8);
        Assert.Equal(6, epochs);
        Assert.Contains("early stop after epoch 6: kind.accuracy has not improved for 2 epochs (best 0.625)", progress);
    }

    [Fact]
    public void A_maximised_monitor_with_min_delta_needs_a_rise_of_more_than_min_delta()
    {
        // MinDelta 1/8, accuracy in eighths: best 2 (1); 3 is not above 2 + 1 (2: stale 1); best 4 (3);
        // best 6 (4); 7 is not above 6 + 1 (5, 6: stale 2): stop after 6, best 6/8.
        var (epochs, progress) = RunAccuracy(2, 0.125, 2, 3, 4, 6, 7, 7, 8, 8, 8);
        Assert.Equal(6, epochs);
        Assert.Contains("early stop after epoch 6: kind.accuracy has not improved for 2 epochs (best 0.75)", progress);
    }

    [Fact]
    public void Patience_one_stops_right_after_the_first_epoch_without_a_gain_and_steady_gains_never_stop()
    {
        Assert.Equal(3, RunMae(1, 0, 0.5, 0.25, 0.25, 0.125, 0.0625).Epochs);
        Assert.Equal(3, RunAccuracy(1, 0, 1, 2, 1, 3, 4).Epochs);
        var (epochs, progress) = RunAccuracy(1, 0, 1, 2, 3, 4, 5);
        Assert.Equal(5, epochs);
        Assert.DoesNotContain("early stop", progress);
    }

    [Fact]
    public void Without_restore_best_no_copy_is_kept_and_the_model_ends_with_the_last_epochs_weights()
    {
        var (_, model, checkpoint) = Run(restoreBest: false);
        Assert.DoesNotContain(checkpoint.Keys, k => k.StartsWith("best.", StringComparison.Ordinal));
        foreach (var (key, values) in model) Assert.Equal(checkpoint["model." + key], values);
    }
}
