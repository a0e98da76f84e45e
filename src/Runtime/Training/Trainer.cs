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

    /// <summary>Trains until <see cref="TrainerOptions.Epochs"/> epochs are done or early stopping says stop.</summary>
    public IReadOnlyList<EpochRecord> Fit(MultiTaskDataset train, MultiTaskDataset? validation = null)
    {
        DataChecks.Require("training data", train, _model, Tasks);
        if (validation is not null) DataChecks.Require("validation data", validation, _model, Tasks);
        return Fit(() => BatchesOf(train), (train.Count + Options.BatchSize - 1) / Options.BatchSize, validation is null ? null : () => _evaluator.Evaluate(validation));
    }

    /// <summary>
    /// Trains on separate per-task datasets: the sampler picks each batch's task and only that
    /// task's loss flows for it. An epoch is Σₜ ⌈Nₜ / batch⌉ batches (see <see cref="TaskSampler"/>).
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(TaskDatasets train, TaskDatasets? validation = null)
    {
        foreach (var name in train.Names)
        {
            if (Tasks.All(t => t.Name != name)) throw new ArgumentException($"a dataset is given for '{name}', which is not a task (tasks: {string.Join(", ", Tasks.Select(t => t.Name))})", nameof(train));
        }
        DataChecks.Require("training data", train, _model, Tasks);
        if (validation is not null) DataChecks.Require("validation data", validation, _model, Tasks);
        var perTask = train.Names.Select(n => (train.Datasets[n].Count + Options.BatchSize - 1) / Options.BatchSize).ToList();
        return Fit(() => SampledBatches(train, perTask), perTask.Sum(), validation is null ? null : () => _evaluator.Evaluate(validation));
    }

    private IReadOnlyList<EpochRecord> Fit(Func<IEnumerable<MultiTaskBatch>> batches, long batchCount, Func<Dictionary<string, double>>? validate)
    {
        BuildSchedule(batchCount);
        _progress.Run(() =>
        {
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
        }
        if (Options.Update == UpdateMode.Joint && micro > 0) OptimizerStep(null);
        var meanLosses = Enumerable.Range(0, Tasks.Count).Select(i => counts[i] == 0 ? double.NaN : sums[i] / counts[i]).ToArray();
        _weighting.EndEpoch(meanLosses, _context);
        var metrics = validate is null ? new Dictionary<string, double>() : validate();
        Epoch++;
        _schedule.EpochEnded(Step, metrics, totalSum / Math.Max(1, batches));
        var record = new EpochRecord(
            Epoch, Step, totalSum / Math.Max(1, batches),
            Tasks.Select((t, i) => (t.Name, meanLosses[i])).ToDictionary(p => p.Name, p => p.Item2),
            Tasks.Select((t, i) => (t.Name, i < _weighting.Weights.Count ? _weighting.Weights[i] : double.NaN)).ToDictionary(p => p.Name, p => p.Item2),
            _optimizer.param_groups.Select(g => g.lr).ToList(),
            metrics,
            clock.Elapsed.TotalSeconds);
        _history.Add(record);
        if (_stopper.Observe(record.Validation) && Options.RestoreBest) _best.Capture(_model);
        TrainingLog.Append(Options.LogPath, record);
        if (Options.ReportPath is { } report) TrainingReport.Write(report, _history);
        _progress.EpochCompleted(ProgressLine(record));
        if (Options.CheckpointPath is { } path) Checkpoint.Save(path, this);
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
        var tasks = string.Join(", ", Tasks.Select(t => $"{t.Name} {Format(r.TaskLosses[t.Name])}"));
        var weights = string.Join("/", Tasks.Select(t => Format(r.Weights[t.Name])));
        var validation = r.Validation.Count == 0 ? "" : "  val " + string.Join(" ", r.Validation.Where(v => !v.Key.EndsWith(".loss", StringComparison.Ordinal)).Select(v => $"{v.Key} {Format(v.Value)}"));
        return $"epoch {r.Epoch}/{Options.Epochs}  loss {Format(r.TrainLoss)} ({tasks})  weights {weights}  lr {r.LearningRates[0]:G3}{validation}  {r.Seconds:F1}s";
    }

    private static string Format(double value) => double.IsNaN(value) ? "n/a" : value.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _best.Dispose();
        _losses.Dispose();
    }
}
