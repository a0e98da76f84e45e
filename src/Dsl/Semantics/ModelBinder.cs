using Mtl.Dsl.Diagnostics;
using Mtl.Dsl.Model;
using Mtl.Dsl.Syntax;
using Mtl.Dsl.Text;

namespace Mtl.Dsl.Semantics;

/// <summary>
/// Binds one <c>model</c>: declarations and names, the dependency graph and its order, each block
/// and task in that order, unused declarations, C# names, then the settings, training and transfer
/// (<c>init</c>, <c>freeze</c>).
/// </summary>
internal sealed class ModelBinder
{
    private readonly DiagnosticBag _diagnostics;
    private readonly ArgumentBinder _arguments;
    private readonly StatementForms _forms;
    private readonly ModelScope _scope;

    public ModelBinder(DiagnosticBag diagnostics)
    {
        _diagnostics = diagnostics;
        _arguments = new ArgumentBinder(diagnostics);
        _forms = new StatementForms(diagnostics);
        _scope = new ModelScope(diagnostics);
    }

    /// <summary>The model, or null when it has errors (they are reported).</summary>
    public MtlModel? Bind(ModelSyntax model, string? ns, CSharpName? modelName)
    {
        var errors = _diagnostics.ErrorCount;
        var inputs = new List<InputSyntax>();
        var nodes = new List<MemberSyntax>();
        var statements = new List<StatementSyntax>();
        foreach (var member in model.Members)
        {
            if (member is StatementSyntax statement)
            {
                statements.Add(statement);
            }
            else if (Declare(model, member) is { } declared)
            {
                if (declared is InputSyntax input)
                {
                    inputs.Add(input);
                }
                else
                {
                    nodes.Add(declared);
                }
            }
        }

        var names = DeriveNames(inputs.Cast<MemberSyntax>().Concat(nodes), modelName);
        var boundInputs = inputs.Select(i => BindInput(i, names)).ToList();
        var graph = new DependencyGraph(nodes.Select(NameOf).Select(n => n.Text).ToList(), nodes.Select(PipelineOf).ToList());
        var order = graph.TopologicalOrder();
        foreach (var cycle in graph.Cycles(order))
        {
            var path = string.Join(" -> ", cycle.Select(i => NameOf(nodes[i]).Text));
            var start = NameOf(nodes[cycle[0]]);
            _diagnostics.Report(DiagnosticCode.Cycle, start.Span, start.Text, path);
        }

        var pipelines = new PipelineBinder(_diagnostics, _scope);
        var tasks = new TaskBinder(_diagnostics);
        var shared = new List<SharedBlock>();
        var heads = new List<TaskHead>();
        var taskSyntax = new List<TaskSyntax>();
        foreach (var index in order)
        {
            if (nodes[index] is SharedSyntax block)
            {
                if (pipelines.Bind(block.Name.Text, block.Pipeline, shared: true) is { } pipeline && names.TryGetValue(block.Name.Text, out var name))
                {
                    var bound = new SharedBlock(block.Name.Text, name, pipeline, block.Doc);
                    shared.Add(bound);
                    _scope.AddShared(bound);
                }
            }
            else if (nodes[index] is TaskSyntax task &&
                     tasks.Bind(task, names.TryGetValue(task.Name.Text, out var taskName) ? taskName : null, pipelines) is { } head)
            {
                heads.Add(head);
                taskSyntax.Add(task);
                _scope.AddTask(head);
            }
        }

        // Unused declarations are noise while errors stand (a broken reference makes its source look unused).
        if (_diagnostics.ErrorCount == 0)
        {
            ReportUnused(inputs, nodes, graph);
        }

        if (_diagnostics.ErrorCount == errors)
        {
            ReportUnreadTaskOutputs(shared, nodes);
        }

        if (_diagnostics.ErrorCount == errors && boundInputs.All(i => i is not null))
        {
            new DataBinder(_diagnostics).CheckModel(
                inputs.Zip(boundInputs, (syntax, input) => (syntax, input!)).ToList(),
                taskSyntax.Zip(heads, (syntax, head) => (syntax, head)).ToList(),
                shared);
        }

        // A task whose name is a duplicate or failed to parse still counts: its error is already reported.
        if (!model.Members.Any(m => m is TaskSyntax))
        {
            _diagnostics.Report(DiagnosticCode.NoTasks, model.Name.Span, model.Name.Text);
        }

        // Each statement at most once, except init (once per block: TransferBinder checks that).
        var transfer = new TransferBinder(_diagnostics, _scope);
        var inits = transfer.BindInits(statements.Where(s => s.Keyword.Text == Keywords.Init));
        var firstOfEach = _forms.FirstOfEach(statements.Where(s => s.Keyword.Text != Keywords.Init));
        StatementSyntax? Statement(string keyword) => firstOfEach.TryGetValue(keyword, out var s) ? s : null;
        var settings = new SettingsBinder(_diagnostics, _scope);
        var weighting = settings.BindWeighting(Statement(Keywords.Weighting));
        var optimizer = settings.BindOptimizer(Statement(Keywords.Optimizer));
        var schedule = settings.BindSchedule(Statement(Keywords.Schedule));
        var regularization = settings.BindRegularize(Statement(Keywords.Regularize), heads.Count == model.Members.Count(m => m is TaskSyntax) ? heads : null);
        var trainingBinder = new TrainingBinder(_diagnostics, _scope);
        var training = trainingBinder.Bind(Statement(Keywords.Train));

        if (weighting is not null && _diagnostics.ErrorCount == errors)
        {
            CheckWeightingNeeds(weighting, Statement(Keywords.Weighting), shared, heads);
        }

        if (weighting is not null && optimizer is not null && training is not null && _diagnostics.ErrorCount == errors)
        {
            transfer.CheckFrozen(model.Name.Text, trainingBinder.Frozen, optimizer, weighting, Statement(Keywords.Weighting), shared, heads);
        }

        if (trainingBinder.Stages.Count > 0 && optimizer is not null && weighting is not null && training is not null && _diagnostics.ErrorCount == errors)
        {
            var stages = new StageBinder(_diagnostics, _scope).Bind(model.Name.Text, trainingBinder.Stages, training, optimizer, weighting, shared, heads);
            training = stages is { } bound ? training with { Stages = bound } : null;
        }

        if (_diagnostics.ErrorCount != errors || modelName is null || weighting is null || optimizer is null ||
            schedule is null || regularization is null || training is null || inits is null || boundInputs.Any(i => i is null))
        {
            return null;
        }

        return new MtlModel(
            model.Name.Text,
            modelName,
            ns,
            model.Doc,
            boundInputs.Select(i => i!).ToEquatableArray(),
            shared.ToEquatableArray(),
            heads.ToEquatableArray(),
            order.Select(i => NameOf(nodes[i]).Text).ToEquatableArray(),
            weighting,
            optimizer,
            regularization.L2,
            schedule.Value,
            training,
            inits.Value)
        {
            Relation = regularization.Relation,
        };
    }

    /// <summary>
    /// GradNorm measures gradient norms at the last shared layer, and a gradient method with
    /// <c>gradients: representation</c> (or <c>mgda(ub: true)</c>) differentiates at the one
    /// representation every task reads: a model without them cannot use the method. A model whose
    /// tasks read different shared blocks (a hierarchy, or several blocks feeding different heads)
    /// has no single representation whose gradient reaches every shared parameter, so it is an
    /// error rather than a choice among them.
    /// </summary>
    private void CheckWeightingNeeds(Setting weighting, StatementSyntax? statement, List<SharedBlock> shared, List<TaskHead> heads)
    {
        if (statement is null)
        {
            return;
        }

        var span = statement.Values.Count > 0 ? statement.Values[0].Span : statement.Keyword.Span;
        if (weighting.Name == "gradnorm" && !shared.Any(b => b.ParameterCount > 0))
        {
            _diagnostics.ReportWithFix(DiagnosticCode.WeightingNeedsShared, span, "read the tasks from a shared block with a layer", "gradnorm",
                "a shared block with parameters (it balances gradient norms at the last shared layer)", "the model has none");
        }
        else if (WeightingCatalog.TakesRepresentation(weighting.Name, weighting.Options.ToDictionary(o => o.Name, o => o.Value, StringComparer.Ordinal)) && MtlModel.SharedRepresentationOf(heads) is null)
        {
            var ub = weighting.Name == "mgda" && weighting.Boolean(WeightingCatalog.UpperBound);
            var spelling = ub ? "mgda(ub: true)" : $"{weighting.Name}(gradients: representation)";
            _diagnostics.ReportWithFix(DiagnosticCode.WeightingNeedsShared, span, $"let every task read one shared block, or drop '{(ub ? "ub" : "gradients")}'", spelling,
                "one shared block that every task reads directly (its gradients are taken there)", "the tasks read different sources: " + Sources(heads));
        }
    }

    /// <summary>What each task reads: <c>'a' reads 'low', 'b' reads a merge</c>.</summary>
    private static string Sources(List<TaskHead> heads) => string.Join(", ", heads.Select(t => $"'{t.Name}' reads " + t.Pipeline.Source switch
    {
        ReferenceSource reference => $"{(reference.Kind == SourceKind.Input ? "input" : reference.Kind == SourceKind.Shared ? "shared block" : "task")} '{reference.Name}'",
        MergeSource merge => merge.Kind == MergeKind.Concat ? "a concat" : "an add",
        _ => "a source",
    }));

    private MemberSyntax? Declare(ModelSyntax model, MemberSyntax member)
    {
        var name = NameOf(member);
        if (name.Text.Length == 0)
        {
            return null; // a parse error, already reported
        }

        if (_scope.TryDeclare(name.Text, member))
        {
            return member;
        }

        _diagnostics.Report(DiagnosticCode.DuplicateName, name.Span, name.Text, model.Name.Text);
        return null;
    }

    private ModelInput? BindInput(InputSyntax input, IReadOnlyDictionary<string, CSharpName> names)
    {
        var dtype = DTypes.Names.ToList().IndexOf(input.DType.Text);
        if (dtype < 0 && input.DType.Text.Length > 0)
        {
            _arguments.ReportUnknownChoice("dtype", input.DType, [.. DTypes.Names]);
        }

        var size = OptionSpec.Int("size", null, ValueRange.AtLeastOne);
        var dimensions = input.Dimensions.Select(d => _arguments.BindValue(ArgumentBinder.Quoted(input.Name.Text), size, d) as IntegerValue).ToList();
        if (dtype < 0 || dimensions.Any(d => d is null) || !names.TryGetValue(input.Name.Text, out var name))
        {
            return null;
        }

        var span = input.Dimensions.Count == 0
            ? input.Name.Span
            : SourceSpan.Between(input.Dimensions[0].Span, input.Dimensions[input.Dimensions.Count - 1].Span);
        var shape = dimensions.Select(d => d!.Value).ToList();
        if (new ShapeInference(_diagnostics).Type($"input '{input.Name.Text}'", (DType)dtype, shape, span) is not { } type)
        {
            return null;
        }

        if (new DataBinder(_diagnostics).BindInput(input, type) is not { } data)
        {
            return null;
        }

        var bound = new ModelInput(input.Name.Text, name, type, input.Doc, data.Source, data.Standardize);
        _scope.AddInput(bound);
        return bound;
    }

    /// <summary>C# names for every declaration; reports names that cannot become one and collisions.</summary>
    private Dictionary<string, CSharpName> DeriveNames(IEnumerable<MemberSyntax> declarations, CSharpName? modelName)
    {
        var names = new Dictionary<string, CSharpName>(StringComparer.Ordinal);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var declaration in declarations)
        {
            var name = NameOf(declaration);
            if (CSharpNames.Derive(name.Text) is not { } derived)
            {
                _diagnostics.Report(DiagnosticCode.InvalidIdentifier, name.Span, name.Text);
                continue;
            }

            if (owners.TryGetValue(derived.Pascal, out var owner))
            {
                _diagnostics.Report(DiagnosticCode.IdentifierCollision, name.Span, owner, name.Text, derived.Pascal);
                continue;
            }

            if (modelName is not null && GeneratedNames.Conflict(modelName.Pascal, derived.Pascal) is { } conflict)
            {
                _diagnostics.ReportWithFix(DiagnosticCode.ReservedName, name.Span, "rename it", name.Text, derived.Pascal, conflict);
                continue;
            }

            owners.Add(derived.Pascal, name.Text);
            names.Add(name.Text, derived);
        }

        return names;
    }

    /// <summary>Warns about inputs and shared blocks that no task reads, directly or through other blocks.</summary>
    private void ReportUnused(List<InputSyntax> inputs, List<MemberSyntax> nodes, DependencyGraph graph)
    {
        var taskIndices = Enumerable.Range(0, nodes.Count).Where(i => nodes[i] is TaskSyntax).ToList();
        if (taskIndices.Count == 0)
        {
            return;
        }

        var reached = graph.ReachableFrom(taskIndices);
        var readNames = new HashSet<string>(
            reached.SelectMany(i => DependencyGraph.SourceNames(PipelineOf(nodes[i]))).Select(n => n.Text),
            StringComparer.Ordinal);
        foreach (var input in inputs.Where(i => !readNames.Contains(i.Name.Text)))
        {
            _diagnostics.ReportWithFix(DiagnosticCode.Unused, input.Name.Span, "remove it or read it in a pipeline", "input", input.Name.Text);
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] is SharedSyntax block && !reached.Contains(i))
            {
                _diagnostics.ReportWithFix(DiagnosticCode.Unused, block.Name.Span, "remove it or read it in a task", "shared block", block.Name.Text);
            }
        }
    }

    /// <summary>
    /// Each task a mixture of experts lists has a gate whose mixture some pipeline must read
    /// (<c>mix.income</c>): an unread one is a gate and parameters that nothing trains.
    /// </summary>
    private void ReportUnreadTaskOutputs(List<SharedBlock> shared, List<MemberSyntax> nodes)
    {
        foreach (var block in shared)
        {
            if (ModelScope.TaskOutputsOf(block.Pipeline) is not { } tasks)
            {
                continue;
            }

            var syntax = nodes.OfType<SharedSyntax>().First(n => n.Name.Text == block.Name);
            var list = MixtureTaskList(syntax.Pipeline);
            foreach (var task in tasks.Where(t => !_scope.IsRead(block.Name, t)))
            {
                var span = list?.Items.OfType<NameSyntax>().FirstOrDefault(n => n.Text == task)?.Span ?? syntax.Name.Span;
                _diagnostics.ReportWithFix(
                    DiagnosticCode.TaskOutputUnread, span, $"read it in task '{task}' ({block.Name}.{task} -> ...) or leave '{task}' out of tasks", block.Name, task);
            }
        }
    }

    /// <summary>The <c>tasks: [...]</c> list of the mixture of experts in a shared block's pipeline.</summary>
    private static ListSyntax? MixtureTaskList(ValueSyntax pipeline) =>
        pipeline is ChainSyntax { Steps.Count: 2 } chain && chain.Steps[1] is CallSyntax call
            ? call.Arguments.FirstOrDefault(a => a.Name?.Text == "tasks")?.Value as ListSyntax
            : null;

    private static NameSyntax NameOf(MemberSyntax member) => member switch
    {
        InputSyntax input => input.Name,
        SharedSyntax shared => shared.Name,
        TaskSyntax task => task.Name,
        _ => ((StatementSyntax)member).Keyword,
    };

    private static ValueSyntax PipelineOf(MemberSyntax member) => member switch
    {
        SharedSyntax shared => shared.Pipeline,
        _ => ((TaskSyntax)member).Pipeline,
    };
}
