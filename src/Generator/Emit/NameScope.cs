using Mtl.Dsl.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// Picks names for generated parameters and locals that cannot clash with the locals named after
/// a model's inputs, blocks and tasks (<c>inputs</c> becomes <c>inputs1</c> in a model that has an
/// input called <c>inputs</c>).
/// </summary>
internal sealed class NameScope
{
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    public NameScope(MtlModel model)
    {
        foreach (var input in model.Inputs) _taken.Add(input.CSharpName.Camel.TrimStart('@'));
        foreach (var block in model.SharedBlocks) _taken.Add(block.CSharpName.Camel.TrimStart('@'));
        foreach (var task in model.Tasks) _taken.Add(task.CSharpName.Camel.TrimStart('@'));
    }

    public string Reserve(string preferred)
    {
        var name = preferred;
        for (var i = 1; !_taken.Add(name); i++) name = preferred + i;
        return name;
    }
}
