using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XBlock</c>: an enum of the model's shared blocks and task heads that have parameters, in the
/// model's order, naming what <c>XModel.SaveBlock</c> and <c>XModel.LoadBlock</c> save and load.
/// </summary>
internal static class BlockEmitter
{
    public static string Emit(ModelSpec spec)
    {
        var model = spec.Model;
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary($"The shared blocks and task heads of {model.Name} that have parameters: what {GeneratedNames.Model(model)}.SaveBlock writes and LoadBlock (and the file's init statements) read.");
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public enum {GeneratedNames.Block(model)}"))
            {
                var blocks = WithParameters(model);
                for (var i = 0; i < blocks.Count; i++)
                {
                    if (i > 0) w.Line();
                    w.Summary($"{(blocks[i].IsTask ? "task" : "shared")} {blocks[i].Name}: {blocks[i].ParameterCount} parameters.");
                    w.Line($"{blocks[i].CSharpName.Pascal},");
                }
            }
        }
        return w.ToString();
    }

    /// <summary>A block or task head of the enum.</summary>
    public sealed record Entry(string Name, CSharpName CSharpName, long ParameterCount, bool IsTask);

    /// <summary>The shared blocks and task heads with parameters, in the model's order.</summary>
    public static IReadOnlyList<Entry> WithParameters(MtlModel model)
    {
        var entries = model.SharedBlocks.Select(b => new Entry(b.Name, b.CSharpName, b.ParameterCount, false))
            .Concat(model.Tasks.Select(t => new Entry(t.Name, t.CSharpName, t.ParameterCount, true)))
            .ToDictionary(e => e.Name);
        return model.Order.Select(n => entries[n]).Where(e => e.ParameterCount > 0).ToList();
    }
}
