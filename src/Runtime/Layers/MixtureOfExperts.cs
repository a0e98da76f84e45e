using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>
/// <c>mmoe(experts: n, expert: layers, tasks: [a, b])</c>, the multi-gate mixture of experts of
/// Ma et al. (KDD 2018): n experts over one source x and, for each task t, a gate
/// gᵗ(x) = softmax(Wᵗ·flatten(x) + bᵗ) over the experts; task t's output is
/// Σᵢ gᵗᵢ(x)·expertᵢ(x). The parts are named <c>experts.{i}.*</c> and <c>gates.{task}.*</c>.
/// In training mode it also sums each task's gate weights per expert over the examples it sees,
/// so the trainer can log their mean per epoch (<see cref="TakeGateMeans"/>).
/// </summary>
public sealed class MixtureOfExperts : nn.Module<Tensor, IReadOnlyDictionary<string, Tensor>>, IGatedExperts
{
    private readonly GateTally _tally = new();

    /// <param name="experts">The experts, all with the same output shape.</param>
    /// <param name="gates">One linear layer per task, from the source's values (flattened) to one logit per expert.</param>
    public MixtureOfExperts(IReadOnlyList<Sequential> experts, IReadOnlyList<(string Task, Linear Gate)> gates) : base(nameof(MixtureOfExperts))
    {
        ArgumentNullException.ThrowIfNull(experts);
        ArgumentNullException.ThrowIfNull(gates);
        if (experts.Count == 0) throw new ArgumentException("a mixture needs at least one expert", nameof(experts));
        if (gates.Count == 0) throw new ArgumentException("a mixture needs at least one task gate", nameof(gates));
        foreach (var (task, gate) in gates)
        {
            if (gate.out_features != experts.Count)
            {
                throw new ArgumentException($"the gate of task '{task}' has {gate.out_features} outputs, one per expert is {experts.Count}", nameof(gates));
            }
        }
        if (gates.Select(g => g.Task).Distinct(StringComparer.Ordinal).Count() != gates.Count)
        {
            throw new ArgumentException("each task has one gate: a task is listed twice", nameof(gates));
        }
        Experts = new ModuleList<Sequential>(experts.ToArray());
        Gates = new ModuleDict<Linear>(gates.Select(g => (g.Task, g.Gate)).ToArray());
        register_module("experts", Experts);
        register_module("gates", Gates);
    }

    /// <summary>
    /// Builds <paramref name="experts"/> experts with <paramref name="expert"/>, one after another,
    /// then a gate with <paramref name="gate"/> for each task in order (so a seeded libtorch gives
    /// the same weights every time): what a generated model calls.
    /// </summary>
    public MixtureOfExperts(int experts, Func<Sequential> expert, IReadOnlyList<string> tasks, Func<Linear> gate)
        : this(Build(experts, expert), BuildGates(tasks, gate))
    {
    }

    private static Sequential[] Build(int experts, Func<Sequential> expert)
    {
        ArgumentNullException.ThrowIfNull(expert);
        if (experts < 1) throw new ArgumentOutOfRangeException(nameof(experts), experts, "a mixture needs at least one expert");
        return Enumerable.Range(0, experts).Select(_ => expert()).ToArray();
    }

    private static (string, Linear)[] BuildGates(IReadOnlyList<string> tasks, Func<Linear> gate)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(gate);
        return tasks.Select(t => (t, gate())).ToArray();
    }

    /// <summary>The experts, in order: <c>experts.0</c>, <c>experts.1</c>, ...</summary>
    public ModuleList<Sequential> Experts { get; }

    /// <summary>Each task's gate (its linear layer, before the softmax), by task name.</summary>
    public ModuleDict<Linear> Gates { get; }

    /// <summary>The tasks, in the order of the file's <c>tasks</c>.</summary>
    public IEnumerable<string> Tasks => Gates.Keys;

    /// <summary>Each task's gate weights gᵗ(x), <c>[N, experts]</c>: the softmax over the gate's logits for x flattened.</summary>
    public IReadOnlyDictionary<string, Tensor> GateWeights(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var flat = GateInput(input);
        return Gates.ToDictionary(g => g.Key, g => g.Value.forward(flat).softmax(1), StringComparer.Ordinal);
    }

    /// <summary>Each task's mixture of the experts' outputs, by task name.</summary>
    public override IReadOnlyDictionary<string, Tensor> forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var outputs = new Tensor[Experts.Count];
        for (var i = 0; i < outputs.Length; i++) outputs[i] = Experts[i].forward(input);
        var weights = GateWeights(input);
        var mixed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (task, gate) in weights) mixed[task] = ExtractionLevel.Mix(outputs, gate);
        if (training) _tally.Add(weights);
        return mixed;
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double[]> TakeGateMeans() => _tally.Take();

    private static Tensor GateInput(Tensor input) => ExtractionLevel.GateInput(input);
}
