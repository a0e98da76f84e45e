// The reference multi-task model trained through Mtl, in one of these ways:
//   mtl        written by hand against Mtl's public nn/optim API, the way users write it (the default);
//   generated  the ReferenceModel and optimizer the Mtl generator makes of ../reference.mtl, in the
//              same loop as mtl (same data, losses, zero_grad, backward and step);
//   trainer    the training step the generated ReferenceTrainer runs (its Fit, one batch per epoch),
//              which does more work than the other two (see README.md);
//   paired     mtl and generated in one process, in alternating blocks of steps (see README.md);
//   paired-trainer  generated and trainer in one process, the same way.
// Usage: Mtl.Bench [mtl|generated|trainer|paired|paired-trainer] BATCH STEPS WARMUP.
// Mtl.Bench weighting ROUNDS BLOCK times a step with each task-weighting method instead (see
// WeightingBench.cs) and prints one line per method and task count; Mtl.Bench relatedness ROUNDS
// times training epochs with and without task relatedness measured (see RelatednessBench.cs). Prints
// "BATCH WALL CPU": microseconds per step of wall-clock time and of this thread's CPU time; the
// paired modes print "BATCH RATIO LOW HIGH FIRST SECOND": the median over the pairs of blocks of
// second/first (generated/mtl, trainer/generated; thread CPU time), its 25th and 75th
// percentiles, and each one's median microseconds per step.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Mtl;
using Mtl.Bench.Generated;
using Mtl.Torch;
using Mtl.Training;
using static Mtl.Torch.torch;

if (args is ["weighting", var rounds, var block, .. var only])
{
    torch.set_num_threads(1);
    WeightingBench.Run(int.Parse(rounds, CultureInfo.InvariantCulture), int.Parse(block, CultureInfo.InvariantCulture), [2, 4], only);
    return 0;
}
if (args is ["relatedness", var relatednessRounds])
{
    torch.set_num_threads(1);
    RelatednessBench.Run(int.Parse(relatednessRounds, CultureInfo.InvariantCulture));
    return 0;
}
var mode = args.Length == 4 ? args[0] : "mtl";
if (args.Length is < 3 or > 4 || mode is not ("mtl" or "generated" or "trainer" or "paired" or "paired-trainer"))
{
    Console.Error.WriteLine("usage: Mtl.Bench [mtl|generated|trainer|paired|paired-trainer] BATCH STEPS WARMUP");
    return 2;
}
var numbers = args[^3..];
var batch = long.Parse(numbers[0], CultureInfo.InvariantCulture);
var steps = int.Parse(numbers[1], CultureInfo.InvariantCulture);
var warmup = int.Parse(numbers[2], CultureInfo.InvariantCulture);

torch.set_num_threads(1);
if (mode is "paired" or "paired-trainer")
{
    using IBlocks first = mode == "paired" ? new StepBlocks(new HandWritten(batch)) : new StepBlocks(new GeneratedStep(batch));
    using IBlocks second = mode == "paired" ? new StepBlocks(new GeneratedStep(batch)) : new TrainerBlocks(batch);
    var (ratio, low, high, firstUs, secondUs) = Paired.Run(first, second, steps, warmup);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{batch} {ratio:F4} {low:F4} {high:F4} {firstUs:F1} {secondUs:F1}"));
    return 0;
}
(double Wall, double Cpu) timing;
if (mode == "trainer")
{
    timing = TrainerStep.Time(batch, steps, warmup);
}
else
{
    using IStep step = mode == "mtl" ? new HandWritten(batch) : new GeneratedStep(batch);
    timing = Timing.Run(step, steps, warmup);
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{batch} {timing.Wall:F1} {timing.Cpu:F1}"));
return 0;

/// <summary>The model and data every mode starts from: the model is built right after manual_seed(0), then the data are drawn.</summary>
static class Data
{
    public static (Tensor X, Tensor Regression, Tensor Classes) Make(long batch) =>
        (randn(batch, 64), randn(batch, 1), randint(0, 10, [batch], ScalarType.Int64));
}

/// <summary>One training step on the benchmark's batch, repeatable.</summary>
interface IStep : IDisposable
{
    void Step();
}

/// <summary>Times a step: WARMUP untimed calls, then STEPS timed ones; microseconds per step.</summary>
static class Timing
{
    public static (double Wall, double Cpu) Run(IStep step, int steps, int warmup)
    {
        for (var i = 0; i < warmup; i++) step.Step();
        var clock = Stopwatch.StartNew();
        var cpuStart = ThreadCpu.Seconds();
        for (var i = 0; i < steps; i++) step.Step();
        var cpu = ThreadCpu.Seconds() - cpuStart;
        return (clock.Elapsed.TotalMicroseconds / steps, cpu * 1e6 / steps);
    }
}

/// <summary>Runs blocks of training steps: <see cref="Run"/> takes the count and returns the thread CPU seconds they took.</summary>
interface IBlocks : IDisposable
{
    double Run(int steps);
}

/// <summary>Blocks of a step of this program's loop.</summary>
sealed class StepBlocks(IStep step) : IBlocks
{
    public double Run(int steps)
    {
        var start = ThreadCpu.Seconds();
        for (var i = 0; i < steps; i++) step.Step();
        return ThreadCpu.Seconds() - start;
    }

    public void Dispose() => step.Dispose();
}

/// <summary>
/// Blocks of ReferenceTrainer.Fit's step: each block is a new trainer's Fit for as many epochs of
/// one batch (see <see cref="TrainerStep"/>); building the trainer is not timed, its first step
/// (which creates Adam's state) is.
/// </summary>
sealed class TrainerBlocks(long batch) : IBlocks
{
    private readonly TrainerStep.Data data = TrainerStep.Data.Make(batch);

    public double Run(int steps)
    {
        using var trainer = TrainerStep.NewTrainer(batch, steps);
        var start = ThreadCpu.Seconds();
        trainer.Fit(data.Dataset);
        var cpu = ThreadCpu.Seconds() - start;
        if (trainer.Step != steps) throw new InvalidOperationException($"the trainer took {trainer.Step} steps, not {steps}");
        return cpu;
    }

    public void Dispose() => data.Dispose();
}

/// <summary>
/// Two ways of training in one process: both warmed up, then 100 pairs of blocks of STEPS/40
/// steps (some 20-40 ms each), the order alternating from pair to pair (first, then second;
/// second, then first). On a machine whose speed drifts over time and from one process to the
/// next (other virtual machines on the same host), the two blocks of a pair run under nearly the
/// same conditions, so the ratio of their thread CPU times is far steadier than the ratio of two
/// processes' times.
/// </summary>
static class Paired
{
    public const int Pairs = 100;

    public static (double Ratio, double Low, double High, double First, double Second) Run(IBlocks first, IBlocks second, int steps, int warmup)
    {
        first.Run(warmup);
        second.Run(warmup);
        var block = Math.Max(1, steps / 40);
        var ratios = new List<double>();
        var firstTimes = new List<double>();
        var secondTimes = new List<double>();
        for (var pair = 0; pair < Pairs; pair++)
        {
            double a, b;
            if (pair % 2 == 0)
            {
                a = first.Run(block);
                b = second.Run(block);
            }
            else
            {
                b = second.Run(block);
                a = first.Run(block);
            }
            ratios.Add(b / a);
            firstTimes.Add(a * 1e6 / block);
            secondTimes.Add(b * 1e6 / block);
        }
        return (Quantile(ratios, 0.5), Quantile(ratios, 0.25), Quantile(ratios, 0.75), Quantile(firstTimes, 0.5), Quantile(secondTimes, 0.5));
    }

    private static double Quantile(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        var position = q * (sorted.Count - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
    }
}

/// <summary>The hand-written model in a hand-written loop.</summary>
sealed class HandWritten : IStep
{
    private readonly HandWrittenModel model;
    private readonly Mtl.Torch.Modules.Optimizer optimizer;
    private readonly Tensor x, regression, classes;

    public HandWritten(long batch)
    {
        manual_seed(0);
        model = new HandWrittenModel();
        optimizer = optim.Adam(model.parameters(), lr: 1e-3);
        (x, regression, classes) = Data.Make(batch);
    }

    public void Step()
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad(set_to_none: false);
        var (predA, logitsB) = model.forward(x);
        var loss = nn.functional.mse_loss(predA, regression) + 0.5 * nn.functional.cross_entropy(logitsB, classes);
        loss.backward();
        optimizer.step();
    }

    public void Dispose()
    {
        x.Dispose();
        regression.Dispose();
        classes.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }
}

/// <summary>
/// The generated ReferenceModel (its typed forward, which runs the named-input forward the
/// trainer calls) and the generated optimizer (ReferenceTrainer.CreateOptimizer), in the same
/// loop as the hand-written model: the difference between the two is the generated code.
/// </summary>
sealed class GeneratedStep : IStep
{
    private readonly ReferenceModel model;
    private readonly Mtl.Torch.Modules.Optimizer optimizer;
    private readonly Tensor x, regression, classes;
    private readonly ReferenceInputs inputs;

    public GeneratedStep(long batch)
    {
        // The loop below writes the objective as a + 0.5 * b, as the other programs do; check that
        // this is what reference.mtl declares.
        var tasks = ReferenceTrainer.Tasks;
        if (tasks is not [{ Loss: LossKind.Mse, Weight: 1.0 }, { Loss: LossKind.CrossEntropy, Weight: 0.5, LabelSmoothing: 0.0, ClassWeights: null }])
        {
            throw new InvalidOperationException("reference.mtl no longer declares mse with weight 1 and cross_entropy with weight 0.5");
        }
        manual_seed(0);
        model = new ReferenceModel();
        optimizer = ReferenceTrainer.CreateOptimizer(model);
        (x, regression, classes) = Data.Make(batch);
        CheckSameStart(model, x);
        inputs = new ReferenceInputs(x);
    }

    public void Step()
    {
        using var scope = torch.NewDisposeScope();
        optimizer.zero_grad(set_to_none: false);
        var outputs = model.forward(inputs);
        var loss = nn.functional.mse_loss(outputs.A, regression) + 0.5 * nn.functional.cross_entropy(outputs.B, classes);
        loss.backward();
        optimizer.step();
    }

    public void Dispose()
    {
        x.Dispose();
        regression.Dispose();
        classes.Dispose();
        optimizer.Dispose();
        model.Dispose();
    }

    /// <summary>
    /// Untimed: the generated model, built after the same seed, starts with exactly the weights of
    /// the hand-written one (every parameter, in order), the data drawn after it are the same, and
    /// both compute exactly the same outputs.
    /// </summary>
    private static void CheckSameStart(ReferenceModel generated, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        manual_seed(0);
        using var handWritten = new HandWrittenModel();
        var (handX, _, _) = Data.Make(x.shape[0]);
        var ours = generated.named_parameters().ToList();
        var theirs = handWritten.named_parameters().ToList();
        if (ours.Count != theirs.Count) throw new InvalidOperationException($"the generated model has {ours.Count} parameters, the hand-written one {theirs.Count}");
        for (var i = 0; i < ours.Count; i++)
        {
            if (!ours[i].parameter.shape.SequenceEqual(theirs[i].parameter.shape) || !ours[i].parameter.equal(theirs[i].parameter))
            {
                throw new InvalidOperationException($"parameter {i} differs: generated {ours[i].name}, hand-written {theirs[i].name}");
            }
        }
        if (!handX.equal(x)) throw new InvalidOperationException("the data drawn after the generated model differ from those drawn after the hand-written one");
        using (no_grad())
        {
            var outputs = generated.forward(new ReferenceInputs(x));
            var (a, b) = handWritten.forward(x);
            if (!outputs.A.equal(a) || !outputs.B.equal(b)) throw new InvalidOperationException("the generated model's outputs differ from the hand-written model's");
        }
    }
}

/// <summary>
/// The step ReferenceTrainer.Fit runs, on a dataset of exactly the benchmark's batch (so every
/// step sees the same examples, shuffled): one epoch is one step, and the per-epoch work
/// (shuffling, the epoch's record) is timed with it. Warm-up is a first trainer's Fit; the
/// timed steps are a second trainer's (the JIT-compiled code is shared).
/// </summary>
static class TrainerStep
{
    public static (double Wall, double Cpu) Time(long batch, int steps, int warmup)
    {
        using var data = Data.Make(batch);
        if (warmup > 0)
        {
            using var first = NewTrainer(batch, warmup);
            first.Fit(data.Dataset);
        }
        using var trainer = NewTrainer(batch, steps);
        var clock = Stopwatch.StartNew();
        var cpuStart = ThreadCpu.Seconds();
        trainer.Fit(data.Dataset);
        var cpu = ThreadCpu.Seconds() - cpuStart;
        if (trainer.Step != steps) throw new InvalidOperationException($"the trainer took {trainer.Step} steps, not {steps}");
        return (clock.Elapsed.TotalMicroseconds / steps, cpu * 1e6 / steps);
    }

    /// <summary>A trainer with reference.mtl's settings (seed 0: the same initial weights as the other modes), for <paramref name="epochs"/> epochs of one batch.</summary>
    public static ReferenceTrainer NewTrainer(long batch, int epochs) =>
        new(ReferenceTrainer.DefaultOptions() with { Epochs = epochs, BatchSize = batch, Display = ProgressMode.None });

    /// <summary>The benchmark's batch as the trainer's dataset.</summary>
    public sealed class Data : IDisposable
    {
        private Data(ReferenceDataset dataset) => Dataset = dataset;

        public ReferenceDataset Dataset { get; }

        /// <summary>The same data as the other modes: drawn after a model was built from seed 0.</summary>
        public static Data Make(long batch)
        {
            manual_seed(0);
            new ReferenceModel().Dispose();
            var (x, regression, classes) = global::Data.Make(batch);
            using (x)
            using (regression)
            using (classes)
            {
                return new Data(ReferenceDataset.From(new ReferenceInputs(x), new ReferenceTargets(regression, classes)));
            }
        }

        public void Dispose() => Dataset.Dispose();
    }
}

/// <summary>trunk Linear(64,128)-ReLU-Linear(128,64)-ReLU; head A Linear(64,32)-ReLU-Linear(32,1); head B Linear(64,32)-ReLU-Linear(32,10).</summary>
sealed class HandWrittenModel : nn.Module<Tensor, (Tensor regression, Tensor logits)>
{
    private readonly Mtl.Torch.Modules.Sequential trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU());
    private readonly Mtl.Torch.Modules.Sequential headA = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1));
    private readonly Mtl.Torch.Modules.Sequential headB = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10));

    public HandWrittenModel() : base(nameof(HandWrittenModel)) => RegisterComponents();

    public override (Tensor regression, Tensor logits) forward(Tensor input)
    {
        using var shared = trunk.forward(input);
        return (headA.forward(shared), headB.forward(shared));
    }
}

/// <summary>CPU time of the calling thread (the one running the steps; JIT and GC background threads are not counted).</summary>
static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec time);

    public static double Seconds()
    {
        if (ClockGettime(ClockThreadCpuTimeId, out var t) != 0) throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
