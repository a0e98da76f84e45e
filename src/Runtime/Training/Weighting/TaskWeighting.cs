using Mtl.Catalog;
using Mtl.Torch;
using Mtl.Torch.Modules;

namespace Mtl.Training.Weighting;

/// <summary>
/// A multi-task weighting method: turns the per-task losses of a step into gradients of the
/// shared and task parameters.
/// </summary>
/// <remarks>
/// The per-task <c>weight</c> values of the .mtl file (<see cref="FixedWeights"/>) scale each task
/// loss before the method sees it: every method works on wᵢLᵢ, and the reported
/// <see cref="Weights"/> are the effective factors on the unscaled Lᵢ. For a method that balances
/// tasks by itself this only sets the starting point or the scale it balances (FAMO, which works
/// on log Lᵢ, keeps the direction of its update and changes only its length).
/// </remarks>
public abstract class TaskWeighting : IDisposable
{
    private double[] _weights = [];

    /// <summary>A method without fixed weights: every task counts 1, for any number of tasks.</summary>
    protected TaskWeighting(string name) : this(name, [], allowEmpty: true) { }

    protected TaskWeighting(string name, IReadOnlyList<double> fixedWeights) : this(name, fixedWeights, allowEmpty: false) { }

    private TaskWeighting(string name, IReadOnlyList<double> fixedWeights, bool allowEmpty)
    {
        ArgumentNullException.ThrowIfNull(fixedWeights);
        if (fixedWeights.Count == 0 && !allowEmpty) throw new ArgumentException("a weighting needs at least one task", nameof(fixedWeights));
        foreach (var w in fixedWeights)
        {
            if (!IsValidWeight(w)) throw new ArgumentException($"a task weight must be finite and not negative, not {w}", nameof(fixedWeights));
        }
        Name = name;
        FixedWeights = fixedWeights.ToArray();
    }

    /// <summary>The method's .mtl name.</summary>
    public string Name { get; }

    /// <summary>
    /// The method's options as <see cref="Create"/> resolved them (given or defaulted, written as
    /// in a .mtl file), by name; empty for a method built with its constructor.
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; private set; } = new Dictionary<string, string>();

    /// <summary>The per-task weights of the .mtl file, one per task (empty: all 1, any number of tasks).</summary>
    public IReadOnlyList<double> FixedWeights { get; }

    private double FixedWeight(int task) => FixedWeights.Count == 0 ? 1 : FixedWeights[task];

    /// <summary>
    /// The effective per-task weights used in the last <see cref="Backward"/>: the factor on each
    /// task's loss (or gradient) in the combined update. NaN where not meaningful: a task without
    /// a loss in that step, or a method whose update is no linear combination of task gradients.
    /// </summary>
    public IReadOnlyList<double> Weights => _weights;

    public virtual void Attach(WeightingContext context) { }

    /// <summary>Extra trainable parameters the trainer's optimizer must also step.</summary>
    public virtual IEnumerable<Parameter> parameters() => [];

    /// <summary>
    /// Computes the gradients of this step from the per-task losses (a null entry: the task has no
    /// labels in this batch and contributes nothing) and adds them into <c>.grad</c> of the shared
    /// and task parameters, so micro-batches accumulate. Returns, for logging, the value of the
    /// objective the task parameters were differentiated through: the method's combined loss, or
    /// Σ wᵢLᵢ with the fixed weights for the gradient-surgery methods, whose heads see plain losses.
    /// </summary>
    public abstract double Backward(IReadOnlyList<Tensor?> losses, WeightingContext context);

    /// <summary>FAMO: the trainer re-evaluates the batch after the optimizer step and calls <see cref="AfterStep"/>.</summary>
    public virtual bool NeedsLossesAfterStep => false;

    public virtual void AfterStep(IReadOnlyList<double?> lossesAfterStep, WeightingContext context) { }

    public virtual void EndEpoch(IReadOnlyList<double> meanTaskLosses, WeightingContext context) { }

    /// <summary>Everything needed for an exact resume, as numbers.</summary>
    public virtual IReadOnlyDictionary<string, double> state_dict() => new Dictionary<string, double>();

    public virtual void load_state_dict(IReadOnlyDictionary<string, double> state) { }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>
    /// The method named <paramref name="name"/> (its .mtl name), for as many tasks as
    /// <paramref name="fixedWeights"/> has entries. <paramref name="options"/> holds the method's
    /// options by their .mtl names (numbers, bools, words); each one not given takes the
    /// language's default. Names, options, defaults and ranges are those of
    /// <see cref="WeightingCatalog"/>; an unknown name or option, or a value out of range, is an
    /// <see cref="ArgumentException"/> that names it.
    /// </summary>
    public static TaskWeighting Create(string name, IReadOnlyList<double> fixedWeights, IReadOnlyDictionary<string, object>? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!WeightingCatalog.All.TryGetValue(name, out var spec)) throw new ArgumentException($"unknown task weighting '{name}'; known: {string.Join(", ", Names)}", nameof(name));
        var given = options?.ToDictionary(p => p.Key, p => OptionValue.From(p.Value), StringComparer.Ordinal);
        if (given is not null && given.ContainsKey(WeightingCatalog.Gradients) && spec.Option(WeightingCatalog.Gradients) is null)
        {
            throw new ArgumentException(WeightingCatalog.WithoutRepresentation(name), nameof(options));
        }
        var o = spec.Resolve(given);
        double Number(string option) => o[option]!.AsNumber();
        bool Flag(string option) => ((BooleanValue)o[option]!).Value;
        string Word(string option) => ((NameValue)o[option]!).Value;
        var written = given?.ToDictionary(p => p.Key, p => (OptionValue?)p.Value, StringComparer.Ordinal) ?? new Dictionary<string, OptionValue?>();
        if (WeightingCatalog.Conflict(name, written) is { } conflict) throw new ArgumentException($"'{name}': {conflict}", nameof(options));
        TaskWeighting method = name switch
        {
            "fixed" => new FixedWeighting(fixedWeights),
            "uncertainty" => new UncertaintyWeighting(fixedWeights),
            "dwa" => new DynamicWeightAverage(fixedWeights, Number("temperature")),
            "gradnorm" => new GradNorm(fixedWeights, Number("alpha"), Number("lr")),
            "rlw" => new RandomLossWeighting(fixedWeights),
            "pcgrad" => new PCGrad(fixedWeights),
            "mgda" => new MGDA(fixedWeights, Flag(WeightingCatalog.UpperBound), Word("normalization"), Word(WeightingCatalog.Gradients)),
            "cagrad" => new CAGrad(fixedWeights, Number("c")),
            "imtl" => new IMTL(fixedWeights, Word("mode"), Word(WeightingCatalog.Gradients)),
            "graddrop" => new GradDrop(fixedWeights, Number("leak"), Word(WeightingCatalog.Gradients)),
            "gradvac" => new GradVac(fixedWeights, Number("beta")),
            "aligned_mtl" => new AlignedMTL(fixedWeights, Word(WeightingCatalog.Gradients)),
            "nash_mtl" => new NashMTL(fixedWeights, ((IntegerValue)o["update_every"]!).Value),
            "famo" => new FAMO(fixedWeights, Number("lr"), Number("gamma")),
            _ => throw new InvalidOperationException($"task weighting '{name}' is in the catalog but has no implementation"),
        };
        method.Settings = o.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);
        return method;
    }

    /// <summary>The .mtl names <see cref="Create"/> knows: those of <see cref="WeightingCatalog"/>.</summary>
    public static IReadOnlyList<string> Names => WeightingCatalog.Names;

    /// <summary>Whether <paramref name="weight"/> can be a task's weight: finite and not negative (the language's range).</summary>
    public static bool IsValidWeight(double weight) => double.IsFinite(weight) && TaskCatalog.Weight.Check(new NumberValue(weight)) is null;

    /// <summary>
    /// The tasks that have a loss this step: their indices and their losses scaled by the fixed
    /// weights. Checks that there is one entry per task.
    /// </summary>
    protected (int[] Tasks, Tensor[] Losses) Present(IReadOnlyList<Tensor?> losses)
    {
        ArgumentNullException.ThrowIfNull(losses);
        if (FixedWeights.Count != 0 && losses.Count != FixedWeights.Count) throw new ArgumentException($"{Name}: {losses.Count} losses for {FixedWeights.Count} tasks", nameof(losses));
        var tasks = new List<int>();
        var scaled = new List<Tensor>();
        for (var i = 0; i < losses.Count; i++)
        {
            if (losses[i] is null) continue;
            var loss = losses[i]!;
            tasks.Add(i);
            scaled.Add(FixedWeight(i) == 1 ? loss : loss * FixedWeight(i));
        }
        return (tasks.ToArray(), scaled.ToArray());
    }

    /// <summary>Records the weights of this step: <paramref name="weights"/>[k] belongs to task <paramref name="tasks"/>[k] and is multiplied by its fixed weight; absent tasks get NaN.</summary>
    protected void ReportWeights(int taskCount, int[] tasks, IReadOnlyList<double> weights)
    {
        var all = new double[taskCount];
        Array.Fill(all, double.NaN);
        for (var k = 0; k < tasks.Length; k++) all[tasks[k]] = weights[k] * FixedWeight(tasks[k]);
        _weights = all;
    }

    /// <summary>Σₖ wₖ·lossₖ as a scalar tensor.</summary>
    protected static Tensor WeightedSum(IReadOnlyList<Tensor> losses, IReadOnlyList<double> weights)
    {
        var total = losses[0] * weights[0];
        for (var k = 1; k < losses.Count; k++) total = total + losses[k] * weights[k];
        return total;
    }

    /// <summary>Shared, task, then the method's own parameters: what a combined objective is differentiated for.</summary>
    protected IReadOnlyList<Parameter> AllParameters(WeightingContext context) =>
        [.. context.SharedParameters, .. context.TaskParameters, .. parameters()];

    /// <summary>
    /// <paramref name="value"/> when it is a valid value of <paramref name="option"/> of
    /// <paramref name="method"/> in <see cref="WeightingCatalog"/> (its range or its words: the
    /// check the language and <see cref="Create"/> make), else an
    /// <see cref="ArgumentOutOfRangeException"/> for <paramref name="parameter"/> that names the option.
    /// </summary>
    protected static T CheckOption<T>(string method, string option, T value, string parameter)
        where T : notnull
    {
        var spec = WeightingCatalog.All[method].Option(option) ?? throw new InvalidOperationException($"'{method}' has no option '{option}' in the catalog");
        if (spec.Check(OptionValue.From(value)) is { } error) throw new ArgumentOutOfRangeException(parameter, value, $"'{option}' of '{method}' {error}");
        return value;
    }

    protected internal static double Get(IReadOnlyDictionary<string, double> state, string key) =>
        state.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"weighting state has no '{key}'");
}
