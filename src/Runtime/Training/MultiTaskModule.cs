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
    private readonly List<nn.Module> _frozen = new();

    protected MultiTaskModule(string name) : base(name)
    {
    }

    /// <summary>The modules held fixed by <see cref="Freeze"/>, in the order they were frozen.</summary>
    public IReadOnlyList<nn.Module> FrozenModules => _frozen;

    /// <summary>
    /// Holds a module of this model fixed, for transfer learning: its parameters stop requiring
    /// gradients (so they take no gradient and the trainer leaves them out of its updates, L2 and
    /// weighting), and it stays in evaluation mode whatever <see cref="train"/> sets, so its
    /// batch-norm statistics stay as they are and its dropout is off. The trainer freezes
    /// <see cref="TrainerOptions.Frozen"/>. Freezing a module twice changes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The module is not part of this model.</exception>
    public void Freeze(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (_frozen.Contains(module, ReferenceEqualityComparer.Instance)) return;
        if (!modules().Contains(module, ReferenceEqualityComparer.Instance))
        {
            throw new ArgumentException($"{module.GetName} is not a module of {GetName}, so {GetName} cannot freeze it", nameof(module));
        }
        foreach (var parameter in module.parameters()) parameter.requires_grad = false;
        module.eval();
        _frozen.Add(module);
    }

    /// <summary>
    /// Lets a module frozen by <see cref="Freeze"/> train again (a stage that froze it has ended):
    /// its parameters require gradients and it takes the model's mode. A module that is not
    /// frozen is left as it is.
    /// </summary>
    public void Unfreeze(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var index = _frozen.FindIndex(m => ReferenceEquals(m, module));
        if (index < 0) return;
        _frozen.RemoveAt(index);
        foreach (var parameter in module.parameters()) parameter.requires_grad = true;
        module.train(training);
    }

    /// <summary>Sets the mode of every module, except that frozen modules stay in evaluation mode.</summary>
    public override nn.Module train(bool mode = true)
    {
        base.train(mode);
        foreach (var module in _frozen) module.train(false);
        return this;
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

    /// <summary>
    /// The inputs the model standardises in <see cref="forward"/> (a generated forward applies
    /// them), by input name. The trainer fits each one that is not fitted yet on the training
    /// data's inputs before the first step. The standardizers must be registered modules of the
    /// model, so their statistics are in its state.
    /// </summary>
    public virtual IReadOnlyDictionary<string, Standardizer> InputStandardizers => NoStandardizers;

    /// <summary>
    /// The regression tasks whose targets are standardised, by task name: the model's output for
    /// such a task is in standardised units. The trainer fits each one that is not fitted yet on
    /// the task's training targets, computes the task's loss against standardised targets, and
    /// measures its metrics in the original units (<see cref="OriginalUnits(string, Tensor)"/>).
    /// </summary>
    public virtual IReadOnlyDictionary<string, Standardizer> TargetStandardizers => NoStandardizers;

    private static readonly IReadOnlyDictionary<string, Standardizer> NoStandardizers = new Dictionary<string, Standardizer>();

    private IReadOnlyDictionary<string, IReadOnlyList<string>> _learnedCategories = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>
    /// The inputs whose categories the model learns from the training rows (<c>category island</c>
    /// without a list). Before the first step the trainer takes each one's vocabulary from the
    /// training data (<see cref="Data.MultiTaskDataset.Categories"/>) into
    /// <see cref="LearnedCategories"/>, checking that it fits the embedding the input feeds.
    /// </summary>
    public virtual IReadOnlyList<LearnedCategoryInput> LearnedCategoryInputs => [];

    /// <summary>
    /// The vocabularies learned from the training rows, by input name (see
    /// <see cref="Data.CategoryVocabulary"/>): fixed once learned, saved in checkpoints and restored
    /// by loading one, and used to read the inputs of new data (pass them as
    /// <see cref="Data.CsvOptions.Categories"/>). Empty until the model is trained or loaded.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> LearnedCategories => _learnedCategories;

    /// <summary>Replaces the learned vocabularies (checked by the caller against <see cref="LearnedCategoryInputs"/>).</summary>
    internal void SetLearnedCategories(IReadOnlyDictionary<string, IReadOnlyList<string>> categories) =>
        _learnedCategories = new Dictionary<string, IReadOnlyList<string>>(categories);

    /// <summary>
    /// Task <paramref name="task"/>'s output in the targets' original units: the target
    /// standardizer's inverse when the task has one (a new tensor in the caller's dispose scope),
    /// otherwise <paramref name="output"/> itself (not a copy).
    /// </summary>
    public Tensor OriginalUnits(string task, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return TargetStandardizers.TryGetValue(task, out var standardizer) ? standardizer.Inverse(output) : output;
    }

    /// <summary>Every task's output in original units (see <see cref="OriginalUnits(string, Tensor)"/>); the shared representation is kept as it is.</summary>
    public MultiTaskOutput OriginalUnits(MultiTaskOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output with { Tasks = output.Tasks.ToDictionary(p => p.Key, p => OriginalUnits(p.Key, p.Value)) };
    }

    /// <summary>The modules shared by several tasks (their parameters are the shared parameters).</summary>
    public abstract IEnumerable<nn.Module> SharedModules();

    /// <summary>
    /// Parameters of the last shared layer that trains (by default the weight of the last layer
    /// with one in the last shared module whose parameters train: frozen modules are passed over).
    /// </summary>
    public virtual IReadOnlyList<Parameter> LastSharedLayer()
    {
        var last = SharedModules().LastOrDefault(m => !_frozen.Contains(m, ReferenceEqualityComparer.Instance));
        if (last is null) return [];
        var weight = last.named_parameters().LastOrDefault(p => p.name.EndsWith("weight", StringComparison.Ordinal) && p.parameter.requires_grad);
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
