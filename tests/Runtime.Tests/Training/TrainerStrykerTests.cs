using Mtl.Catalog;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// What the mutants of <see cref="Trainer"/> left alive by the other tests changed: the L2 term
/// under accumulation, the divergence message's largest weight, a weighting's own parameters in
/// alternate mode, and the checks, stages, batch counts and report of the constructor and
/// <c>Fit</c>. On <see cref="ScalarTwoTaskModel"/> (u = b·(a·x), v = c·(a·x), a = b = c = 1),
/// with values worked out by hand.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class TrainerStrykerTests
{
    private static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("u", TaskKind.Regression),
        new TaskSpec("v", TaskKind.Regression) { Weight = 2 },
    ];

    private static MultiTaskDataset Examples(float[] x, float[] u, float[] v) => new(
        new Dictionary<string, Tensor> { ["x"] = tensor(x, [x.Length, 1]) },
        new Dictionary<string, Tensor> { ["u"] = tensor(u, [u.Length, 1]), ["v"] = tensor(v, [v.Length, 1]) },
        Tasks);

    [Fact]
    public void The_L2_term_with_accumulation_adds_its_gradient_once_per_step_and_its_value_to_each_batchs_loss()
    {
        // Two one-example batches accumulated into one step, λ = 0.1, SGD with lr 0.1.
        // x = 1 (u's target 0, v's 1) and x = 2 (u's target 0, v's 2): v's residual is 0 in both,
        // L_u is 1 and 4. Each micro-batch's losses and its penalty λ(a² + b² + c²) = 0.3 are
        // scaled by ½, so the step's gradient is the mean of the two batches' plus the penalty's
        // 2λθ = 0.2 once: ∂L_u/∂a = ∂L_u/∂b = 2u·x·1 = 2 and 8 (mean 5), ∂L_v = 0.
        // a = b = 1 − 0.1·5.2 = 0.48, c = 1 − 0.1·0.2 = 0.98 (the penalty's gradient counted
        // 1/scale² = 4 times over would give c = 0.92). The reported train loss is each batch's
        // unscaled loss plus the whole penalty, averaged: ((1 + 0.3) + (4 + 0.3)) / 2 = 2.8.
        using var train = Examples([1, 2], [0, 0], [1, 2]);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1, Accumulate = 2, L2 = 0.1 });
        var record = trainer.Fit(train).Single();
        Assert.Equal(1, record.Step);
        Assert.Equal(2.8, record.TrainLoss, 6);
        Assert.Equal(2.5, record.TaskLosses["u"], 6);
        Assert.Equal(0.0, record.TaskLosses["v"], 6);
        var (a, b, c) = model.Weights;
        Assert.Equal(0.48, a, 6);
        Assert.Equal(0.48, b, 6);
        Assert.Equal(0.98, c, 6);
    }

    [Fact]
    public void Weights_that_overflow_the_last_batchs_loss_are_named_by_the_largest_of_them()
    {
        // One example x = 1 with targets 0: u = v = 1, L = L_u + 2·L_v = 3, gradients
        // ∂L/∂a = 2u·b + 4v·c = 6, ∂L/∂b = 2u·a = 2, ∂L/∂c = 4v·a = 4 (norm √56, finite). SGD with
        // lr 1e18 moves them to a = −6e18, b = −2e18, c = −4e18 (float32), all finite; the check
        // after the update finds u = b·a = 1.2e37 and L_u = u² = 1.44e74, past float32's largest:
        // inf. The largest weight is |a| = 6E+18 in 'shared.weight' (the smallest, b, is in 'u.weight').
        using var train = Examples([1], [0], [0]);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 1e18);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1 });
        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(train));
        Assert.Equal(
            "the loss of task 'u' on the epoch's last batch became inf after the update of step 1 (epoch 1): the weights diverged "
            + "(the largest is 6E+18 in parameter 'shared.weight'); nothing of this epoch was kept (checkpoint, log and best weights "
            + "are those of the epoch before). Lower the learning rate or clip gradients.",
            error.Message);
        Assert.Equal(1, trainer.Step);
        Assert.Empty(trainer.History);
    }

    [Fact]
    public void In_alternate_mode_a_weightings_own_parameters_are_stepped_once_per_batch_with_the_heads()
    {
        // Uncertainty weighting with fixed weights 1 and 2: J = Σᵢ ½e^{−sᵢ}Lᵢ + ½sᵢ with
        // L₁ = (b·a·x)², L₂ = 2(c·a·x)² (targets 0), s = 0 to start; one example x = 2, SGD lr 0.1.
        // First half-step, at a = b = c = 1: u = v = 2, ∂J/∂a = ½·2u·b·x + ½·2·2v·c·x = 4 + 8 = 12,
        // so a = 1 − 1.2 = −0.2; the heads and s keep their values.
        // Second half-step, at a = −0.2: h = a·x = −0.4, u = v = −0.4, L₁ = 0.16, L₂ = 0.32;
        // ∂J/∂b = u·h = 0.16 → b = 0.984; ∂J/∂c = 2v·h = 0.32 → c = 0.968;
        // ∂J/∂sᵢ = −½Lᵢ + ½ = 0.42 and 0.34 → s = (−0.042, −0.034).
        // Stepped in both half-steps, s would move first by −0.1·(−½·4 + ½) = 0.15 and
        // −0.1·(−½·8 + ½) = 0.35, and end at (0.1069, 0.3113).
        using var train = Examples([2], [0], [0]);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var uncertainty = (UncertaintyWeighting)TaskWeighting.Create("uncertainty", [1.0, 2.0]);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 1, Update = UpdateMode.Alternate, Weighting = uncertainty });
        trainer.Fit(train);
        Assert.Equal(2, trainer.Step);
        var (a, b, c) = model.Weights;
        Assert.Equal(-0.2, a, 6);
        Assert.Equal(0.984, b, 6);
        Assert.Equal(0.968, c, 6);
        var s = uncertainty.LogVariances.data<float>().ToArray();
        Assert.Equal(-0.042, s[0], 6);
        Assert.Equal(-0.034, s[1], 6);
    }

    // ---- the constructor and stages ----------------------------------------------------------

    private static readonly TaskSpec[] Measured =
    [
        new TaskSpec("u", TaskKind.Regression) { Metrics = ["mae"] },
        new TaskSpec("v", TaskKind.Regression) { Weight = 2, Metrics = ["mae"] },
    ];

    private static Func<IReadOnlyList<nn.Module>, Optimizer> Sgd(ScalarTwoTaskModel model, double lr = 0.01) =>
        _ => optim.SGD(model.parameters().Where(p => p.requires_grad), lr: lr);

    [Fact]
    public void Without_a_progress_writer_or_display_nothing_is_written_to_the_console()
    {
        // The collection runs alone, so no other test writes to the console meanwhile.
        var console = Console.Out;
        using var captured = new StringWriter();
        Console.SetOut(captured);
        try
        {
            using var train = TrainerExactTests.Data();
            using var model = new ScalarTwoTaskModel();
            using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
            using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 4 });
            trainer.Fit(train);
        }
        finally
        {
            Console.SetOut(console);
        }
        Assert.Equal("", captured.ToString());
    }

    [Fact]
    public void The_weighting_is_attached_to_the_model_so_its_parameters_follow_the_models_dtype()
    {
        using var model = new ScalarTwoTaskModel();
        model.to(ScalarType.Float64);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var uncertainty = (UncertaintyWeighting)TaskWeighting.Create("uncertainty", [1.0, 2.0]);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, Weighting = uncertainty });
        Assert.Equal(ScalarType.Float64, uncertainty.LogVariances.dtype);
        Assert.Contains(uncertainty.LogVariances, optimizer.param_groups.SelectMany(g => g.parameters), ReferenceEqualityComparer.Instance);
    }

    [Fact]
    public void A_stage_adds_the_weightings_own_parameters_to_its_optimizer()
    {
        using var model = new ScalarTwoTaskModel();
        var uncertainty = (UncertaintyWeighting)TaskWeighting.Create("uncertainty", [1.0, 2.0]);
        using var trainer = new Trainer(model, Tasks, null, new TrainerOptions { Weighting = uncertainty, Stages = [new TrainingStage("a", 1, Sgd(model))] });
        Assert.Contains(uncertainty.LogVariances, trainer.Optimizer.param_groups.SelectMany(g => g.parameters), ReferenceEqualityComparer.Instance);
    }

    [Fact]
    public void Stages_refuse_a_scheduler_or_a_plateau_alone_built_over_one_optimizer()
    {
        const string Expected = "TrainerOptions.Scheduler and Plateau are built over one optimizer, and each stage has its own: give stages a Schedule (Parameter 'options')";
        using var model = new ScalarTwoTaskModel();
        using var other = optim.SGD(model.parameters(), lr: 0.1);
        var stages = new[] { new TrainingStage("a", 1, Sgd(model)) };
        var scheduler = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions { Stages = stages, Scheduler = optim.lr_scheduler.StepLR(other, 3, 0.5) }));
        Assert.Equal(Expected, scheduler.Message);
        var plateau = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions { Stages = stages, Plateau = optim.lr_scheduler.ReduceLROnPlateau(other) }));
        Assert.Equal(Expected, plateau.Message);
    }

    [Fact]
    public void Stage_and_frozen_module_errors_name_the_options_and_the_stage()
    {
        using var model = new ScalarTwoTaskModel();
        using var foreign = nn.Linear(1, 1, hasBias: false);
        var epochs = Assert.Throws<ArgumentOutOfRangeException>(() => new Trainer(model, Tasks, null, new TrainerOptions { Stages = [new TrainingStage("a", 0, Sgd(model))] }));
        Assert.Equal("options", epochs.ParamName);
        var stage = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions { Stages = [new TrainingStage("a", 1, Sgd(model)) { Frozen = [foreign] }] }));
        Assert.Equal($"stage 'a' freezes {foreign.GetName}, which is not a module of ScalarTwoTaskModel (Parameter 'options')", stage.Message);
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        var options = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, optimizer, new TrainerOptions { Frozen = [foreign] }));
        Assert.Equal($"TrainerOptions.Frozen lists {foreign.GetName}, which is not a module of ScalarTwoTaskModel (Parameter 'options')", options.Message);
    }

    [Fact]
    public void A_trainer_whose_first_stage_is_rejected_leaves_the_model_unfrozen()
    {
        // TrainerOptions.Frozen is frozen before the first stage's optimizer is built; the stage's
        // own frozen module is foreign, so the trainer is rejected and the model must be as it was:
        // nothing frozen that was not, and what the caller had frozen stays frozen.
        using var model = new ScalarTwoTaskModel();
        using var foreign = nn.Linear(1, 1, hasBias: false);
        var head = model.modules().OfType<Linear>().First(m => !ReferenceEquals(m, model.Shared));
        model.Freeze(head);
        var error = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions
        {
            Frozen = [model.Shared, head],
            Stages = [new TrainingStage("a", 1, Sgd(model)) { Frozen = [foreign] }],
        }));
        Assert.StartsWith("stage 'a' freezes", error.Message);
        Assert.Equal([head], model.FrozenModules);
        Assert.True(model.Shared.weight!.requires_grad);
        Assert.False(head.weight!.requires_grad);
        model.train();
        Assert.True(model.Shared.training);
    }

    [Fact]
    public void A_stages_plateau_monitor_is_checked_when_the_trainer_is_built()
    {
        using var model = new ScalarTwoTaskModel();
        var schedule = new LearningRateSchedule([new SchedulePhase("plateau", new Dictionary<string, object> { ["monitor"] = "w.mae" })]);
        var built = 0;
        var error = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions
        {
            Stages = [new TrainingStage("a", 1, frozen => { built++; return Sgd(model)(frozen); }) { Schedule = schedule }],
        }));
        Assert.Equal("'w.mae' is monitored, but there is no task 'w' (tasks: u, v)", error.Message);
        Assert.Equal(0, built);
    }

    [Fact]
    public void A_stage_optimizer_that_holds_a_frozen_parameter_is_disposed_with_the_error()
    {
        using var model = new ScalarTwoTaskModel();
        Optimizer? built = null;
        var error = Assert.Throws<ArgumentException>(() => new Trainer(model, Tasks, null, new TrainerOptions
        {
            Frozen = [model.Shared],
            Stages = [new TrainingStage("a", 1, _ => built = optim.SGD(model.parameters(), lr: 0.1))],
        }));
        Assert.StartsWith("the optimizer holds parameter 'shared.weight' of a frozen module", error.Message);
        Assert.True(built!.IsDisposed);
        // The stage's own frozen modules: the same check, the same disposal.
        built = null;
        using var model2 = new ScalarTwoTaskModel();
        Assert.Throws<ArgumentException>(() => new Trainer(model2, Tasks, null, new TrainerOptions
        {
            Stages = [new TrainingStage("a", 1, _ => built = optim.SGD(model2.parameters(), lr: 0.1)) { Frozen = [model2.Shared] }],
        }));
        Assert.True(built!.IsDisposed);
    }

    [Fact]
    public void TrainerOptions_Frozen_is_frozen_before_the_first_stages_optimizer_is_built()
    {
        // The stage's optimizer takes the parameters that require gradients: the shared weight is
        // frozen already, so it holds b and c only, and one full batch moves b and c (see
        // TrainerExactTests: ∂L/∂b = 15, ∂L/∂c = 32/3 at a = b = c = 1), not a.
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        using var trainer = new Trainer(model, Tasks, null, new TrainerOptions { BatchSize = 4, Frozen = [model.Shared], Stages = [new TrainingStage("a", 1, Sgd(model))] });
        trainer.Fit(train);
        var (a, b, c) = model.Weights;
        Assert.Equal(1.0, a);
        Assert.Equal(0.85, b, 6);
        Assert.Equal(1 - 0.32 / 3, c, 6);
    }

    /// <summary>The learning rate at each epoch's end of a run whose stages have the given schedules, over one full batch per epoch.</summary>
    private static double[] Rates(LearningRateSchedule? options, params (int Epochs, LearningRateSchedule? Schedule)[] stages)
    {
        using var train = TrainerExactTests.Data();
        using var model = new ScalarTwoTaskModel();
        using var trainer = new Trainer(model, Tasks, null, new TrainerOptions
        {
            BatchSize = 4,
            Schedule = options,
            Stages = stages.Select((s, i) => new TrainingStage($"s{i}", s.Epochs, Sgd(model, 0.001)) { Schedule = s.Schedule }).ToList(),
        });
        return trainer.Fit(train).Select(r => r.LearningRates.Single()).ToArray();
    }

    [Fact]
    public void A_stage_runs_its_own_schedule_else_the_trainers()
    {
        // One step an epoch. Halving every step (step_size 1, gamma 0.5) against a tenth every step.
        var half = new LearningRateSchedule([new SchedulePhase("step", new Dictionary<string, object> { ["step_size"] = 1L, ["gamma"] = 0.5 })]);
        var tenth = new LearningRateSchedule([new SchedulePhase("step", new Dictionary<string, object> { ["step_size"] = 1L, ["gamma"] = 0.1 })]);
        // The first stage has none of its own: the trainer's, built afresh; the second its own.
        var rates = Rates(half, (2, null), (2, tenth));
        Assert.Equal(4, rates.Length);
        Assert.Equal(0.0005, rates[0], 12);
        Assert.Equal(0.00025, rates[1], 12);
        Assert.Equal(0.0001, rates[2], 12);
        Assert.Equal(0.00001, rates[3], 12);
    }

    [Fact]
    public void A_stage_stops_early_by_its_own_setting_else_the_trainers()
    {
        // value.mae by epoch: 1, 2 | 1, 2, 2. Stage a stops with patience 1 after its second
        // epoch; stage b, with the trainer's patience 2, after its third (epochs 3 to 5).
        var script = new double[] { 1, 2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2 };
        using var data = ScriptedValidationModel.Data();
        using var model = ScriptedValidationModel.Mae(script);
        using var trainer = new Trainer(model, ScriptedValidationModel.Tasks, null, new TrainerOptions
        {
            BatchSize = ScriptedValidationModel.Rows,
            EarlyStop = new EarlyStopping("value.mae", Patience: 2),
            Stages =
            [
                new TrainingStage("a", 6, _ => optim.SGD(model.parameters(), lr: 0)) { EarlyStop = new EarlyStopping("value.mae", Patience: 1) },
                new TrainingStage("b", 6, _ => optim.SGD(model.parameters(), lr: 0)),
            ],
        });
        var history = trainer.Fit(data, data);
        Assert.Equal(["a", "a", "b", "b", "b"], history.Select(r => r.Stage));
    }

    [Fact]
    public void A_stage_without_early_stopping_does_not_restore_the_previous_stages_best_weights()
    {
        // Stage a (one epoch, early stopping on u.mae) keeps its epoch as its best; stage b has no
        // early stopping, so it has no best: it ends with its own epoch's weights, as a run without
        // early stopping at all does, not with stage a's.
        float[] Run(EarlyStopping? first)
        {
            using var train = TrainerExactTests.Data();
            using var model = new ScalarTwoTaskModel();
            using var trainer = new Trainer(model, Measured, null, new TrainerOptions
            {
                BatchSize = 4,
                Stages = [new TrainingStage("a", 1, Sgd(model)) { EarlyStop = first }, new TrainingStage("b", 1, Sgd(model))],
            });
            trainer.Fit(train, train);
            var (a, b, c) = model.Weights;
            return [(float)a, (float)b, (float)c];
        }

        var plain = Run(null);
        Assert.NotEqual(1 - 0.77f / 3, plain[0]);  // stage b moved the weights on from stage a's
        Assert.Equal(plain, Run(new EarlyStopping("u.mae", Patience: 5)));
    }

    [Fact]
    public void With_separate_datasets_an_epoch_is_every_tasks_batches_together()
    {
        // u's and v's datasets of two examples, one-example batches: 2 + 2 = 4 batches an epoch,
        // accumulated 4 at a time into one step.
        using var u = Examples([1, 2], [0, 0], [0, 0]);
        using var v = Examples([3, 4], [0, 0], [0, 0]);
        using var data = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["u"] = u, ["v"] = v }, SamplingKind.RoundRobin);
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0);
        using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 1, Accumulate = 4 });
        var history = trainer.Fit(data);
        Assert.Equal([1L, 2L], history.Select(r => r.Step));
    }

    [Fact]
    public void Fit_with_a_disposed_optimizer_writes_no_file()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"mtl-disposed-{Guid.NewGuid():N}");
        try
        {
            using var train = TrainerExactTests.Data();
            using var model = new ScalarTwoTaskModel();
            var optimizer = optim.SGD(model.parameters(), lr: 0.01);
            using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 1, LogPath = Path.Combine(folder, "log.jsonl") });
            optimizer.Dispose();
            Assert.Throws<ObjectDisposedException>(() => trainer.Fit(train));
            Assert.False(Directory.Exists(folder));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Data_parallel_an_epoch_is_the_batches_of_the_ranks_together()
    {
        // Eight examples, two ranks with batch 2: 8 / (2·2) = 2 steps an epoch, so a cosine schedule
        // over the run's 2 epochs has 4 steps: the rate is halved after the first epoch
        // (0.001·(1 + cos(π/2))/2) and 0 after the second. Counted per rank's batch (8 / 2 = 4
        // steps an epoch) or per half batch, the schedule would be 2 or 4 times longer.
        var store = Path.Combine(Path.GetTempPath(), $"mtl-stryker-ddp-{Guid.NewGuid():N}");
        var cosine = new LearningRateSchedule([new SchedulePhase("cosine")]);
        try
        {
            var rates = Mtl.Runtime.Tests.Distributed.Ranks.Run(store, 2, TimeSpan.FromSeconds(30), group =>
            {
                using var train = Examples([1, 2, 3, 4, 5, 6, 7, 8], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0]);
                using var model = new ScalarTwoTaskModel();
                using var optimizer = optim.SGD(model.parameters(), lr: 0.001);
                using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 2, Schedule = cosine, Parallel = group });
                return trainer.Fit(train).Select(r => (r.Step, r.LearningRates.Single())).ToArray();
            });
            foreach (var rank in rates)
            {
                Assert.Equal([2L, 4L], rank.Select(r => r.Step));
                Assert.Equal(0.0005, rank[0].Item2, 12);
                Assert.Equal(0.0, rank[1].Item2, 12);
            }
        }
        finally
        {
            if (Directory.Exists(store)) Directory.Delete(store, recursive: true);
            if (File.Exists(store)) File.Delete(store);
        }
    }

    [Fact]
    public void A_stages_schedule_spans_the_stages_epochs()
    {
        // A cosine schedule over the stage's 2 epochs of one step: halved after the first, 0 after
        // the second (over TrainerOptions.Epochs, 10 by default, it would not have reached 0).
        var rates = Rates(null, (2, new LearningRateSchedule([new SchedulePhase("cosine")])));
        Assert.Equal(0.0005, rates[0], 12);
        Assert.Equal(0.0, rates[1], 12);
    }

    [Fact]
    public void A_comparison_added_to_the_report_rewrites_it_at_once()
    {
        var folder = Directory.CreateTempSubdirectory("mtl-stryker-report-").FullName;
        try
        {
            var report = Path.Combine(folder, "report.html");
            using var model = new ScalarTwoTaskModel();
            using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
            using var trainer = new Trainer(model, Tasks, optimizer, new TrainerOptions { ReportPath = report });
            Assert.Equal("comparison", Assert.Throws<ArgumentNullException>(() => trainer.AddToReport(null!)).ParamName);
            Assert.False(File.Exists(report));
            trainer.AddToReport(new SingleTaskComparison([1L], [], []));
            Assert.True(File.Exists(report));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Evaluate_checks_each_tasks_dataset_against_the_model_and_names_it()
    {
        // u's dataset holds regression targets (0.5), but the trainer's u is a two-class task.
        TaskSpec[] classes = [new TaskSpec("u", TaskKind.Classes, 2), new TaskSpec("v", TaskKind.Regression)];
        using var u = Examples([1, 2], [0.5f, 0.5f], [0, 0]);
        using var data = new TaskDatasets(new Dictionary<string, MultiTaskDataset> { ["u"] = u });
        using var model = new ScalarTwoTaskModel();
        using var optimizer = optim.SGD(model.parameters(), lr: 0.1);
        using var trainer = new Trainer(model, classes, optimizer);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Evaluate(data));
        Assert.StartsWith("the evaluation data of task 'u' does not fit ScalarTwoTaskModel: ", error.Message);
    }
}
