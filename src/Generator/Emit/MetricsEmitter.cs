using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XMetrics</c> (the weighted validation loss and one member per task) and <c>XTaskMetrics</c>
/// per task (its loss and exactly the metrics the file asks of it), read from the trainer's
/// <c>task.metric</c> values.
/// </summary>
internal static class MetricsEmitter
{
    public static string Emit(ModelSpec spec)
    {
        var model = spec.Model;
        var name = GeneratedNames.Metrics(model);
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary($"Validation results of {model.Name}: the weighted loss and each task's loss and metrics.");
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public sealed partial class {name}"))
            {
                var names = new NameScope(model);
                var values = names.Reserve("values");
                w.Summary("Reads the values by their names (loss, task.loss, task.metric), as the trainer's Evaluate returns them.");
                using (w.Block($"public {name}({Types.ReadOnlyDictionary}<string, double> {values})"))
                {
                    w.Line($"global::System.ArgumentNullException.ThrowIfNull({values});");
                    w.Line($"Loss = {values}[\"loss\"];");
                    foreach (var task in model.Tasks) w.Line($"{task.CSharpName.Pascal} = new {GeneratedNames.TaskMetrics(model, task)}({values});");
                }
                w.Line();
                w.Summary("Σ wᵢ·Lᵢ: the tasks' validation losses weighted by their weights in the file.");
                w.Line("public double Loss { get; }");
                foreach (var task in model.Tasks)
                {
                    w.Line();
                    w.Summary($"task {task.Name}: its loss and {string.Join(", ", task.Metrics)}.");
                    w.Line($"public {GeneratedNames.TaskMetrics(model, task)} {task.CSharpName.Pascal} {{ get; }}");
                }
            }
            foreach (var task in model.Tasks)
            {
                w.Line();
                TaskMetrics(w, model, task);
            }
        }
        return w.ToString();
    }

    private static void TaskMetrics(CodeWriter w, MtlModel model, TaskHead task)
    {
        var name = GeneratedNames.TaskMetrics(model, task);
        w.Summary($"The validation results of task {task.Name} ({TensorsEmitter.Kind(task)}); NaN where the data held no label for it.");
        w.Line(SourceFile.GeneratedCodeAttribute);
        using (w.Block($"public sealed partial class {name}"))
        {
            using (w.Block($"internal {name}({Types.ReadOnlyDictionary}<string, double> values)"))
            {
                w.Line($"Loss = values[{Literals.String(task.Name + ".loss")}];");
                foreach (var metric in task.Metrics) w.Line($"{Pascal(metric)} = values[{Literals.String(task.Name + "." + metric)}];");
            }
            w.Line();
            w.Summary($"The task's mean {task.Loss.Name} loss over the labelled examples.");
            w.Line("public double Loss { get; }");
            foreach (var metric in task.Metrics)
            {
                w.Line();
                w.Summary(Describe(metric));
                w.Line($"public double {Pascal(metric)} {{ get; }}");
            }
        }
    }

    /// <summary><c>macro_f1</c> becomes <c>MacroF1</c>.</summary>
    public static string Pascal(string metric) =>
        string.Concat(metric.Split('_').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));

    private static string Describe(string metric) => metric switch
    {
        "accuracy" => "The share of labelled examples predicted right.",
        "macro_f1" => "F1 averaged over the classes (or labels), each class counting the same.",
        "auc" => "The area under the ROC curve (averaged over labels for multilabel tasks).",
        "mae" => "The mean absolute error.",
        "rmse" => "The root of the mean squared error.",
        "mse" => "The mean squared error.",
        "r2" => "The coefficient of determination, R².",
        "miou" => "The mean intersection over union over the classes present in the predictions or targets of the set.",
        "abs_err" => "The mean absolute error over valid pixels.",
        "rel_err" => "The mean absolute error relative to the target over valid pixels.",
        "mean_angle" => "The mean angle in degrees between predicted and target vectors over valid pixels.",
        "entity_f1" => "F1 over entities read from BIO tags (seqeval's default rules), padding ignored.",
        _ => metric,
    };
}
