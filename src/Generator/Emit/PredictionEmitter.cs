using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary><c>XPrediction</c>: what the model predicts for one example, per task in the task's terms.</summary>
internal static class PredictionEmitter
{
    public static string Emit(ModelSpec spec)
    {
        var model = spec.Model;
        var name = GeneratedNames.Prediction(model);
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary($"What {model.Name} predicts for one example: a value, a probability or a class per task.");
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public sealed partial class {name}"))
            {
                using (w.Block($"public {name}({string.Join(", ", model.Tasks.Select(t => $"{Type(t)} {t.CSharpName.Camel}"))})"))
                {
                    foreach (var task in model.Tasks) w.Line($"{task.CSharpName.Pascal} = {task.CSharpName.Camel};");
                }
                foreach (var task in model.Tasks)
                {
                    w.Line();
                    w.Summary(Docs.With(task.Doc, $"task {task.Name} ({TensorsEmitter.Kind(task)}): {Describe(task)}."));
                    w.Line($"public {Type(task)} {task.CSharpName.Pascal} {{ get; }}");
                }
            }
        }
        return w.ToString();
    }

    public static string Type(TaskHead task) => task.Kind switch
    {
        TaskKind.Binary => Types.BinaryPrediction,
        TaskKind.Classes => Types.ClassPrediction,
        TaskKind.Regression => task.Size == 1 ? "float" : "float[]",
        TaskKind.Multilabel => Types.MultilabelPrediction,
        TaskKind.PixelClasses or TaskKind.TokenClasses => "int[]",
        _ => "float[]",
    };

    /// <summary>The runtime call that turns a batch of the task's outputs into one prediction per example.</summary>
    public static string Reader(TaskHead task) => task.Kind switch
    {
        TaskKind.Binary => "Binary",
        TaskKind.Classes => "Classes",
        TaskKind.Regression => task.Size == 1 ? "Scalar" : "Regression",
        TaskKind.Multilabel => "Multilabel",
        TaskKind.PixelClasses => "PixelClasses",
        TaskKind.TokenClasses => "TokenClasses",
        _ => "Regression",
    };

    private static string Describe(TaskHead task) => task.Kind switch
    {
        TaskKind.Binary => "the probability of true",
        TaskKind.Classes => "the most likely class and every class's probability",
        TaskKind.Regression => task.Size == 1 ? "the predicted value" : $"the {task.Size} predicted values",
        TaskKind.Multilabel => "each label's probability",
        TaskKind.PixelClasses => $"the most likely class of each pixel, {task.Target.Shape} in row-major order",
        TaskKind.TokenClasses => "the most likely class of each token",
        _ => $"the predicted values, {task.Target.Shape} in row-major order",
    };
}
