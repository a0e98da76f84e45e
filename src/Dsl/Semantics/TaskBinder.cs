using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Shared = Mtl.Catalog;

namespace Mtl.Dsl.Semantics;

/// <summary>Binds a task: its kind, pipeline (checked against the kind's output), loss, weight and metrics.</summary>
internal sealed class TaskBinder
{
    private const string Missing = "missing";

    private readonly DiagnosticBag _diagnostics;
    private readonly ArgumentBinder _arguments;
    private readonly StatementForms _forms;

    public TaskBinder(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
        _arguments = new ArgumentBinder(diagnostics);
        _forms = new StatementForms(diagnostics);
    }

    public TaskHead? Bind(TaskSyntax task, CSharpName? name, PipelineBinder pipelines)
    {
        var taskName = task.Name.Text;
        var kindSetting = _arguments.BindSetting(TaskCatalog.KindSignatures, "task kind", task.Kind);
        var pipeline = pipelines.Bind(taskName, task.Pipeline);
        TaskKind? kind = kindSetting is null ? null : TaskCatalog.Kinds[kindSetting.Name].Kind;
        var size = kind switch
        {
            null or TaskKind.Binary => 1,
            TaskKind.Regression => (int)kindSetting!.Integer("n"),
            TaskKind.PixelRegression => (int)kindSetting!.Integer("c"),
            _ => (int)kindSetting!.Integer("k"),
        };

        var ignore = kindSetting?["ignore"] is IntegerValue { Value: var written } ? written : Shared.TaskCatalog.IgnoreIndex;
        var ignoreFits = true;
        if (kind is { } classKind && Shared.TaskCatalog.HasClassTargets(classKind) && Shared.TaskCatalog.CheckIgnore(ignore, size) is { } ignoreError)
        {
            _diagnostics.ReportWithFix(DiagnosticCode.IgnoreIsAClass, task.Kind.Span, "a value outside the classes, such as 255 or -1", taskName, ignoreError);
            ignoreFits = false;
        }

        var outputFits = false;
        if (kind is { } known && pipeline is not null)
        {
            outputFits = CheckOutput(task, known, size, pipeline.Output);
        }

        var body = _forms.Body(task.Body, "task", TaskCatalog.Statements);
        var loss = BindLoss(body.TryGetValue("loss", out var lossSyntax) ? lossSyntax : null, taskName, kind, size);
        var weight = BindWeight(body.TryGetValue("weight", out var weightSyntax) ? weightSyntax : null, taskName);
        var metrics = BindMetrics(body.TryGetValue("metrics", out var metricsSyntax) ? metricsSyntax : null, taskName, kind, size);
        var missingLabels = BindMissingLabels(body.TryGetValue(Missing, out var missingSyntax) ? missingSyntax : null);
        var data = kind is { } dataKind ? new DataBinder(_diagnostics).BindTask(taskName, dataKind, size, body) : null;

        if (kind is not { } taskKind || name is null || pipeline is null || (!outputFits && Shared.TaskCatalog.IsDense(taskKind)) || loss is null || weight is null ||
            metrics is null || missingLabels is null || data is not { } bound || !ignoreFits)
        {
            return null;
        }

        return new TaskHead(
            taskName,
            name,
            taskKind,
            size,
            pipeline,
            loss,
            weight.Value,
            metrics.Value,
            missingLabels.Value,
            TaskCatalog.Target(taskKind, size, pipeline.Output.Shape),
            task.Doc,
            bound.Label,
            bound.Standardize,
            ignore);
    }

    private bool CheckOutput(TaskSyntax task, TaskKind kind, int size, TensorType output)
    {
        if (Shared.TaskCatalog.IsDense(kind))
        {
            if (TaskCatalog.FitsDense(kind, size, output.Shape) && output.DType.IsFloatingPoint())
            {
                return true;
            }

            // H, W and T come from the pipeline: the message names the shape the kind needs and the one it has.
            var denseFix = kind == TaskKind.TokenClasses
                ? $"end the pipeline with one value per class and token, such as 'linear({size})' over [T, features]"
                : $"end the pipeline with 'conv2d({size}, kernel: 1)' over [channels, H, W] features";
            _diagnostics.ReportWithFix(
                DiagnosticCode.TaskOutputMismatch,
                task.Pipeline.Span,
                denseFix,
                task.Name.Text,
                TaskCatalog.Describe(kind, size),
                TaskCatalog.DenseOutput(kind, size),
                output);
            return false;
        }

        var expected = TaskCatalog.OutputShape(kind, size);
        if (output.Shape.Equals(expected) && output.DType.IsFloatingPoint())
        {
            return true;
        }

        var fix = output.Shape.Rank == 1
            ? $"end the pipeline with 'linear({expected.Dimensions[0]})'"
            : $"end the pipeline with 'flatten -> linear({expected.Dimensions[0]})'";
        _diagnostics.ReportWithFix(
            DiagnosticCode.TaskOutputMismatch,
            task.Pipeline.Span,
            fix,
            task.Name.Text,
            TaskCatalog.Describe(kind, size),
            expected,
            output);
        return false;
    }

    private Setting? BindLoss(StatementSyntax? statement, string task, TaskKind? kind, int size)
    {
        var allowed = kind is { } k ? TaskCatalog.LossesFor(k) : null;
        if (statement is null)
        {
            return allowed is null ? null : _arguments.Bind(TaskCatalog.Losses[allowed[0]], [], default)!;
        }

        if (_forms.SingleValue(statement, "a loss: loss cross_entropy(label_smoothing: 0.1)") is not { } value ||
            _arguments.BindSetting(TaskCatalog.Losses, "loss", value) is not { } loss || allowed is null)
        {
            return null;
        }

        if (!allowed.Contains(loss.Name))
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.LossDoesNotFit,
                value.Span,
                "use " + string.Join(" or ", allowed),
                loss.Name,
                task,
                TaskCatalog.Describe(kind!.Value, size));
            return null;
        }

        if (Shared.LossCatalog.CheckSize(loss.Name, size) is { } sizeError)
        {
            _diagnostics.Report(DiagnosticCode.SizeDoesNotFit, value.Span, task, TaskCatalog.Describe(kind!.Value, size), sizeError);
            return null;
        }

        if (loss["class_weights"] is ListValue weights && weights.Items.Count != size)
        {
            _diagnostics.Report(DiagnosticCode.ClassWeightsLength, value.Span, size, task, weights.Items.Count);
            return null;
        }

        // One number weighs every label alike; a list gives one weight per label.
        if (loss["pos_weight"] is ListValue positive && positive.Items.Count != size)
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.PosWeightLength, value.Span, "give one number for every label alike, or one per label", size, task, positive.Items.Count);
            return null;
        }

        return loss;
    }

    private double? BindWeight(StatementSyntax? statement, string task)
    {
        if (statement is null)
        {
            return 1.0;
        }

        return _forms.SingleValue(statement, "a number: weight 0.5") is { } value &&
               _arguments.BindValue($"task '{task}'", TaskCatalog.Weight, value) is NumberValue weight
            ? weight.Value
            : null;
    }

    private EquatableArray<string>? BindMetrics(StatementSyntax? statement, string task, TaskKind? kind, int size)
    {
        var allowed = kind is { } k ? TaskCatalog.MetricsFor(k) : null;
        if (statement is null)
        {
            return kind is { } defaultKind ? TaskCatalog.DefaultMetrics(defaultKind).ToEquatableArray() : null;
        }

        if (!_forms.Check(statement, "metric names: metrics accuracy, auc", statement.Values.Count > 0 && statement.Arguments is null && statement.Body is null))
        {
            return null;
        }

        var metrics = new List<string>();
        var ok = true;
        foreach (var value in statement.Values)
        {
            if (value is not NameSyntax name)
            {
                _diagnostics.Report(DiagnosticCode.StatementForm, value.Span, "metrics", "metric names: metrics accuracy, auc");
                ok = false;
            }
            else if (!TaskCatalog.AllMetrics.Contains(name.Text))
            {
                _arguments.ReportUnknownChoice("metric", name, [.. TaskCatalog.AllMetrics]);
                ok = false;
            }
            else if (allowed is not null && !allowed.Contains(name.Text))
            {
                _diagnostics.ReportWithFix(
                    DiagnosticCode.MetricDoesNotFit,
                    name.Span,
                    "use " + string.Join(", ", allowed),
                    name.Text,
                    task,
                    TaskCatalog.Describe(kind!.Value, size));
                ok = false;
            }
            else if (kind is { } sizedKind && Shared.MetricCatalog.CheckSize(name.Text, sizedKind, size) is { } sizeError)
            {
                _diagnostics.Report(DiagnosticCode.SizeDoesNotFit, name.Span, task, TaskCatalog.Describe(sizedKind, size), sizeError);
                ok = false;
            }
            else if (metrics.Contains(name.Text))
            {
                _diagnostics.Report(DiagnosticCode.DuplicateArgument, name.Span, name.Text, "metrics");
                ok = false;
            }
            else
            {
                metrics.Add(name.Text);
            }
        }

        return ok && allowed is not null ? metrics.ToEquatableArray() : null;
    }

    /// <summary><c>missing labels allowed</c> or <c>missing labels forbidden</c>; allowed when absent.</summary>
    private bool? BindMissingLabels(StatementSyntax? statement)
    {
        if (statement is null)
        {
            return true;
        }

        var values = statement.Values;
        var ok = statement is { Arguments: null, Body: null } && values.Count == 2 &&
                 values[0] is NameSyntax { Text: "labels" } && values[1] is NameSyntax { Text: "allowed" or "forbidden" };
        return _forms.Check(statement, "'missing labels allowed' or 'missing labels forbidden'", ok)
            ? ((NameSyntax)values[1]).Text == "allowed"
            : null;
    }
}
