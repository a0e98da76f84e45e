using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XExample</c>: one example as .NET values, an array per tensor input (flat, row-major), a
/// value per scalar input, and each task's label in its natural type (nullable where the task
/// allows missing labels).
/// </summary>
internal static class ExampleEmitter
{
    public static string Emit(ModelSpec spec)
    {
        var model = spec.Model;
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary($"One example of {model.Name} as .NET values: its inputs and, for training and evaluation, its labels.");
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public sealed partial class {GeneratedNames.Example(model)}"))
            {
                var first = true;
                foreach (var input in model.Inputs)
                {
                    if (!first) w.Line();
                    first = false;
                    var shape = input.Type.Shape;
                    var what = shape.Rank == 0
                        ? $"input {input.Name}: one {Types.Element(input.Type.DType)}."
                        : $"input {input.Name}: {input.Type}, {shape.ElementCount} values{(shape.Rank > 1 ? " in row-major order" : "")}.";
                    w.Summary(Docs.With(input.Doc, what));
                    w.Line($"public required {InputType(input)} {input.CSharpName.Pascal} {{ get; init; }}");
                }
                foreach (var task in model.Tasks)
                {
                    w.Line();
                    w.Summary(Docs.With(task.Doc, $"task {task.Name} ({TensorsEmitter.Kind(task)}): {LabelDoc(task)}."));
                    var required = task.MissingLabels ? "" : "required ";
                    w.Line($"public {required}{LabelType(task)} {task.CSharpName.Pascal} {{ get; init; }}");
                }
            }
        }
        return w.ToString();
    }

    public static string InputType(ModelInput input) =>
        input.Type.Shape.Rank == 0 ? Types.Element(input.Type.DType) : Types.Element(input.Type.DType) + "[]";

    /// <summary>The .NET type of a task's label: bool, int, float, float[], bool[] or (per pixel or token) int[], nullable when labels may be missing.</summary>
    public static string LabelType(TaskHead task)
    {
        var type = task.Kind switch
        {
            TaskKind.Binary => "bool",
            TaskKind.Classes => "int",
            TaskKind.Regression => task.Size == 1 ? "float" : "float[]",
            TaskKind.Multilabel => "bool[]",
            TaskKind.PixelClasses or TaskKind.TokenClasses => "int[]",
            _ => "float[]",
        };
        return task.MissingLabels ? type + "?" : type;
    }

    private static string LabelDoc(TaskHead task)
    {
        var label = task.Kind switch
        {
            TaskKind.Binary => "true or false",
            TaskKind.Classes => $"a class in [0, {task.Size})",
            TaskKind.Regression => task.Size == 1 ? "a value" : $"{task.Size} values (a NaN element is missing)",
            TaskKind.Multilabel => $"{task.Size} labels, each true or false",
            TaskKind.PixelClasses => $"{task.Target.Shape} = {task.Target.Shape.ElementCount} classes in [0, {task.Size}) in row-major order ({task.IgnoreIndex}: an unlabelled pixel)",
            TaskKind.TokenClasses => $"{task.Target.Shape.ElementCount} classes in [0, {task.Size}), one per token ({task.IgnoreIndex}: padding)",
            _ => $"{task.Target.Shape} = {task.Target.Shape.ElementCount} values in row-major order (NaN: an invalid value)",
        };
        return task.MissingLabels ? label + "; null when missing" : label + "; required (missing labels are forbidden)";
    }
}
