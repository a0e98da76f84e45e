using System.Diagnostics;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// The training loop for a <see cref="MultiTaskModule"/>: shuffled batches, masked per-task
/// losses, task weighting, gradient clipping and accumulation, joint or alternating updates,
/// L2 and soft-sharing terms, learning-rate schedules, validation metrics, early stopping with
/// best-weights restore, a NaN guard, checkpoints with exact resume and a JSONL log. Every step
/// runs in its own dispose scope. The masked losses (<see cref="TaskLosses"/>), the L2 and tie
/// terms (<see cref="ParameterPenalty"/>), evaluation (<see cref="Evaluator"/>), early stopping
/// (<see cref="EarlyStopper"/>, <see cref="BestWeights"/>), the learning-rate schedule
/// (<see cref="ScheduleStepper"/>), the checks before the first step (<see cref="DataChecks"/>,
/// <see cref="OutputFiles"/>) and the divergence check of an epoch's end (<see cref="FiniteState"/>)
/// are parts of their own; <see cref="Checkpoint"/> sees the
/// trainer through <see cref="Parts"/> and <see cref="Loop"/>. With
/// <see cref="TrainerOptions.Stages"/> the stages run in order, each with its own optimizer,
/// schedule, early stopping, active tasks and frozen modules (see <see cref="TrainingStage"/>).
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly MultiTaskModule _model;
    private readonly TaskLosses _losses;
    private readonly TaskWeighting _weighting;
    private readonly SeededRandom _random;
    private readonly List<EpochRecord> _history = new();
    private readonly TrainingProgress _progress;
    private readonly BestWeights _best = new();
    private readonly Evaluator _evaluator;
    private readonly RelationPenalty? _relation;
    private readonly RelatednessProbe? _relatedness;
    // What the current stage (or the one run without stages) trains with: see UseParameters and Enter.
    private Optimizer _optimizer;
    private WeightingContext _context;
    private HashSet<Tensor> _shared;
    // The module tree is walked once per stage, not on every step.
    private IReadOnlyList<Parameter> _parameters;
    private ParameterPenalty _penalty;
    private ScheduleStepper _schedule;
    private EarlyStopper _stopper;
    // Staged runs only: the stage, the epochs done in it, the step it started at, and which tasks' losses flow (null: all).
    private int _stage;
    private int _stageEpoch;
    private long _stageStart;
    private bool[]? _active;
    private SingleTaskComparison? _comparison;
    // Data-parallel runs only: averages the gradients of what trains over the ranks.
    private GradientBuckets? _buckets;

    /// <summary>
    /// A trainer over <paramref name="model"/>. Without <see cref="TrainerOptions.Stages"/> it steps
    /// <paramref name="optimizer"/>, which the caller owns; with stages it is given none (null) and
    /// enters the first stage at once, building that stage's optimizer.
    /// </summary>
    public Trainer(MultiTaskModule model, IReadOnlyList<TaskSpec> tasks, Optimizer? optimizer, TrainerOptions? options = null)
    {
        _model = model;
        Tasks = tasks;
        Options = DataParallel.OptionsOfRank(options ?? new TrainerOptions());
        if (Options.Accumulate < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Accumulate, "accumulate must be at least 1");
        if (Options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.BatchSize, "batch size must be positive");
        var trained = TrainedTasks.Mask(Options, tasks);
        if (Options.Stages.Count > 0) CheckStages(optimizer);
        else if (optimizer is null) throw new ArgumentNullException(nameof(optimizer), "a trainer without stages needs an optimizer");
        _losses = new TaskLosses(tasks, model.TargetStandardizers);
        _weighting = Options.Weighting ?? new FixedWeighting(tasks.Select(t => t.Weight).ToList());
        DataParallel.CheckWeighting(Options, _weighting);
        _random = new SeededRandom(Options.Seed);
        _progress = TrainingProgress.Create(Options.Display ?? (Options.Progress is null ? ProgressMode.None : ProgressMode.Plain), Options.Progress);
        _evaluator = new Evaluator(model, tasks, _losses, Options.BatchSize);
        _relation = Options.Relation is { } relation ? new RelationPenalty(relation) : null;
        _relatedness = Options.Relatedness is { } every ? new RelatednessProbe(every, tasks.Select(t => t.Name).ToList()) : null;
        if (Options.Stages.Count > 0)
        {
            // Frozen before the first stage's optimizer is built, and thawed again if it cannot be,
            // so that a rejected trainer leaves the model as it was.
            var thawOnError = Options.Frozen.Where(m => !model.FrozenModules.Contains(m, ReferenceEqualityComparer.Instance)).ToList();
            Freeze(model, null, Options.Frozen);
            StageParts first;
            try
            {
                first = Prepare(0);
            }
            catch
            {
                foreach (var module in thawOnError) model.Unfreeze(module);
                throw;
            }
            (_optimizer, _schedule, _stopper) = (first.Optimizer, first.Schedule, first.EarlyStop);
            Enter(first);
            return;
        }
        _optimizer = optimizer!;
        _active = trained;
        Freeze(model, optimizer, Options.Frozen);
        UseParameters();
        // Settings are checked before the optimizer is touched, so a rejected trainer leaves it as it was.
        _stopper = new EarlyStopper(Options.EarlyStop, tasks);
        if (Options.Schedule?.PlateauMonitor is { } monitor) MonitorMaximizes(monitor);
        AddWeightingParameters(_optimizer);
        _schedule = new ScheduleStepper(Options, _optimizer);
    }

    /// <summary>
    /// The parameters that train now (those that require gradients): frozen ones are left out of
    /// clipping, L2 and the weighting's gradients.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_parameters), nameof(_penalty), nameof(_shared), nameof(_context))]
    private void UseParameters()
    {
        _parameters = _model.parameters().Where(p => p.requires_grad).ToList();
        _penalty = new ParameterPenalty(_parameters, Options.L2, Options.Ties, _relation);
        var sharedParameters = _model.SharedParameters().Where(p => p.requires_grad).ToList();
        _shared = new HashSet<Tensor>(sharedParameters, ReferenceEqualityComparer.Instance);
        _context = new WeightingContext
        {
            TaskNames = Tasks.Select(t => t.Name).ToList(),
            SharedParameters = sharedParameters,
            TaskParameters = _model.TaskParameters().Where(p => p.requires_grad).ToList(),
            LastSharedLayer = _model.LastSharedLayer(),
            Random = _random,
            Parallel = Options.Parallel,
        };
        _weighting.Attach(_context);
        _buckets = Options.Parallel is { } group ? new GradientBuckets(group, _parameters.Concat(_weighting.parameters())) : null;
    }

    /// <summary>A method's own trainable parameters (uncertainty's log-variances) are stepped by the same optimizer.</summary>
    private void AddWeightingParameters(Optimizer optimizer)
    {
        var optimized = new HashSet<Tensor>(optimizer.param_groups.SelectMany(g => g.parameters), ReferenceEqualityComparer.Instance);
        var extra = _weighting.parameters().Where(p => !optimized.Contains(p)).ToList();
        if (extra.Count > 0) optimizer.add_param_group(new ParamGroup(extra));
    }

    // ---- stages ----------------------------------------------------------------------------------

    /// <summary>The stages' settings, checked before anything is built or frozen.</summary>
    private void CheckStages(Optimizer? optimizer)
    {
        if (optimizer is not null) throw new ArgumentException("a trainer with stages builds each stage's optimizer (TrainingStage.CreateOptimizer); give it none", nameof(optimizer));
        if (Options.Scheduler is not null || Options.Plateau is not null)
        {
            throw new ArgumentException("TrainerOptions.Scheduler and Plateau are built over one optimizer, and each stage has its own: give stages a Schedule", "options");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stage in Options.Stages)
        {
            if (string.IsNullOrEmpty(stage.Name)) throw new ArgumentException("a stage needs a name", "options");
            if (!names.Add(stage.Name)) throw new ArgumentException($"two stages are named '{stage.Name}'", "options");
            if (stage.Epochs < 1) throw new ArgumentOutOfRangeException("options", stage.Epochs, $"stage '{stage.Name}' must have at least 1 epoch");
            if (stage.Tasks is { } active)
            {
                if (active.Count == 0) throw new ArgumentException($"stage '{stage.Name}' has no task to train", "options");
                if (active.FirstOrDefault(t => Tasks.All(s => s.Name != t)) is { } unknown) throw new ArgumentException($"stage '{stage.Name}' trains task '{unknown}', which is not one of the trainer's tasks", "options");
            }
        }
    }

    /// <summary>What a stage trains with, built but not yet in use: its optimizer (the weighting's parameters added), schedule and early stopping.</summary>
    internal sealed record StageParts(int Index, Optimizer Optimizer, ScheduleStepper Schedule, EarlyStopper EarlyStop, IReadOnlyList<nn.Module> Frozen);

    /// <summary>
    /// Builds stage <paramref name="index"/>'s parts without touching the model: its frozen
    /// modules are checked to be the model's and its optimizer to hold none of their parameters
    /// (a rejected optimizer is disposed).
    /// </summary>
    internal StageParts Prepare(int index)
    {
        var stage = Options.Stages[index];
        var frozen = Options.Frozen.Concat(stage.Frozen).Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module>().ToList();
        var stopper = new EarlyStopper(stage.EarlyStop ?? Options.EarlyStop, Tasks);
        var settings = StageOptions(stage);
        if (settings.Schedule?.PlateauMonitor is { } monitor) MonitorMaximizes(monitor);
        var optimizer = stage.CreateOptimizer(frozen);
        try
        {
            CheckFrozen(_model, optimizer, stage.Frozen, $"stage '{stage.Name}' freezes");
            CheckFrozen(_model, optimizer, Options.Frozen, "TrainerOptions.Frozen lists");
            AddWeightingParameters(optimizer);
            return new StageParts(index, optimizer, new ScheduleStepper(settings, optimizer), stopper, frozen);
        }
        catch
        {
            optimizer.Dispose();
            throw;
        }
    }

    /// <summary>The options a stage runs with: its schedule and early stopping, else the trainer's.</summary>
    private TrainerOptions StageOptions(TrainingStage stage) =>
        Options with { Schedule = stage.Schedule ?? Options.Schedule, EarlyStop = stage.EarlyStop ?? Options.EarlyStop };

    /// <summary>
    /// Makes <paramref name="parts"/> the current stage: the previous stage's own frozen modules
    /// train again and this one's are frozen, its optimizer (the previous one is disposed),
    /// schedule and early stopping take over, its tasks' losses flow, and the best weights start
    /// afresh. The stage starts at the current step with no epoch done.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_parameters), nameof(_penalty), nameof(_shared), nameof(_context))]
    internal void Enter(StageParts parts)
    {
        foreach (var module in Options.Stages[_stage].Frozen)
        {
            if (!parts.Frozen.Contains(module, ReferenceEqualityComparer.Instance)) _model.Unfreeze(module);
        }
        foreach (var module in parts.Frozen) _model.Freeze(module);
        if (!ReferenceEquals(_optimizer, parts.Optimizer)) _optimizer.Dispose();
        (_optimizer, _schedule, _stopper) = (parts.Optimizer, parts.Schedule, parts.EarlyStop);
        UseParameters();
        var stage = Options.Stages[parts.Index];
        _active = stage.Tasks is { } active ? Tasks.Select(t => active.Contains(t.Name)).ToArray() : null;
        _best.Clear();
        (_stage, _stageEpoch, _stageStart) = (parts.Index, 0, Step);
    }

    /// <summary>The current stage's name; null without stages.</summary>
    public string? Stage => Options.Stages.Count == 0 ? null : Options.Stages[_stage].Name;

    /// <summary>The optimizer stepped now: the one given, or the current stage's.</summary>
    public Optimizer Optimizer => _optimizer;

    /// <summary>Epochs of the whole run: <see cref="TrainerOptions.Epochs"/>, or the stages' epochs together.</summary>
    private int TotalEpochs => Options.Stages.Count == 0 ? Options.Epochs : Options.Stages.Sum(s => s.Epochs);

    /// <summary>
    /// Freezes <paramref name="frozen"/> in the model (<see cref="MultiTaskModule.Freeze"/>) once
    /// they are known to be the model's and the optimizer to hold none of their parameters (both
    /// are checked first, so a rejected trainer leaves the model as it was).
    /// </summary>
    private static void Freeze(MultiTaskModule model, Optimizer? optimizer, IReadOnlyList<nn.Module> frozen)
    {
        if (frozen.Count == 0) return;
        CheckFrozen(model, optimizer, frozen, "TrainerOptions.Frozen lists");
        foreach (var module in frozen) model.Freeze(module);
    }

    /// <summary>That <paramref name="frozen"/> are modules of the model and that the optimizer (when there is one) holds none of their parameters.</summary>
    private static void CheckFrozen(MultiTaskModule model, Optimizer? optimizer, IReadOnlyList<nn.Module> frozen, string owner)
    {
        if (frozen.Count == 0) return;
        var own = new HashSet<nn.Module>(model.modules(), ReferenceEqualityComparer.Instance);
        if (frozen.FirstOrDefault(m => !own.Contains(m)) is { } foreign)
        {
            throw new ArgumentException($"{owner} {foreign.GetName}, which is not a module of {model.GetName}", "options");
        }
        if (optimizer is null) return;
        var held = new HashSet<Tensor>(optimizer.param_groups.SelectMany(g => g.parameters), ReferenceEqualityComparer.Instance);
        foreach (var parameter in frozen.SelectMany(m => m.parameters()))
        {
            if (held.Contains(parameter))
            {
                var name = model.named_parameters().FirstOrDefault(p => ReferenceEquals(p.parameter, parameter)).name ?? "?";
                throw new ArgumentException($"the optimizer holds parameter '{name}' of a frozen module; build it over the parameters that train (ParameterGroups.Split(model, frozen, ...))", nameof(optimizer));
            }
        }
    }

    public IReadOnlyList<TaskSpec> Tasks { get; }

    public TrainerOptions Options { get; }

    /// <summary>Epochs completed so far (also after a resume).</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimizer steps taken so far.</summary>
    public long Step { get; private set; }

    public IReadOnlyList<EpochRecord> History => _history;

    // ---- fit -----------------------------------------------------------------------------------

    /// <summary>
    /// Trains until <see cref="TrainerOptions.Epochs"/> epochs are done or early stopping says stop.
    /// Before the first step: an empty dataset, or one without a labelled example for any task, is
    /// an <see cref="ArgumentException"/>; a task without labelled examples gets a warning through
    /// the progress display, and its losses and metrics are left out of the history. Then every
    /// standardizer of the model that is not fitted yet is fitted on <paramref name="train"/> (see
    /// <see cref="StandardizerFitting"/>): never on the validation data.
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(MultiTaskDataset train, MultiTaskDataset? validation = null)
    {
        var checks = DataChecks.BeforeFit(train, validation, _model, Tasks, _losses);
        StandardizerFitting.Fit(_model, Tasks, train);
        var perStep = Options.BatchSize * (Options.Parallel?.size ?? 1);
        return Fit(() => BatchesOf(train), (train.Count + perStep - 1) / perStep,
            validation is null ? null : () => checks.WithoutUnvalidated(_evaluator.Evaluate(validation, Options.Parallel)), checks.Warnings);
    }

    /// <summary>
    /// Trains on separate per-task datasets: the sampler picks each batch's task and only that
    /// task's loss flows for it. An epoch is Σₜ ⌈Nₜ / batch⌉ batches (see <see cref="TaskSampler"/>; data-parallel, batch is BatchSize times the ranks).
    /// The checks before the first step are those of the other overload, per dataset; a task
    /// without a training dataset gets a warning.
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(TaskDatasets train, TaskDatasets? validation = null)
    {
        var checks = DataChecks.BeforeFit(train, validation, _model, Tasks, _losses);
        StandardizerFitting.Fit(_model, Tasks, train);
        var perStep = Options.BatchSize * (Options.Parallel?.size ?? 1);
        var perTask = train.Names.Select(n => (train.Datasets[n].Count + perStep - 1) / perStep).ToList();
        return Fit(() => SampledBatches(train, perTask), perTask.Sum(),
            validation is null ? null : () => checks.WithoutUnvalidated(_evaluator.Evaluate(validation, Options.Parallel)), checks.Warnings);
    }

    private IReadOnlyList<EpochRecord> Fit(Func<IEnumerable<MultiTaskBatch>> batches, long batchCount, Func<Dictionary<string, double>>? validate, IReadOnlyList<string> warnings)
    {
        ObjectDisposedException.ThrowIf(_optimizer.IsDisposed, _optimizer);
        OutputFiles.Prepare(Options);
        _buckets?.BroadcastParameters();
        // The log is rewritten to the history: empty for a new trainer, the checkpoint's epochs
        // after Checkpoint.Load, so that a resumed run's log holds each epoch once.
        TrainingLog.Rewrite(Options.LogPath, _history);
        BuildSchedule(batchCount);
        _progress.Run(() =>
        {
            foreach (var warning in warnings) _progress.Message(warning);
            if (Options.Stages.Count > 0)
            {
                RunStages(batches, batchCount, validate);
                return;
            }
            while (Epoch < Options.Epochs)
            {
                var record = RunEpoch(batches, batchCount, validate);
                if (_stopper.ShouldStop)
                {
                    _progress.Message($"early stop after epoch {record.Epoch}: {_stopper.Settings!.Monitor} has not improved for {_stopper.Settings.Patience} epochs (best {Format(_stopper.BestValue)})");
                    break;
                }
            }
            if (Options.RestoreBest && _best.RestoreInto(_model))
            {
                _progress.Message($"restored the weights of the best epoch ({Options.EarlyStop?.Monitor} = {Format(_stopper.BestValue)})");
            }
        });
        return _history;
    }

    /// <summary>
    /// The stages from the current one on: each runs until its epochs are done or its early
    /// stopping says stop (which ends only that stage), then its best epoch's weights are restored
    /// (<see cref="TrainerOptions.RestoreBest"/>) and the next stage starts from them with a fresh
    /// optimizer, schedule and early stopping.
    /// </summary>
    private void RunStages(Func<IEnumerable<MultiTaskBatch>> batches, long batchCount, Func<Dictionary<string, double>>? validate)
    {
        while (true)
        {
            var stage = Options.Stages[_stage];
            if (_stageEpoch == 0) _progress.Message($"stage {stage.Name} ({_stage + 1}/{Options.Stages.Count}) starts after epoch {Epoch}: up to {stage.Epochs} epochs");
            // A run resumed from the checkpoint of a stage's stopping epoch goes on to the next stage.
            while (_stageEpoch < stage.Epochs && !_stopper.ShouldStop)
            {
                var record = RunEpoch(batches, batchCount, validate);
                if (_stopper.ShouldStop)
                {
                    _progress.Message($"early stop of stage {stage.Name} after epoch {record.Epoch}: {_stopper.Settings!.Monitor} has not improved for {_stopper.Settings.Patience} epochs (best {Format(_stopper.BestValue)})");
                }
            }
            if (Options.RestoreBest && _best.RestoreInto(_model))
            {
                _progress.Message($"restored the weights of the best epoch of stage {stage.Name} ({_stopper.Settings?.Monitor} = {Format(_stopper.BestValue)})");
            }
            if (_stage == Options.Stages.Count - 1) return;
            Enter(Prepare(_stage + 1));
            BuildSchedule(batchCount);
        }
    }

    /// <summary>
    /// Builds <see cref="TrainerOptions.Schedule"/> (a stage's schedule) once the run's (stage's)
    /// length is known: its epochs times the optimizer steps of one epoch (two per update when
    /// updates alternate).
    /// </summary>
    private void BuildSchedule(long batchCount)
    {
        var perEpoch = (Options.Update == UpdateMode.Alternate ? 2 : 1) * ((batchCount + Options.Accumulate - 1) / Options.Accumulate);
        var epochs = Options.Stages.Count == 0 ? Options.Epochs : Options.Stages[_stage].Epochs;
        _schedule.Build(perEpoch * epochs, MonitorMaximizes);
    }

    // ---- epochs ------------------------------------------------------------------------------

    private EpochRecord RunEpoch(Func<IEnumerable<MultiTaskBatch>> batchesOfEpoch, long batchCount, Func<Dictionary<string, double>>? validate)
    {
        var clock = Stopwatch.StartNew();
        _context.Epoch = Epoch;
        _model.train();
        var sums = new double[Tasks.Count];
        var counts = new int[Tasks.Count];
        double totalSum = 0;
        var batches = 0;
        var micro = 0;
        var checkedLastUpdate = false;
        // Alternate mode runs the micro-batches of a step again after the shared update: they are held until then.
        using var held = Options.Update == UpdateMode.Alternate ? new HeldBatches() : null;
        _progress.EpochStarted(Epoch + 1, TotalEpochs, batchCount);
        using var source = batchesOfEpoch().GetEnumerator();
        while (true)
        {
            // The batch is drawn inside the step's scope so its tensors are freed with the step's.
            using var scope = NewDisposeScope();
            if (!source.MoveNext()) break;
            var batch = source.Current;
            if (micro == 0) _optimizer.zero_grad();
            // The locals are assigned on every path (no `out var` in one branch of the condition,
            // no pattern variable read after a `continue`), so that every mutant of this method
            // compiles and mutation testing measures it.
            double total;
            var values = Forward(batch, out total);
            held?.Hold(batch);
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is { } v)
                {
                    sums[i] += v;
                    counts[i]++;
                }
            }
            totalSum += total;
            batches++;
            micro++;
            _progress.StepCompleted(Step, _context.TaskNames, values, _weighting.Weights);
            if (micro == Options.Accumulate)
            {
                Update(batch, held);
                micro = 0;
            }
            if (batches == batchCount)
            {
                // The epoch's last batch: its pending micro-batches are stepped now, while the batch
                // is alive (so a weighting reading the losses after the step gets them), and the
                // update is checked (see GuardLastUpdate).
                if (micro > 0) Update(batch, held);
                micro = 0;
                GuardLastUpdate(batch);
                checkedLastUpdate = true;
            }
            // An update's micro-batches are freed after it (the last one's after the check above).
            if (micro == 0) held?.Release();
        }
        if (micro > 0) Update(null, held);
        held?.Release();
        if (!checkedLastUpdate) FiniteState.Require(_model, _weighting, _optimizer, Step, Epoch);
        if (Options.Parallel is { } group) (totalSum, batches) = DataParallel.SumOverRanks(group, sums, counts, totalSum, batches);
        var meanLosses = Enumerable.Range(0, Tasks.Count).Select(i => counts[i] == 0 ? double.NaN : sums[i] / counts[i]).ToArray();
        _weighting.EndEpoch(meanLosses, _context);
        var metrics = validate is null ? new Dictionary<string, double>() : validate();
        Epoch++;
        if (Options.Stages.Count > 0) _stageEpoch++;
        _schedule.EpochEnded(Step - _stageStart, metrics, totalSum / Math.Max(1, batches));
        _relation?.Update();
        var best = _stopper.Observe(metrics);
        var record = new EpochRecord(
            Epoch, Step, totalSum / Math.Max(1, batches),
            // A task without a labelled example this epoch has no loss: absent, not NaN or 0.
            Tasks.Select((t, i) => (t.Name, meanLosses[i])).Where((p, i) => counts[i] > 0).ToDictionary(p => p.Name, p => p.Item2),
            Tasks.Select((t, i) => (t.Name, i < _weighting.Weights.Count ? _weighting.Weights[i] : double.NaN)).ToDictionary(p => p.Name, p => p.Item2),
            _optimizer.param_groups.Select(g => g.lr).ToList(),
            metrics,
            clock.Elapsed.TotalSeconds)
        {
            Stage = Stage,
            Gates = GateMeans.Take(_model),
            Omega = _relation?.Omega,
            Relatedness = _relatedness?.TakeEpoch(),
            Best = best,
        };
        _history.Add(record);
        if (best && Options.RestoreBest) _best.Capture(_model);
        // The checkpoint first, then the log: a crash between the two leaves the log an epoch
        // short, and the resumed run's Fit rewrites it from the checkpoint's history.
        if (Options.CheckpointPath is { } path) Checkpoint.Save(path, this);
        TrainingLog.Append(Options.LogPath, record);
        WriteReport();
        _progress.EpochCompleted(ProgressLine(record));
        return record;
    }

    /// <summary>
    /// Shows <paramref name="comparison"/> in report.html from now on (the generated trainer's
    /// <c>CompareWithSingleTask</c> does this), and rewrites the report at once when
    /// <see cref="TrainerOptions.ReportPath"/> is set. The comparison is not saved in checkpoints.
    /// </summary>
    public void AddToReport(SingleTaskComparison comparison)
    {
        ArgumentNullException.ThrowIfNull(comparison);
        _comparison = comparison;
        WriteReport();
    }

    /// <summary>What report.html shows beside the history: the settings as this trainer runs them, the early-stopping monitor, the comparison.</summary>
    public ReportContent ReportContent => new()
    {
        Settings = RunSettings.Describe(Options, Tasks, _optimizer, _weighting, Stage),
        Monitor = _stopper.Settings?.Monitor,
        RestoresBest = Options.RestoreBest,
        Architecture = Options.Architecture,
        Comparison = _comparison,
    };

    private void WriteReport()
    {
        if (Options.ReportPath is { } report) TrainingReport.Write(report, _history, content: ReportContent);
    }

    private IEnumerable<MultiTaskBatch> BatchesOf(MultiTaskDataset data) =>
        data.Batches(Options.BatchSize, shuffle: true, seed: unchecked(Options.Seed * 1_000_003 + Epoch), Options.Parallel?.rank ?? 0, Options.Parallel?.size ?? 1);

    /// <summary>One epoch of batches from separate datasets: each task's data in its own shuffled passes, interleaved by the sampler.</summary>
    private IEnumerable<MultiTaskBatch> SampledBatches(TaskDatasets train, IReadOnlyList<long> perTask)
    {
        var schedule = train.Sampler.Schedule(perTask, _random);
        var sources = new IEnumerator<MultiTaskBatch>?[train.Names.Count];
        var passes = new int[train.Names.Count];
        try
        {
            foreach (var t in schedule)
            {
                var source = sources[t];
                if (source is null || !source.MoveNext())
                {
                    source?.Dispose();
                    var seed = unchecked(Options.Seed * 1_000_003 + Epoch * 7919 + t * 104_729 + passes[t]++);
                    source = sources[t] = train.Datasets[train.Names[t]].Batches(Options.BatchSize, shuffle: true, seed, Options.Parallel?.rank ?? 0, Options.Parallel?.size ?? 1).GetEnumerator();
                    source.MoveNext();
                }
                yield return source.Current;
            }
        }
        finally
        {
            foreach (var source in sources) source?.Dispose();
        }
    }

    /// <summary>Forward, masked losses, weighting backward and the extra terms; returns each task's loss value.</summary>
    private double?[] Forward(MultiTaskBatch batch, out double total)
    {
        var output = _model.forward(batch.Inputs);
        var losses = Active(_losses.Compute(output, batch));
        var values = losses.Select(l => l is null ? (double?)null : l.item<double>()).ToArray();
        GuardFinite(values);
        _context.SharedRepresentation = output.Shared;
        _context.Step = Step;
        var scale = 1.0 / Options.Accumulate;
        _context.LossScale = scale;
        var scaled = scale == 1 ? losses : losses.Select(l => l is null ? null : l * scale).ToArray();
        // A sampled step's task gradients are taken before the method's pass and leave its update as it is.
        var probe = _relatedness is { } r && r.Samples(Step) ? r : null;
        probe?.Before(losses, _context.SharedParameters);
        total = _weighting.Backward(scaled, _context) / scale;
        probe?.After(_weighting.Weights, _context.SharedParameters, Options.Accumulate);
        var penalty = _penalty.Compute();
        if (penalty is not null)
        {
            (penalty * scale).backward();
            total += penalty.item<double>();
        }
        return values;
    }

    /// <summary>
    /// The optimizer step over the micro-batches since the last one. Joint mode steps every
    /// parameter. Alternate mode steps the shared parameters with the heads fixed, then runs the
    /// same micro-batches forward again and steps the heads with the shared parameters fixed. A
    /// weighting's own parameters (uncertainty's log-variances, IMTL's scales) are the tasks':
    /// they are stepped with the heads, so that every parameter gets one step per update.
    /// <paramref name="batch"/> is given to <see cref="OptimizerStep"/> (null: a short last step).
    /// </summary>
    private void Update(MultiTaskBatch? batch, HeldBatches? held)
    {
        if (held is null)
        {
            OptimizerStep(batch);
            return;
        }
        DropGradients(shared: false);
        OptimizerStep(batch);
        // Frees the shared gradients before the second pass (DropGradients would drop them after it).
        _optimizer.zero_grad();
        foreach (var again in held.Batches)
        {
            using var scope = NewDisposeScope();
            Forward(again, out _);
        }
        DropGradients(shared: true);
        OptimizerStep(batch);
    }

    private void DropGradients(bool shared)
    {
        foreach (var parameter in _parameters)
        {
            if (_shared.Contains(parameter) == shared) parameter.grad = null;
        }
        if (shared) return;
        foreach (var parameter in _weighting.parameters()) parameter.grad = null;
    }

    private void OptimizerStep(MultiTaskBatch? batch)
    {
        _buckets?.AverageGradients();
        var norm = nn.utils.clip_grad_norm_(_parameters, Options.ClipGradNorm ?? double.PositiveInfinity);
        if (!double.IsFinite(norm))
        {
            throw new TrainingDivergedException($"the gradient norm became {Format(norm)} at step {Step + 1} (epoch {Epoch + 1}); no update was made. Lower the learning rate or clip gradients.");
        }
        _optimizer.step();
        Step++;
        _schedule.OptimizerStepped(Step - _stageStart);
        if (_weighting.NeedsLossesAfterStep && batch is not null)
        {
            using var mode = no_grad();
            var after = Active(_losses.Compute(_model.forward(batch.Inputs), batch)).Select(l => l is null ? (double?)null : l.item<double>()).ToList();
            _weighting.AfterStep(after, _context);
        }
    }

    /// <summary>The losses that flow: in a stage with <see cref="TrainingStage.Tasks"/>, the others' are dropped (null, as for a batch without their labels).</summary>
    private Tensor?[] Active(Tensor?[] losses)
    {
        if (_active is { } active)
        {
            for (var i = 0; i < losses.Length; i++)
            {
                if (!active[i]) losses[i] = null;
            }
        }
        return losses;
    }

    private void GuardFinite(double?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is { } v && !double.IsFinite(v))
            {
                throw new TrainingDivergedException($"the loss of task '{Tasks[i].Name}' became {Format(v)} at step {Step + 1} (epoch {Epoch + 1}); no update was made. Check the data and lower the learning rate.");
            }
        }
    }

    /// <summary>
    /// A step's loss and gradient norm are checked before its update, so the update of an epoch's
    /// last step would otherwise reach the checkpoint unchecked: its weights and optimizer state
    /// must be finite (<see cref="FiniteState"/>), and the loss of the last batch, recomputed
    /// after the update in evaluation mode without gradients (no dropout, no generator draws),
    /// must be finite too. Weights that are finite but so large that the model's outputs overflow
    /// (a learning rate that blew up) fail here, before the epoch's checkpoint or best weights.
    /// </summary>
    private void GuardLastUpdate(MultiTaskBatch batch)
    {
        FiniteState.Require(_model, _weighting, _optimizer, Step, Epoch);
        var wasTraining = _model.training;
        _model.eval();
        try
        {
            using var mode = no_grad();
            var losses = _losses.Compute(_model.forward(batch.Inputs), batch);
            for (var i = 0; i < losses.Length; i++)
            {
                var value = losses[i] is { } loss ? loss.item<double>() : 0.0;
                if (double.IsFinite(value)) continue;
                var (name, largest) = _model.named_parameters().Select(p => (p.name, p.parameter.abs().max().item<double>())).MaxBy(p => p.Item2);
                throw new TrainingDivergedException($"the loss of task '{Tasks[i].Name}' on the epoch's last batch became {Format(value)} after the update of step {Step} (epoch {Epoch + 1}): the weights diverged (the largest is {largest.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)} in parameter '{name}'); nothing of this epoch was kept (checkpoint, log and best weights are those of the epoch before). Lower the learning rate or clip gradients.");
            }
        }
        finally
        {
            _model.train(wasTraining);
        }
    }

    // ---- evaluation ----------------------------------------------------------------------------

    /// <summary>Mean loss per task (<c>task.loss</c>), <c>loss</c> (their weighted sum) and every declared <c>task.metric</c>.</summary>
    public Dictionary<string, double> Evaluate(MultiTaskDataset data)
    {
        DataChecks.Require("evaluation data", data, _model, Tasks);
        return _evaluator.Evaluate(data);
    }

    /// <summary>Evaluates each task on its own validation dataset.</summary>
    public Dictionary<string, double> Evaluate(TaskDatasets data)
    {
        DataChecks.Require("evaluation data", data, _model, Tasks);
        return _evaluator.Evaluate(data);
    }

    /// <summary>
    /// The model's outputs for the given inputs, in evaluation mode without gradients; the caller
    /// disposes them. A task with standardised targets is in standardised units here:
    /// <see cref="MultiTaskModule.OriginalUnits(MultiTaskOutput)"/> gives the original ones.
    /// </summary>
    public MultiTaskOutput Predict(IReadOnlyDictionary<string, Tensor> inputs)
    {
        DataChecks.RequireInputs(inputs, _model);
        var wasTraining = _model.training;
        _model.eval();
        try
        {
            using var mode = no_grad();
            return _model.forward(inputs);
        }
        finally
        {
            _model.train(wasTraining);
        }
    }

    private bool MonitorMaximizes(string monitor) => MonitorDirection.Maximizes(monitor, Tasks);

    // ---- checkpoint state ------------------------------------------------------------------------

    /// <summary>What a checkpoint saves and restores through each part's own state (the current stage's optimizer, schedule and early stopping).</summary>
    internal TrainerParts Parts => new(_model, _optimizer, _weighting, _schedule, _stopper, _best);

    /// <summary>The parts of a stage prepared for a checkpoint to load into (see <see cref="Prepare"/>).</summary>
    internal TrainerParts PartsOf(StageParts stage) => new(_model, stage.Optimizer, _weighting, stage.Schedule, stage.EarlyStop, _best);

    /// <summary>The loop's counters, shuffling generator and history, and with stages where in them the run is, for a checkpoint.</summary>
    internal LoopState Loop => new(Epoch, Step, _random.State, _history)
    {
        Stage = Options.Stages.Count == 0 ? null : new StagePosition(_stage, _stageEpoch, _stageStart),
    };

    /// <summary>The number of stages (0 without), for a checkpoint's checks.</summary>
    internal IReadOnlyList<TrainingStage> Stages => Options.Stages;

    /// <summary>Why a checkpoint's history cannot give the task relation its Ω; null when it can, or without a relation.</summary>
    internal string? RelationProblem(IReadOnlyList<EpochRecord> history) => _relation?.Problem(history);

    /// <summary>Takes the loop's counters, generator state, history and stage position from a checkpoint.</summary>
    internal void Restore(LoopState loop)
    {
        Epoch = loop.Epoch;
        Step = loop.Step;
        _random.State = loop.Random;
        _history.Clear();
        _history.AddRange(loop.History);
        _relation?.Restore(loop.History);
        if (loop.Stage is { } stage) (_stage, _stageEpoch, _stageStart) = (stage.Index, stage.Epoch, stage.StartStep);
    }

    private string ProgressLine(EpochRecord r)
    {
        var tasks = string.Join(", ", Tasks.Select(t => $"{t.Name} {(r.TaskLosses.TryGetValue(t.Name, out var loss) ? Format(loss) : "-")}"));
        var weights = string.Join("/", Tasks.Select(t => Format(r.Weights[t.Name])));
        var validation = r.Validation.Count == 0 ? "" : "  val " + string.Join(" ", r.Validation.Where(v => !v.Key.EndsWith(".loss", StringComparison.Ordinal)).Select(v => $"{v.Key} {Format(v.Value)}"));
        var epoch = r.Stage is null ? $"epoch {r.Epoch}/{Options.Epochs}" : $"epoch {r.Epoch}/{TotalEpochs} ({r.Stage} {_stageEpoch}/{Options.Stages[_stage].Epochs})";
        return $"{epoch}  loss {Format(r.TrainLoss)} ({tasks})  weights {weights}  lr {r.LearningRates[0]:G3}{validation}  {r.Seconds:F1}s";
    }

    /// <summary>A value for a message: NaN and the infinities by name (an absent value is left out, never shown as NaN).</summary>
    private static string Format(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        // A stage's optimizer is the trainer's own; one given to a trainer without stages is the caller's.
        if (Options.Stages.Count > 0) _optimizer.Dispose();
        _best.Dispose();
        _losses.Dispose();
    }
}
