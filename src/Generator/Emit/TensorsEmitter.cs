using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XInputs</c>, <c>XOutputs</c> and <c>XTargets</c>: one tensor per input or task, the
/// examples along the first dimension, each documented with its dtype and shape.
/// </summary>
internal static class TensorsEmitter
{
    private sealed record Member(string Pascal, string Camel, string Doc);

    public static string Inputs(ModelSpec spec)
    {
        var model = spec.Model;
        var members = model.Inputs.Select(i => new Member(i.CSharpName.Pascal, i.CSharpName.Camel,
            Docs.With(i.Doc, $"input {i.Name}: {Types.Element(i.Type.DType)} {Docs.Batch(i.Type.Shape)}."))).ToList();
        return Emit(spec, GeneratedNames.Inputs(model), $"The inputs of {model.Name}: one tensor per input, examples along the first dimension.", members, nullable: false);
    }

    public static string Outputs(ModelSpec spec)
    {
        var model = spec.Model;
        var members = model.Tasks.Select(t => new Member(t.CSharpName.Pascal, t.CSharpName.Camel,
            Docs.With(t.Doc, $"task {t.Name} ({Kind(t)}): {Output(t)}."))).ToList();
        return Emit(spec, GeneratedNames.Outputs(model), $"What {model.Name} computes for a batch: each task's raw output, examples along the first dimension.", members, nullable: false);
    }

    public static string Targets(ModelSpec spec)
    {
        var model = spec.Model;
        var members = model.Tasks.Select(t => new Member(t.CSharpName.Pascal, t.CSharpName.Camel,
            Docs.With(t.Doc, $"task {t.Name} ({Kind(t)}): {Target(t)}; null when this data has no labels for the task."))).ToList();
        return Emit(spec, GeneratedNames.Targets(model), $"The labels of a batch of {model.Name} examples: one tensor per task, examples along the first dimension.", members, nullable: true);
    }

    public static string Kind(TaskHead task) => task.Kind switch
    {
        TaskKind.Binary => "binary",
        TaskKind.Classes => $"classes({task.Size})",
        TaskKind.Regression => $"regression({task.Size})",
        TaskKind.Multilabel => $"multilabel({task.Size})",
        TaskKind.PixelClasses => $"pixel_classes({task.Size})",
        TaskKind.PixelRegression => $"pixel_regression({task.Size})",
        _ => $"token_classes({task.Size})",
    };

    private static string Output(TaskHead task) => task.Kind switch
    {
        TaskKind.Binary => "float [N, 1], one logit",
        TaskKind.Classes => $"float [N, {task.Size}], logits",
        TaskKind.Regression => $"float [N, {task.Size}], values",
        TaskKind.Multilabel => $"float [N, {task.Size}], one logit per label",
        TaskKind.PixelClasses => $"float [N, {task.Size}, {Dims(task, 0)}], logits per pixel",
        TaskKind.PixelRegression => $"float [N, {task.Size}, {Dims(task, 1)}], values per pixel",
        _ => $"float [N, {Dims(task, 0)}, {task.Size}], logits per token",
    };

    /// <summary>The target's per-example dimensions from <paramref name="skip"/> on, as "8, 8".</summary>
    private static string Dims(TaskHead task, int skip) => string.Join(", ", task.Target.Shape.Dimensions.Skip(skip));

    private static string Target(TaskHead task)
    {
        var missing = task.MissingLabels ? task.Kind == TaskKind.Classes ? $" ({task.IgnoreIndex}: missing)" : " (NaN: missing)" : "";
        return task.Kind switch
        {
            TaskKind.PixelClasses => $"long [N, {Dims(task, 0)}], a class in [0, {task.Size}) per pixel ({task.IgnoreIndex}: unlabelled)",
            TaskKind.PixelRegression => $"float [N, {Dims(task, 0)}] (NaN: invalid)",
            TaskKind.TokenClasses => $"long [N, {Dims(task, 0)}], a class in [0, {task.Size}) per token ({task.IgnoreIndex}: padding)",
            TaskKind.Binary => $"float [N, 1], 0 or 1{missing}",
            TaskKind.Classes => $"long [N], a class in [0, {task.Size}){missing}",
            TaskKind.Regression => $"float [N, {task.Size}]{missing}",
            _ => $"float [N, {task.Size}], each 0 or 1{missing}",
        };
    }

    private static string Emit(ModelSpec spec, string name, string summary, IReadOnlyList<Member> members, bool nullable)
    {
        var type = nullable ? Types.Tensor + "?" : Types.Tensor;
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary(summary);
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public sealed partial class {name}"))
            {
                w.Summary($"Creates the {name} from one tensor per member; the caller keeps owning the tensors.");
                foreach (var member in members) w.Param(member.Camel, member.Doc.Split('\n').Last());
                using (w.Block($"public {name}({string.Join(", ", members.Select(m => $"{type} {m.Camel}"))})"))
                {
                    foreach (var member in members) w.Line($"{member.Pascal} = {member.Camel};");
                }
                foreach (var member in members)
                {
                    w.Line();
                    w.Summary(member.Doc);
                    w.Line($"public {type} {member.Pascal} {{ get; }}");
                }
            }
        }
        return w.ToString();
    }
}
