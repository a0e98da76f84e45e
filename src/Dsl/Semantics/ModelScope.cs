using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// The names of one model and what each is bound to so far. A declared name whose binding failed
/// (or sits on a cycle) resolves to null without a new diagnostic, so one mistake is reported once.
/// </summary>
internal sealed class ModelScope
{
    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, MemberSyntax> _declared = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReferenceSource> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Pipeline> _pipelines = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskHead> _tasks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _taskOutputs = new(StringComparer.Ordinal);
    private readonly HashSet<(string Block, string Task)> _readOutputs = new();
    private readonly Dictionary<string, string?> _origins = new(StringComparer.Ordinal);

    public ModelScope(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
    }

    public bool TryDeclare(string name, MemberSyntax declaration)
    {
        if (_declared.ContainsKey(name))
        {
            return false;
        }

        _declared.Add(name, declaration);
        return true;
    }

    public bool IsDeclared(string name) => _declared.ContainsKey(name);

    /// <summary>The declared tasks, in declaration order (whether or not they bound).</summary>
    public IReadOnlyList<string> DeclaredTasks => _declared.Where(d => d.Value is TaskSyntax).Select(d => d.Key).ToList();

    /// <summary>Whether a pipeline has read <c>block.task</c> so far.</summary>
    public bool IsRead(string block, string task) => _readOutputs.Contains((block, task));

    public void AddInput(ModelInput input) =>
        _sources[input.Name] = new ReferenceSource(input.Name, SourceKind.Input, input.Type);

    public void AddShared(SharedBlock block)
    {
        _sources[block.Name] = new ReferenceSource(block.Name, SourceKind.Shared, block.Pipeline.Output);
        _pipelines[block.Name] = block.Pipeline;
        if (TaskOutputsOf(block.Pipeline) is { } tasks)
        {
            _taskOutputs[block.Name] = tasks;
        }
    }

    /// <summary>The tasks a block has one output each for (a mixture of experts: <c>mmoe</c>, <c>cgc</c>, <c>ple</c>; or <c>cross_stitch</c>), or null for a block with one output.</summary>
    public static IReadOnlyList<string>? TaskOutputsOf(Pipeline pipeline) =>
        pipeline.Layers.Count > 0 && pipeline.Layers[pipeline.Layers.Count - 1] is { } mixture && mixture.Kind.HasTaskOutputs()
            ? mixture.Setting["tasks"] is ListValue list ? list.Items.Select(i => i.ToString()).ToList() : []
            : null;

    public void AddTask(TaskHead task)
    {
        _sources[task.Name] = new ReferenceSource(task.Name, SourceKind.Task, task.Pipeline.Output);
        _pipelines[task.Name] = task.Pipeline;
        _tasks[task.Name] = task;
    }

    /// <summary>
    /// Whether the block or task <paramref name="name"/> ends still carrying a padding mask, its own
    /// embedding's or one that arrived with its source (a pipeline reading it starts with that mask).
    /// </summary>
    public bool EndsWithMask(string name) => MaskOrigin(name) is not null;

    /// <summary>The block or task whose embedding made the mask <paramref name="name"/> ends with; null for none.</summary>
    public string? MaskOrigin(string name)
    {
        if (_origins.TryGetValue(name, out var known))
        {
            return known;
        }

        var origin = _pipelines.TryGetValue(name, out var pipeline) ? SequenceMasks.OriginOf(name, pipeline, MaskOrigin) : null;
        if (pipeline is not null)
        {
            _origins[name] = origin;
        }

        return origin;
    }

    /// <summary>A pipeline source by name.</summary>
    public ReferenceSource? Resolve(NameSyntax name)
    {
        if (_taskOutputs.TryGetValue(name.Text, out var tasks))
        {
            var first = tasks.Count > 0 ? tasks[0] : "task";
            _diagnostics.ReportWithFix(
                DiagnosticCode.MixtureReadWhole, name.Span, $"read '{name.Text}.{first}'", name.Text, string.Join(", ", tasks), first);
            return null;
        }

        if (_sources.TryGetValue(name.Text, out var source))
        {
            return source;
        }

        if (!_declared.ContainsKey(name.Text))
        {
            ReportUnknown(name, "input, shared block or task", _declared.Keys);
        }

        return null;
    }

    /// <summary>
    /// <c>block.task</c>: the output of a mixture-of-experts block for one of its tasks; null when
    /// it names nothing (reported) or the block failed.
    /// </summary>
    public ReferenceSource? ResolveMember(MemberAccessSyntax access)
    {
        var (target, member) = (access.Target, access.Member);
        if (!_sources.TryGetValue(target.Text, out var source))
        {
            if (!_declared.ContainsKey(target.Text))
            {
                ReportUnknown(target, "input, shared block or task", _declared.Keys);
            }

            return null;
        }

        if (!_taskOutputs.TryGetValue(target.Text, out var tasks))
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.UnknownTaskOutput, access.Span, $"read '{target.Text}'", target.Text, member.Text,
                $"'{target.Text}' has a single output; only a mixture of experts or cross_stitch has one per task");
            return null;
        }

        if (!tasks.Contains(member.Text))
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.UnknownTaskOutput, member.Span, Suggestions.DidYouMean(member.Text, tasks), target.Text, member.Text,
                $"its outputs are {string.Join(", ", tasks.Select(t => target.Text + "." + t))}; list the task in its 'tasks' to add one");
            return null;
        }

        _readOutputs.Add((target.Text, member.Text));
        return source with { Member = member.Text };
    }

    /// <summary>A shared block or task named by a parameter group or a tie.</summary>
    public Pipeline? ResolveBlock(NameSyntax name, string context)
    {
        if (_pipelines.TryGetValue(name.Text, out var pipeline))
        {
            return pipeline;
        }

        if (!_declared.TryGetValue(name.Text, out var declaration))
        {
            ReportUnknown(name, "shared block or task", _declared.Where(d => d.Value is not InputSyntax).Select(d => d.Key));
        }
        else if (declaration is InputSyntax)
        {
            _diagnostics.Report(DiagnosticCode.NotABlock, name.Span, name.Text, context);
        }

        return null;
    }

    /// <summary>
    /// Checks <c>loss</c> (the total validation loss) or <c>task.metric</c> (a metric the task
    /// reports, or its <c>loss</c>); null when it names nothing (reported) or its task failed.
    /// </summary>
    public (string? Task, string Metric)? ResolveMonitor(string owner, string monitor, SourceSpan span)
    {
        if (monitor == TaskCatalog.LossMetric)
        {
            return (null, monitor);
        }

        var dot = monitor.IndexOf('.');
        string task = monitor.Substring(0, dot), metric = monitor.Substring(dot + 1);
        if (!_tasks.TryGetValue(task, out var head))
        {
            if (!(_declared.TryGetValue(task, out var declaration) && declaration is TaskSyntax))
            {
                var tasks = _declared.Where(d => d.Value is TaskSyntax).Select(d => d.Key).ToArray();
                _diagnostics.ReportWithFix(
                    DiagnosticCode.UnknownMonitorTask, span, Suggestions.DidYouMean(task, tasks), owner, Lexer.Quote(task));
            }

            return null;
        }

        var reported = head.Metrics.Concat([TaskCatalog.LossMetric]).ToArray();
        if (!reported.Contains(metric))
        {
            _diagnostics.ReportWithFix(
                DiagnosticCode.UnknownMonitorMetric,
                span,
                Suggestions.DidYouMean(metric, reported),
                task,
                Lexer.Quote(metric),
                string.Join(", ", reported));
            return null;
        }

        return (task, metric);
    }

    private void ReportUnknown(NameSyntax name, string what, IEnumerable<string> candidates) =>
        _diagnostics.ReportWithFix(
            DiagnosticCode.UnknownName, name.Span, Suggestions.DidYouMean(name.Text, candidates), what, Lexer.Quote(name.Text));
}
