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
/// (<see cref="EarlyStopper"/>, <see cref="BestWeights"/>) and the learning-rate schedule
/// (<see cref="ScheduleStepper"/>) are parts of their own; <see cref="Checkpoint"/> sees the
/// trainer through <see cref="Parts"/> and <see cref="Loop"/>.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly MultiTaskModule _model;
    private readonly TaskLosses _losses;
    private readonly Optimizer _optimizer;
    private readonly TaskWeighting _weighting;
    private readonly WeightingContext _context;
    private readonly SeededRandom _random;
    private readonly HashSet<Tensor> _shared;
    // The module tree is walked once here, not on every step.
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly ParameterPenalty _penalty;
    private readonly List<EpochRecord> _history = new();
    private readonly TrainingProgress _progress;
    private readonly ScheduleStepper _schedule;
    private readonly EarlyStopper _stopper;
    private readonly BestWeights _best = new();
    private readonly Evaluator _evaluator;

    public Trainer(MultiTaskModule model, IReadOnlyList<TaskSpec> tasks, Optimizer optimizer, TrainerOptions? options = null)
    {
        _model = model;
        Tasks = tasks;
        _optimizer = optimizer;
        Options = options ?? new TrainerOptions();
        if (Options.Accumulate < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Accumulate, "accumulate must be at least 1");
        if (Options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.BatchSize, "batch size must be positive");
        _losses = new TaskLosses(tasks);
        _weighting = Options.Weighting ?? new FixedWeighting(tasks.Select(t => t.Weight).ToList());
        _random = new SeededRandom(Options.Seed);
        _parameters = model.parameters().ToList();
        _penalty = new ParameterPenalty(_parameters, Options.L2, Options.Ties);
        var sharedParameters = model.SharedParameters();
        _shared = new HashSet<Tensor>(sharedParameters, ReferenceEqualityComparer.Instance);
        _context = new WeightingContext
        {
            TaskNames = tasks.Select(t => t.Name).ToList(),
            SharedParameters = sharedParameters,
            TaskParameters = model.TaskParameters(),
            LastSharedLayer = model.LastSharedLayer(),
            Random = _random,
        };
        _weighting.Attach(_context);
        // A method's own trainable parameters (uncertainty's log-variances) are stepped by the same optimizer.
        var optimized = new HashSet<Tensor>(optimizer.param_groups.SelectMany(g => g.parameters), ReferenceEqualityComparer.Instance);
        var extra = _weighting.parameters().Where(p => !optimized.Contains(p)).ToList();
        if (extra.Count > 0) optimizer.add_param_group(new ParamGroup(extra));
        _schedule = new ScheduleStepper(Options, optimizer);
        _progress = TrainingProgress.Create(Options.Display ?? (Options.Progress is null ? ProgressMode.None : ProgressMode.Plain), Options.Progress);
        _stopper = new EarlyStopper(Options.EarlyStop, tasks);
        if (Options.Schedule?.PlateauMonitor is { } monitor) MonitorMaximizes(monitor);
        _evaluator = new Evaluator(model, tasks, _losses, Options.BatchSize);
        Parts = new TrainerParts(model, optimizer, _weighting, _schedule, _stopper, _best);
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
    /// the progress display, and its losses and metrics are left out of the history.
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(MultiTaskDataset train, MultiTaskDataset? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var warnings = new List<string>();
        var untrained = Unlabelled(train, "the training dataset", nameof(train));
        foreach (var name in untrained) warnings.Add($"warning: task '{name}' has no labelled example in the training dataset; it is not trained and it has no training loss");
        var unvalidated = validation is null ? [] : Unlabelled(validation, "the validation dataset", nameof(validation));
        DataChecks.Require("training data", train, _model, Tasks);
        if (validation is not null) DataChecks.Require("validation data", validation, _model, Tasks);
        foreach (var name in unvalidated) warnings.Add($"warning: task '{name}' has no labelled example in the validation dataset; it has no validation loss or metrics");
        return Fit(() => BatchesOf(train), (train.Count + Options.BatchSize - 1) / Options.BatchSize,
            validation is null ? null : () => WithoutTasks(_evaluator.Evaluate(validation), unvalidated), warnings);
    }

    /// <summary>
    /// Trains on separate per-task datasets: the sampler picks each batch's task and only that
    /// task's loss flows for it. An epoch is Σₜ ⌈Nₜ / batch⌉ batches (see <see cref="TaskSampler"/>).
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(TaskDatasets train, TaskDatasets? validation = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        var warnings = new List<string>();
        var untrained = Unlabelled(train, "training", nameof(train));
        foreach (var name in untrained)
        {
            warnings.Add(train.Datasets.ContainsKey(name)
                ? $"warning: task '{name}' has no labelled example in its training dataset; it is not trained and it has no training loss"
                : $"warning: task '{name}' has no training dataset; it is not trained and it has no training loss");
        }
        var unvalidated = validation is null ? [] : Unlabelled(validation, "validation", nameof(validation));
        foreach (var name in unvalidated) warnings.Add($"warning: task '{name}' has no labelled example in its validation dataset; it has no validation loss or metrics");
        DataChecks.Require("training data", train, _model, Tasks);
        if (validation is not null) DataChecks.Require("validation data", validation, _model, Tasks);
        var perTask = train.Names.Select(n => (train.Datasets[n].Count + Options.BatchSize - 1) / Options.BatchSize).ToList();
        return Fit(() => SampledBatches(train, perTask), perTask.Sum(),
            validation is null ? null : () => WithoutTasks(_evaluator.Evaluate(validation), unvalidated), warnings);
    }

    private IReadOnlyList<EpochRecord> Fit(Func<IEnumerable<MultiTaskBatch>> batches, long batchCount, Func<Dictionary<string, double>>? validate, IReadOnlyList<string> warnings)
    {
        ObjectDisposedException.ThrowIf(_optimizer.IsDisposed, _optimizer);
        PrepareOutputs();
        BuildSchedule(batchCount);
        _progress.Run(() =>
        {
            foreach (var warning in warnings) _progress.Message(warning);
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
    /// Builds <see cref="TrainerOptions.Schedule"/> once the run's length is known: epochs times
    /// the optimizer steps of one epoch (two per batch when updates alternate).
    /// </summary>
    private void BuildSchedule(long batchCount)
    {
        var perEpoch = Options.Update == UpdateMode.Alternate ? 2 * batchCount : (batchCount + Options.Accumulate - 1) / Options.Accumulate;
        _schedule.Build(perEpoch * Options.Epochs, MonitorMaximizes);
    }

    // ---- checks before the first step --------------------------------------------------------

    /// <summary>
    /// The tasks <paramref name="data"/> has no labelled example of (no targets, every label
    /// missing); an empty dataset, or one without a labelled example of any task, is an error.
    /// </summary>
    private List<string> Unlabelled(MultiTaskDataset data, string what, string parameter)
    {
        if (data.Count == 0) throw new ArgumentException($"{what} is empty: it has no examples to train or validate on", parameter);
        var unlabelled = Tasks.Where((t, i) => !HasLabels(data, i)).Select(t => t.Name).ToList();
        if (unlabelled.Count == Tasks.Count) throw new ArgumentException($"{what} has no labelled example of any task ({string.Join(", ", unlabelled)}): every label is missing", parameter);
        return unlabelled;
    }

    /// <summary>
    /// Per-task datasets (none of them empty, <see cref="TaskDatasets"/> sees to that): the tasks
    /// whose own dataset has no labelled example of them, and when training the tasks without a
    /// dataset. None labelled at all is an error.
    /// </summary>
    private List<string> Unlabelled(TaskDatasets data, string what, string parameter)
    {
        foreach (var name in data.Names)
        {
            if (Tasks.All(t => t.Name != name)) throw new ArgumentException($"a dataset is given for '{name}', which is not a task (tasks: {string.Join(", ", Tasks.Select(t => t.Name))})", parameter);
        }
        var unlabelled = new List<string>();
        for (var i = 0; i < Tasks.Count; i++)
        {
            var name = Tasks[i].Name;
            if (data.Datasets.TryGetValue(name, out var own) ? !HasLabels(own, i) : what == "training") unlabelled.Add(name);
        }
        if (unlabelled.Count == Tasks.Count) throw new ArgumentException($"the {what} datasets have no labelled example of any task ({string.Join(", ", unlabelled)})", parameter);
        return unlabelled;
    }

    private bool HasLabels(MultiTaskDataset data, int task) =>
        data.Targets.TryGetValue(Tasks[task].Name, out var target) && _losses.Denominator(task, target) > 0;

    /// <summary>A validation result without the losses and metrics of <paramref name="tasks"/>, which have no labelled example (absent, not NaN).</summary>
    private static Dictionary<string, double> WithoutTasks(Dictionary<string, double> metrics, IReadOnlyCollection<string> tasks)
    {
        foreach (var task in tasks)
        {
            foreach (var key in metrics.Keys.Where(k => k.StartsWith(task + ".", StringComparison.Ordinal)).ToList()) metrics.Remove(key);
        }
        return metrics;
    }

    /// <summary>
    /// Creates the folders of the checkpoint, log and report (a path that cannot be written fails
    /// here, not after an epoch's work) and rewrites the log to the history: empty for a new
    /// trainer, the checkpoint's epochs after <see cref="Checkpoint.Load"/>, so that a resumed
    /// run's log holds each epoch once, as an uninterrupted run's does.
    /// </summary>
    private void PrepareOutputs()
    {
        foreach (var (option, path) in new[] { (nameof(TrainerOptions.CheckpointPath), Options.CheckpointPath), (nameof(TrainerOptions.LogPath), Options.LogPath), (nameof(TrainerOptions.ReportPath), Options.ReportPath) })
        {
            if (path is null) continue;
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is null) continue;
            try
            {
                Directory.CreateDirectory(folder);
                // A folder that exists but cannot be written to would fail only at the epoch's end.
                var probe = Path.Combine(folder, $".mtl-write-check-{Guid.NewGuid():N}.tmp");
                File.WriteAllBytes(probe, []);
                File.Delete(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"{option} '{path}': cannot create or write to its folder '{folder}': {e.Message}", e);
            }
        }
        TrainingLog.Rewrite(Options.LogPath, _history);
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
        _progress.EpochStarted(Epoch + 1, Options.Epochs, batchCount);
        using var source = batchesOfEpoch().GetEnumerator();
        while (true)
        {
            // The batch is drawn inside the step's scope so its tensors are freed with the step's.
            using var scope = NewDisposeScope();
            if (!source.MoveNext()) break;
            var batch = source.Current;
            if (micro == 0) _optimizer.zero_grad();
            var values = Options.Update == UpdateMode.Joint ? Forward(batch, out var total) : ForwardAlternate(batch, out total);
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is not { } v) continue;
                sums[i] += v;
                counts[i]++;
            }
            totalSum += total;
            batches++;
            micro++;
            _progress.StepCompleted(Step, _context.TaskNames, values, _weighting.Weights);
            // Alternate mode steps inside ForwardAlternate; joint mode every Accumulate micro-batches.
            if (Options.Update == UpdateMode.Alternate || micro == Options.Accumulate)
            {
                if (Options.Update == UpdateMode.Joint) OptimizerStep(batch);
                micro = 0;
            }
            if (batches == batchCount)
            {
                // The epoch's last batch: its pending micro-batches are stepped now, while the batch
                // is alive, and the update is checked (see GuardLastUpdate).
                if (Options.Update == UpdateMode.Joint && micro > 0) OptimizerStep(null);
                micro = 0;
                GuardLastUpdate(batch);
                checkedLastUpdate = true;
            }
        }
        if (Options.Update == UpdateMode.Joint && micro > 0) OptimizerStep(null);
        if (!checkedLastUpdate) GuardFiniteState();
        var meanLosses = Enumerable.Range(0, Tasks.Count).Select(i => counts[i] == 0 ? double.NaN : sums[i] / counts[i]).ToArray();
        _weighting.EndEpoch(meanLosses, _context);
        var metrics = validate is null ? new Dictionary<string, double>() : validate();
        Epoch++;
        _schedule.EpochEnded(Step, metrics, totalSum / Math.Max(1, batches));
        var record = new EpochRecord(
            Epoch, Step, totalSum / Math.Max(1, batches),
            // A task without a labelled example this epoch has no loss: absent, not NaN or 0.
            Tasks.Select((t, i) => (t.Name, meanLosses[i])).Where((p, i) => counts[i] > 0).ToDictionary(p => p.Name, p => p.Item2),
            Tasks.Select((t, i) => (t.Name, i < _weighting.Weights.Count ? _weighting.Weights[i] : double.NaN)).ToDictionary(p => p.Name, p => p.Item2),
            _optimizer.param_groups.Select(g => g.lr).ToList(),
            metrics,
            clock.Elapsed.TotalSeconds);
        _history.Add(record);
        if (_stopper.Observe(record.Validation) && Options.RestoreBest) _best.Capture(_model);
        // The checkpoint first, then the log: a crash between the two leaves the log an epoch
        // short, and the resumed run's Fit rewrites it from the checkpoint's history.
        if (Options.CheckpointPath is { } path) Checkpoint.Save(path, this);
        TrainingLog.Append(Options.LogPath, record);
        if (Options.ReportPath is { } report) TrainingReport.Write(report, _history);
        _progress.EpochCompleted(ProgressLine(record));
        return record;
    }

    private IEnumerable<MultiTaskBatch> BatchesOf(MultiTaskDataset data) =>
        data.Batches(Options.BatchSize, shuffle: true, seed: unchecked(Options.Seed * 1_000_003 + Epoch));

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
                    source = sources[t] = train.Datasets[train.Names[t]].Batches(Options.BatchSize, shuffle: true, seed).GetEnumerator();
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
        var losses = _losses.Compute(output, batch);
        var values = losses.Select(l => l is null ? (double?)null : l.item<double>()).ToArray();
        GuardFinite(values);
        _context.SharedRepresentation = output.Shared;
        _context.Step = Step;
        var scale = 1.0 / Options.Accumulate;
        var scaled = scale == 1 ? losses : losses.Select(l => l is null ? null : l * scale).ToArray();
        total = _weighting.Backward(scaled, _context) / scale;
        var penalty = _penalty.Compute();
        if (penalty is not null)
        {
            (penalty * scale).backward();
            total += penalty.item<double>();
        }
        return values;
    }

    /// <summary>Alternate update: shared parameters with the heads fixed, then the heads with the shared fixed.</summary>
    private double?[] ForwardAlternate(MultiTaskBatch batch, out double total)
    {
        var values = Forward(batch, out total);
        DropGradients(shared: false);
        OptimizerStep(batch);
        _optimizer.zero_grad();
        Forward(batch, out _);
        DropGradients(shared: true);
        OptimizerStep(batch);
        return values;
    }

    private void DropGradients(bool shared)
    {
        foreach (var parameter in _parameters)
        {
            if (_shared.Contains(parameter) == shared) parameter.grad = null;
        }
    }

    private void OptimizerStep(MultiTaskBatch? batch)
    {
        var norm = nn.utils.clip_grad_norm_(_parameters, Options.ClipGradNorm ?? double.PositiveInfinity);
        if (!double.IsFinite(norm))
        {
            throw new TrainingDivergedException($"the gradient norm became {Format(norm)} at step {Step + 1} (epoch {Epoch + 1}); no update was made. Lower the learning rate or clip gradients.");
        }
        _optimizer.step();
        Step++;
        _schedule.OptimizerStepped(Step);
        if (_weighting.NeedsLossesAfterStep && batch is not null)
        {
            using var mode = no_grad();
            var after = _losses.Compute(_model.forward(batch.Inputs), batch).Select(l => l is null ? (double?)null : l.item<double>()).ToList();
            _weighting.AfterStep(after, _context);
        }
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
    /// must be finite (<see cref="GuardFiniteState"/>), and the loss of the last batch, recomputed
    /// after the update in evaluation mode without gradients (no dropout, no generator draws),
    /// must be finite too. Weights that are finite but so large that the model's outputs overflow
    /// (a learning rate that blew up) fail here, before the epoch's checkpoint or best weights.
    /// </summary>
    private void GuardLastUpdate(MultiTaskBatch batch)
    {
        GuardFiniteState();
        var wasTraining = _model.training;
        _model.eval();
        try
        {
            using var mode = no_grad();
            var losses = _losses.Compute(_model.forward(batch.Inputs), batch);
            for (var i = 0; i < losses.Length; i++)
            {
                if (losses[i] is not { } loss) continue;
                var value = loss.item<double>();
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

    /// <summary>
    /// Every weight and buffer of the model, every weighting parameter and every optimizer state
    /// tensor must be finite after an epoch's steps; otherwise training stops naming the first
    /// non-finite one, before the epoch's checkpoint or best weights could keep it.
    /// </summary>
    private void GuardFiniteState()
    {
        using var scope = NewDisposeScope();
        var names = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, parameter) in _model.named_parameters())
        {
            names.TryAdd(parameter, $"parameter '{name}'");
            GuardFinite(names[parameter], parameter);
        }
        foreach (var (name, buffer) in _model.named_buffers()) GuardFinite($"buffer '{name}'", buffer);
        var weighting = _weighting.parameters().ToList();
        for (var i = 0; i < weighting.Count; i++)
        {
            names.TryAdd(weighting[i], $"weighting parameter {i}");
            GuardFinite(names[weighting[i]], weighting[i]);
        }
        var ordered = _optimizer.param_groups.SelectMany(g => g.parameters).ToList();
        using var state = _optimizer.state_dict();
        foreach (var (index, entry) in state.state.OrderBy(e => e.Key))
        {
            var owner = names.TryGetValue(ordered[index], out var name) ? name : $"parameter {index}";
            foreach (var (key, tensor) in entry.tensors) GuardFinite($"optimizer state '{key}' of {owner}", tensor);
        }
    }

    private void GuardFinite(string what, Tensor tensor)
    {
        if (!ScalarTypeInfo.IsFloatingPoint(tensor.dtype) || tensor.isfinite().all().item<bool>()) return;
        var found = tensor.isnan().any().item<bool>() ? "NaN" : tensor.eq(double.PositiveInfinity).any().item<bool>() ? "inf" : "-inf";
        throw new TrainingDivergedException($"{what} holds {found} after step {Step} (epoch {Epoch + 1}); nothing of this epoch was kept (checkpoint, log and best weights are those of the epoch before). Lower the learning rate or clip gradients.");
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

    /// <summary>The model's outputs for the given inputs, in evaluation mode without gradients; the caller disposes them.</summary>
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

    /// <summary>What a checkpoint saves and restores through each part's own state.</summary>
    internal TrainerParts Parts { get; }

    /// <summary>The loop's counters, shuffling generator and history, for a checkpoint.</summary>
    internal LoopState Loop => new(Epoch, Step, _random.State, _history);

    /// <summary>Takes the loop's counters, generator state and history from a checkpoint.</summary>
    internal void Restore(LoopState loop)
    {
        Epoch = loop.Epoch;
        Step = loop.Step;
        _random.State = loop.Random;
        _history.Clear();
        _history.AddRange(loop.History);
    }

    private string ProgressLine(EpochRecord r)
    {
        var tasks = string.Join(", ", Tasks.Select(t => $"{t.Name} {(r.TaskLosses.TryGetValue(t.Name, out var loss) ? Format(loss) : "-")}"));
        var weights = string.Join("/", Tasks.Select(t => Format(r.Weights[t.Name])));
        var validation = r.Validation.Count == 0 ? "" : "  val " + string.Join(" ", r.Validation.Where(v => !v.Key.EndsWith(".loss", StringComparison.Ordinal)).Select(v => $"{v.Key} {Format(v.Value)}"));
        return $"epoch {r.Epoch}/{Options.Epochs}  loss {Format(r.TrainLoss)} ({tasks})  weights {weights}  lr {r.LearningRates[0]:G3}{validation}  {r.Seconds:F1}s";
    }

    /// <summary>A value for a message: NaN and the infinities by name (an absent value is left out, never shown as NaN).</summary>
    private static string Format(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "inf"
        : double.IsNegativeInfinity(value) ? "-inf"
        : value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _best.Dispose();
        _losses.Dispose();
    }
}
