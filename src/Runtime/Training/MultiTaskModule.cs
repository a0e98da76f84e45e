using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>What a multi-task model returns: one output per task and, when it has one, the shared representation.</summary>
public sealed record MultiTaskOutput(IReadOnlyDictionary<string, Tensor> Tasks, Tensor? Shared = null);

/// <summary>
/// A model the trainer can drive: a module whose forward maps named inputs to one output per
/// task, and which says which of its parameters are shared between tasks (the trunk) and which
/// layer is the last shared one (GradNorm measures gradient norms there). A hand-written C# model
/// derives from it; generated models do too.
/// </summary>
public abstract class MultiTaskModule : nn.Module
{
    protected MultiTaskModule(string name) : base(name)
    {
    }

    public abstract MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs);

    /// <summary>
    /// The inputs <see cref="forward"/> reads, with their dtypes and per-example shapes. The
    /// trainer checks training, validation and evaluation data against them before the first
    /// step, so a wrong shape or dtype is reported with the input's name instead of failing inside
    /// a layer. Generated models declare their .mtl inputs; a hand-written model declares none
    /// unless it overrides this (then its data is not checked).
    /// </summary>
    public virtual IReadOnlyList<InputDeclaration> DeclaredInputs => [];

    /// <summary>The modules shared by several tasks (their parameters are the shared parameters).</summary>
    public abstract IEnumerable<nn.Module> SharedModules();

    /// <summary>Parameters of the last shared layer (by default the weight of the last shared module's last layer with one).</summary>
    public virtual IReadOnlyList<Parameter> LastSharedLayer()
    {
        var last = SharedModules().LastOrDefault();
        if (last is null) return [];
        var weight = last.named_parameters().LastOrDefault(p => p.name.EndsWith("weight", StringComparison.Ordinal));
        return weight.parameter is null ? [] : [weight.parameter];
    }

    public IReadOnlyList<Parameter> SharedParameters()
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        return SharedModules().SelectMany(m => m.parameters()).Where(seen.Add).ToList();
    }

    public IReadOnlyList<Parameter> TaskParameters()
    {
        var shared = new HashSet<Tensor>(SharedParameters(), ReferenceEqualityComparer.Instance);
        return parameters().Where(p => !shared.Contains(p)).ToList();
    }
}
