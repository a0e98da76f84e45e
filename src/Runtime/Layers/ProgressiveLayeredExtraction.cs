using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>
/// One extraction level of <see cref="ProgressiveLayeredExtraction"/>, a customized gate control
/// (CGC) of Tang et al. (RecSys 2020): shared experts, each task's own experts, and for each task
/// t a gate softmax(Wᵗ·flatten(xᵗ) + bᵗ) over t's experts, then the shared ones; task t's output is
/// the gate's mix of those experts' outputs. A level that feeds another also has a shared gate over
/// every expert (the shared ones, then each task's in task order), reading the shared input, whose
/// mix is the next level's shared input. Parts: <c>shared.{i}</c>, <c>specific.{task}.{j}</c>,
/// <c>gates.{task}</c> and <c>shared_gate</c>.
/// </summary>
public sealed class ExtractionLevel : nn.Module
{
    public ExtractionLevel(
        IReadOnlyList<Sequential> shared,
        IReadOnlyList<(string Task, IReadOnlyList<Sequential> Experts, Linear Gate)> tasks,
        Linear? sharedGate) : base(nameof(ExtractionLevel))
    {
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count == 0) throw new ArgumentException("a level needs at least one task", nameof(tasks));
        if (tasks.Select(t => t.Task).Distinct(StringComparer.Ordinal).Count() != tasks.Count)
        {
            throw new ArgumentException("each task has one gate: a task is listed twice", nameof(tasks));
        }
        foreach (var (task, experts, gate) in tasks)
        {
            if (experts.Count + shared.Count == 0) throw new ArgumentException($"task '{task}' has no expert to mix", nameof(tasks));
            if (gate.out_features != experts.Count + shared.Count)
            {
                throw new ArgumentException($"the gate of task '{task}' has {gate.out_features} outputs; its experts and the shared ones are {experts.Count + shared.Count}", nameof(tasks));
            }
        }
        var all = shared.Count + tasks.Sum(t => t.Experts.Count);
        if (sharedGate is not null && sharedGate.out_features != all)
        {
            throw new ArgumentException($"the shared gate has {sharedGate.out_features} outputs; the level has {all} experts", nameof(sharedGate));
        }
        Shared = new ModuleList<Sequential>(shared.ToArray());
        Specific = new ModuleDict<ModuleList<Sequential>>(tasks.Select(t => (t.Task, new ModuleList<Sequential>(t.Experts.ToArray()))).ToArray());
        Gates = new ModuleDict<Linear>(tasks.Select(t => (t.Task, t.Gate)).ToArray());
        SharedGate = sharedGate;
        register_module("shared", Shared);
        register_module("specific", Specific);
        register_module("gates", Gates);
        if (sharedGate is not null) register_module("shared_gate", sharedGate);
    }

    public ModuleList<Sequential> Shared { get; }

    /// <summary>Each task's own experts, by task name.</summary>
    public ModuleDict<ModuleList<Sequential>> Specific { get; }

    /// <summary>Each task's gate (its linear layer, before the softmax), by task name.</summary>
    public ModuleDict<Linear> Gates { get; }

    /// <summary>The gate of the shared input for the next level; null in the last level.</summary>
    public Linear? SharedGate { get; }

    /// <summary>
    /// Each task's mixture (and, when the level has a shared gate, the next level's shared input),
    /// with each gate's weights <c>[N, experts]</c>.
    /// </summary>
    /// <param name="shared">The input of the shared experts and the shared gate.</param>
    /// <param name="tasks">The input of each task's experts and gate.</param>
    public (IReadOnlyDictionary<string, Tensor> Tasks, Tensor? Shared, IReadOnlyDictionary<string, Tensor> Weights) Forward(
        Tensor shared, IReadOnlyDictionary<string, Tensor> tasks)
    {
        ArgumentNullException.ThrowIfNull(shared);
        ArgumentNullException.ThrowIfNull(tasks);
        var sharedOutputs = Shared.Select(e => e.forward(shared)).ToList();
        var specificOutputs = Specific.ToDictionary(p => p.Key, p => p.Value.Select(e => e.forward(tasks[p.Key])).ToList(), StringComparer.Ordinal);
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (task, gate) in Gates)
        {
            var g = gate.forward(GateInput(tasks[task])).softmax(1);
            weights[task] = g;
            outputs[task] = Mix([.. specificOutputs[task], .. sharedOutputs], g);
        }
        Tensor? next = null;
        if (SharedGate is not null)
        {
            var g = SharedGate.forward(GateInput(shared)).softmax(1);
            next = Mix([.. sharedOutputs, .. Specific.Keys.SelectMany(t => specificOutputs[t])], g);
        }
        return (outputs, next, weights);
    }

    /// <summary>Σᵢ gᵢ·expertᵢ over the experts' outputs, the weights broadcast over each output's values.</summary>
    internal static Tensor Mix(IReadOnlyList<Tensor> experts, Tensor weights)
    {
        var stacked = stack(experts, 1); // [N, n, ...]
        var shape = new long[stacked.dim()];
        shape[0] = weights.size(0);
        shape[1] = weights.size(1);
        for (var d = 2; d < shape.Length; d++) shape[d] = 1;
        return (stacked * weights.reshape(shape)).sum(1);
    }

    internal static Tensor GateInput(Tensor input) => input.dim() == 1 ? input.reshape(input.size(0), 1) : input.flatten(1);
}

/// <summary>
/// <c>cgc(...)</c> and <c>ple(levels: L, ...)</c>, progressive layered extraction (Tang et al.,
/// RecSys 2020): L <see cref="ExtractionLevel"/>s, the first reading the source for every task and
/// the shared experts, each later one reading the previous level's task outputs and its shared
/// mix; <c>cgc</c> is one level. Parts: <c>levels.{l}.*</c>. In training mode it sums the last
/// level's gate weights per task and expert, for the trainer's per-epoch log (<see cref="TakeGateMeans"/>).
/// </summary>
public sealed class ProgressiveLayeredExtraction : nn.Module<Tensor, IReadOnlyDictionary<string, Tensor>>, IGatedExperts
{
    private readonly GateTally _tally = new();

    public ProgressiveLayeredExtraction(IReadOnlyList<ExtractionLevel> levels) : base(nameof(ProgressiveLayeredExtraction))
    {
        ArgumentNullException.ThrowIfNull(levels);
        if (levels.Count == 0) throw new ArgumentException("at least one level", nameof(levels));
        for (var l = 0; l < levels.Count; l++)
        {
            var last = l == levels.Count - 1;
            if (last != (levels[l].SharedGate is null))
            {
                throw new ArgumentException(last ? "the last level has no next level to give a shared gate's mix to" : $"level {l} feeds level {l + 1}, so it needs a shared gate", nameof(levels));
            }
        }
        Levels = new ModuleList<ExtractionLevel>(levels.ToArray());
        register_module("levels", Levels);
    }

    /// <summary>
    /// Builds the levels in order, each with its shared experts, then each task's experts and gate
    /// in task order, then its shared gate (so a seeded libtorch gives the same weights every
    /// time): what a generated model calls. <paramref name="expert"/> and <paramref name="gate"/>
    /// take the level; <paramref name="sharedGate"/> is called for every level but the last (null
    /// for one level).
    /// </summary>
    public ProgressiveLayeredExtraction(
        int levels, int shared, int specific, IReadOnlyList<string> tasks, Func<int, Sequential> expert, Func<int, Linear> gate, Func<int, Linear>? sharedGate)
        : this(Build(levels, shared, specific, tasks, expert, gate, sharedGate))
    {
    }

    private static ExtractionLevel[] Build(
        int levels, int shared, int specific, IReadOnlyList<string> tasks, Func<int, Sequential> expert, Func<int, Linear> gate, Func<int, Linear>? sharedGate)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(expert);
        ArgumentNullException.ThrowIfNull(gate);
        if (levels < 1) throw new ArgumentOutOfRangeException(nameof(levels), levels, "at least one level");
        if (levels > 1 && sharedGate is null) throw new ArgumentNullException(nameof(sharedGate), "every level but the last has a shared gate");
        var built = new ExtractionLevel[levels];
        for (var l = 0; l < levels; l++)
        {
            var level = l;
            var sharedExperts = Enumerable.Range(0, shared).Select(_ => expert(level)).ToArray();
            var perTask = tasks.Select(t => (t, (IReadOnlyList<Sequential>)Enumerable.Range(0, specific).Select(_ => expert(level)).ToArray(), gate(level))).ToArray();
            built[l] = new ExtractionLevel(sharedExperts, perTask, l < levels - 1 ? sharedGate!(level) : null);
        }
        return built;
    }

    public ModuleList<ExtractionLevel> Levels { get; }

    public IEnumerable<string> Tasks => Levels[0].Gates.Keys;

    public override IReadOnlyDictionary<string, Tensor> forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var shared = input;
        IReadOnlyDictionary<string, Tensor> tasks = Tasks.ToDictionary(t => t, _ => input, StringComparer.Ordinal);
        IReadOnlyDictionary<string, Tensor> weights = new Dictionary<string, Tensor>();
        foreach (var level in Levels)
        {
            var (outputs, next, w) = level.Forward(shared, tasks);
            tasks = outputs;
            weights = w;
            if (next is not null) shared = next;
        }
        if (training) _tally.Add(weights);
        return tasks;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double[]> TakeGateMeans() => _tally.Take();
}
