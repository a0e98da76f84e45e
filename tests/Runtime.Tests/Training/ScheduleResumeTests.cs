using Mtl.Torch;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// A run that stops after a checkpoint and is resumed in a fresh trainer (whose schedule is built
/// only when Fit starts, after the checkpoint was loaded) takes the same steps at the same
/// learning rates as the run that never stopped.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class ScheduleResumeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-schedule-resume-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Chains => new(["warmup -> cosine", "onecycle", "linear -> plateau"]);

    [Theory]
    [MemberData(nameof(Chains))]
    public void A_resumed_run_continues_with_the_rates_and_weights_of_the_uninterrupted_run(string chain)
    {
        var path = Path.Combine(_folder, "run.ckpt");

        var straight = Run(chain, interruptInEpoch: null, checkpoint: null, resume: false);
        Assert.Throws<InvalidOperationException>(() => Run(chain, interruptInEpoch: 2, checkpoint: path, resume: false));
        var resumed = Run(chain, interruptInEpoch: null, checkpoint: null, resume: true, from: path);

        Assert.Equal(straight.Rates, resumed.Rates);
        Assert.Equal(straight.Weights, resumed.Weights);
    }

    private static (double[] Rates, float[] Weights) Run(string chain, int? interruptInEpoch, string? checkpoint, bool resume, string? from = null)
    {
        manual_seed(resume ? 999 : 5);
        using var data = TwoTaskData.Make(64, seed: 3);
        using var validation = TwoTaskData.Make(32, seed: 4);
        using var model = new TwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1, momentum: 0.9);
        SchedulePhase[] phases = chain switch
        {
            "warmup -> cosine" => [new("warmup", new Dictionary<string, object> { ["steps"] = 3L }), new("cosine")],
            "onecycle" => [new("onecycle", new Dictionary<string, object> { ["max_lr"] = 0.05, ["pct_start"] = 0.25 })],
            _ => [new("linear", new Dictionary<string, object> { ["steps"] = 2L }), new("plateau", new Dictionary<string, object> { ["factor"] = 0.5, ["patience"] = 0L })],
        };
        using var weighting = new InterruptingWeighting(TwoTaskData.Tasks.Select(t => t.Weight).ToList(), interruptInEpoch);
        using var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions
        {
            Epochs = 4,
            BatchSize = 16,
            Seed = 11,
            CheckpointPath = checkpoint,
            Schedule = new LearningRateSchedule(phases),
            Weighting = weighting,
        });
        if (resume) Checkpoint.Load(from!, trainer);
        trainer.Fit(data, validation);
        var rates = trainer.History.SelectMany(r => r.LearningRates).Concat(weighting.Rates(optimizer)).ToArray();
        return (rates, model.parameters().SelectMany(p => p.data<float>()).ToArray());
    }

    /// <summary>Fixed weights that fail in one epoch, after the previous epoch's checkpoint was written.</summary>
    private sealed class InterruptingWeighting(IReadOnlyList<double> weights, int? epoch) : TaskWeighting("fixed", weights)
    {
        private readonly FixedWeighting _fixed = new(weights);

        public override double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context)
        {
            if (context.Epoch == epoch) throw new InvalidOperationException($"interrupted in epoch {epoch + 1}");
            return _fixed.Backward(losses, context);
        }

        public IEnumerable<double> Rates(Mtl.Torch.Modules.Optimizer optimizer) => optimizer.param_groups.Select(g => g.lr);

        public override void Dispose()
        {
            _fixed.Dispose();
            base.Dispose();
        }
    }
}
