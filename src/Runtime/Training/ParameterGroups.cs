using Mtl.Torch;
using Mtl.Torch.Modules;

namespace Mtl.Training;

/// <summary>Splits a model's parameters into optimizer groups by module (a .mtl file's <c>group block(options)</c>).</summary>
public static class ParameterGroups
{
    /// <summary>
    /// One group per listed module with its options, preceded by a group of every parameter in
    /// no listed module (left out when there is none), which takes the optimizer's own options.
    /// A parameter belongs to the first listed module that holds it.
    /// </summary>
    public static IReadOnlyList<ParamGroup> Split(torch.nn.Module model, params (torch.nn.Module Module, IReadOnlyDictionary<string, double> Options)[] groups) =>
        Split(model, [], groups);

    /// <summary>
    /// As the overload without <paramref name="frozen"/>,
    /// leaving out the parameters of the <paramref name="frozen"/> modules (<see cref="TrainerOptions.Frozen"/>):
    /// they take no update, so they belong to no group. A listed module that is frozen is an error.
    /// </summary>
    public static IReadOnlyList<ParamGroup> Split(torch.nn.Module model, IReadOnlyCollection<torch.nn.Module> frozen, params (torch.nn.Module Module, IReadOnlyDictionary<string, double> Options)[] groups)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(frozen);
        ArgumentNullException.ThrowIfNull(groups);
        var taken = new HashSet<Tensor>(frozen.SelectMany(m => m.parameters()), ReferenceEqualityComparer.Instance);
        var frozenGroup = groups.Select(g => g.Module).FirstOrDefault(m => frozen.Contains(m, ReferenceEqualityComparer.Instance));
        if (frozenGroup is not null) throw new ArgumentException($"{frozenGroup.GetName} is frozen, so it cannot have a parameter group", nameof(groups));
        var listed = new List<ParamGroup>();
        foreach (var (module, options) in groups)
        {
            listed.Add(new ParamGroup(module.parameters().Where(taken.Add).ToList(), options: options));
        }
        var rest = model.parameters().Where(p => !taken.Contains(p)).ToList();
        return rest.Count == 0 ? listed : [new ParamGroup(rest), .. listed];
    }
}
