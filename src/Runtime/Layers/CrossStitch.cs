using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Layers;

/// <summary>
/// A cross-stitch unit: a learned T×T matrix α (<c>weight</c>) that mixes T tasks' activations,
/// x̃ₜ = Σⱼ αₜⱼ·xⱼ. It starts at 0.9 on the diagonal and 0.1/(T − 1) elsewhere (each task keeps
/// most of its own activation, as Misra et al. initialise it), or 1 for a single task.
/// </summary>
public sealed class StitchUnit : nn.Module
{
    public StitchUnit(int tasks) : base(nameof(StitchUnit))
    {
        if (tasks < 1) throw new ArgumentOutOfRangeException(nameof(tasks), tasks, "a cross-stitch unit mixes at least one task");
        var values = new double[tasks * tasks];
        for (var i = 0; i < tasks; i++)
        {
            for (var j = 0; j < tasks; j++) values[(i * tasks) + j] = i == j ? (tasks == 1 ? 1.0 : 0.9) : 0.1 / (tasks - 1);
        }
        using var initial = tensor(values.Select(v => (float)v).ToArray(), [tasks, tasks]);
        weight = new Parameter(initial);
        register_parameter("weight", weight);
    }

    /// <summary>α, <c>[T, T]</c>: row t holds what task t takes of each task's activation.</summary>
    public Parameter weight { get; }

    /// <summary>Each task's mix of every task's activation, in the order given.</summary>
    public IReadOnlyList<Tensor> forward(IReadOnlyList<Tensor> activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        var count = weight.size(0);
        if (activations.Count != count) throw new ArgumentException($"this unit mixes {count} tasks, not {activations.Count}", nameof(activations));
        var mixed = new Tensor[activations.Count];
        for (var t = 0; t < mixed.Length; t++)
        {
            var row = weight[t];
            var sum = activations[0] * row[0];
            for (var j = 1; j < activations.Count; j++) sum = sum + (activations[j] * row[j]);
            mixed[t] = sum;
        }
        return mixed;
    }
}

/// <summary>
/// <c>cross_stitch(tower: layers, tasks: [a, b])</c> (Misra et al., CVPR 2016): one tower per task
/// over the same source, cut into segments at each <c>stitch</c>; after each segment but the last
/// a <see cref="StitchUnit"/> mixes the towers' activations. Parts: <c>towers.{task}.{segment}</c>
/// and <c>stitches.{k}.weight</c>.
/// </summary>
public sealed class CrossStitch : nn.Module<Tensor, IReadOnlyDictionary<string, Tensor>>
{
    /// <param name="segments">The number of tower segments: one more than the stitches.</param>
    /// <param name="tasks">The tasks, each with its own tower, in the order of the units' rows.</param>
    /// <param name="segment">Builds segment s of a tower; called for each task in order, segment by segment.</param>
    public CrossStitch(int segments, IReadOnlyList<string> tasks, Func<int, Sequential> segment) : base(nameof(CrossStitch))
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(segment);
        if (segments < 2) throw new ArgumentOutOfRangeException(nameof(segments), segments, "a cross-stitch has at least one stitch, so at least two segments");
        if (tasks.Count == 0) throw new ArgumentException("a cross-stitch needs at least one task", nameof(tasks));
        if (tasks.Distinct(StringComparer.Ordinal).Count() != tasks.Count) throw new ArgumentException("each task has one tower: a task is listed twice", nameof(tasks));
        Towers = new ModuleDict<ModuleList<Sequential>>(tasks.Select(t => (t, new ModuleList<Sequential>(Enumerable.Range(0, segments).Select(segment).ToArray()))).ToArray());
        Stitches = new ModuleList<StitchUnit>(Enumerable.Range(0, segments - 1).Select(_ => new StitchUnit(tasks.Count)).ToArray());
        register_module("towers", Towers);
        register_module("stitches", Stitches);
    }

    /// <summary>Each task's tower, by task name, as its segments between stitches.</summary>
    public ModuleDict<ModuleList<Sequential>> Towers { get; }

    /// <summary>The units, one per stitch in the tower's order.</summary>
    public ModuleList<StitchUnit> Stitches { get; }

    public override IReadOnlyDictionary<string, Tensor> forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var tasks = Towers.Keys.ToList();
        IReadOnlyList<Tensor> activations = tasks.Select(_ => input).ToList();
        var segments = Towers.Values.First().Count;
        for (var s = 0; s < segments; s++)
        {
            var segment = s;
            activations = tasks.Select((t, i) => Towers[t][segment].forward(activations[i])).ToList();
            if (s < Stitches.Count) activations = Stitches[s].forward(activations);
        }
        return tasks.Select((t, i) => (t, activations[i])).ToDictionary(p => p.t, p => p.Item2, StringComparer.Ordinal);
    }
}
