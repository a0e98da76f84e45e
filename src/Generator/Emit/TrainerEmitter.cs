using System.Globalization;
using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XTrainer</c>: the file's tasks, optimizer with its parameter groups, schedule, weighting,
/// regularisation, ties and loop settings over the runtime's <c>Trainer</c>, with typed
/// <c>Fit</c>, <c>Evaluate</c>, <c>Predict</c>, <c>Save</c> and <c>Load</c>, and (for a file of
/// two or more tasks without stages) <c>CompareWithSingleTask</c>.
/// </summary>
internal static class TrainerEmitter
{
    public static string Emit(ModelSpec spec)
    {
        var model = spec.Model;
        var name = GeneratedNames.Trainer(model);
        var modelType = GeneratedNames.Model(model);
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary($"Trains {GeneratedNames.Model(model)} as {spec.FileName} says: {Summary(model)}. Dispose it to free the model, optimizer and weighting.");
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public sealed partial class {name} : global::System.IDisposable"))
            {
                w.Line($"private readonly {Types.Trainer} _trainer;");
                w.Line();
                Tasks(w, model);
                w.Line();
                DefaultOptions(w, model, spec.FileName);
                w.Line();
                Constructor(w, model, name, modelType);
                w.Line();
                Properties(w, model, modelType);
                w.Line();
                CreateOptimizer(w, model, modelType);
                w.Line();
                if (model.Training.Stages.Count > 0)
                {
                    CreateStages(w, model, modelType, spec.FileName);
                    w.Line();
                }
                Fit(w, model);
                w.Line();
                if (model.Training.Stages.Count == 0 && model.Tasks.Count > 1)
                {
                    // A staged run says which tasks train in each stage: it has no single-task counterpart.
                    Compare(w, model, name);
                    w.Line();
                }
                w.Summary("Evaluates on a dataset: the weighted loss and each task's loss and metrics.");
                w.Line($"public {GeneratedNames.Metrics(model)} Evaluate({GeneratedNames.Dataset(model)} data) => new {GeneratedNames.Metrics(model)}(_trainer.Evaluate((data ?? throw new global::System.ArgumentNullException(nameof(data))).Data));");
                w.Line();
                Predict(w, model);
                w.Line();
                w.Summary("Writes a checkpoint (weights, optimizer, schedule, weighting and loop state) atomically; Load continues from it exactly.");
                w.Line($"public void Save(string path) => {Types.Checkpoint}.Save(path, _trainer);");
                w.Line();
                w.Summary("Restores a checkpoint written by Save for this model and these settings.");
                w.Line($"public void Load(string path) => {Types.Checkpoint}.Load(path, _trainer);");
                w.Line();
                using (w.Block("public void Dispose()"))
                {
                    w.Line("_trainer.Dispose();");
                    w.Line("Options.Weighting?.Dispose();");
                    // With stages the trainer owns each stage's optimizer.
                    if (model.Training.Stages.Count == 0) w.Line("Optimizer.Dispose();");
                    w.Line("Model.Dispose();");
                }
            }
        }
        return w.ToString();
    }

    private static string Summary(MtlModel model) =>
        $"{model.Optimizer.Setting.Name}, {model.Weighting.Name} weighting, {Length(model.Training)} of batches of {model.Training.BatchSize}";

    /// <summary>"10 epochs", or the stages with theirs: "stages pretrain (10 epochs), finetune (5 epochs)".</summary>
    private static string Length(Training training) => training.Stages.Count == 0
        ? $"{training.Epochs} epochs"
        : "stages " + string.Join(", ", training.Stages.Select(s => $"{s.Name} ({s.Epochs} epochs)"));

    private static void Tasks(CodeWriter w, MtlModel model)
    {
        w.Summary("The tasks as the file declares them: kind, loss and its options, weight, metrics and whether labels may be missing.");
        w.Line($"public static {Types.ReadOnlyList}<{Types.TaskSpec}> Tasks {{ get; }} = new {Types.TaskSpec}[]");
        w.Line("{");
        w.Indent();
        foreach (var task in model.Tasks)
        {
            var init = new List<string>
            {
                $"Loss = {Types.LossKind}.{LossKind(task.Loss.Name)}",
                $"Weight = {Literals.Double(task.Weight)}",
                $"Metrics = new[] {{ {string.Join(", ", task.Metrics.Select(Literals.String))} }}",
                $"MissingLabels = {Literals.Bool(task.MissingLabels)}",
            };
            if (task.IgnoreIndex != Mtl.Catalog.TaskCatalog.IgnoreIndex) init.Add($"IgnoreIndex = {task.IgnoreIndex.ToString(CultureInfo.InvariantCulture)}");
            switch (task.Loss.Name)
            {
                case "huber":
                    init.Add($"HuberDelta = {Literals.Double(task.Loss.Number("delta"))}");
                    break;
                case "bce" when task.Loss["pos_weight"] is ListValue perLabel:
                    init.Add($"PosWeights = new[] {{ {string.Join(", ", perLabel.Items.Select(i => Literals.Double(i.AsNumber())))} }}");
                    break;
                case "bce" when task.Loss["pos_weight"] is { } positive:
                    init.Add($"PosWeight = {Literals.Double(positive.AsNumber())}");
                    break;
                case "scale_invariant_log":
                    init.Add($"ScaleInvariantLambda = {Literals.Double(task.Loss.Number("lambda"))}");
                    break;
                case "cross_entropy":
                    init.Add($"LabelSmoothing = {Literals.Double(task.Loss.Number("label_smoothing"))}");
                    if (task.Loss["class_weights"] is ListValue weights) init.Add($"ClassWeights = new[] {{ {string.Join(", ", weights.Items.Select(i => Literals.Double(i.AsNumber())))} }}");
                    break;
            }
            w.Line($"new {Types.TaskSpec}({Literals.String(task.Name)}, {Types.TaskKind}.{task.Kind}, {task.Size}) {{ {string.Join(", ", init)} }},");
        }
        w.Outdent();
        w.Line("};");
    }

    private static string LossKind(string loss) => loss switch
    {
        "mse" => "Mse",
        "l1" => "L1",
        "huber" => "Huber",
        "bce" => "Bce",
        "scale_invariant_log" => "ScaleInvariantLog",
        "cosine" => "Cosine",
        _ => "CrossEntropy",
    };

    private static void DefaultOptions(CodeWriter w, MtlModel model, string file)
    {
        var t = model.Training;
        w.Summary($"The loop settings of {file}: a new object on every call (it holds a new weighting method). Change what you need with a with-expression and pass it to the constructor.");
        w.Line($"public static {Types.TrainerOptions} DefaultOptions() => new {Types.TrainerOptions}");
        w.Line("{");
        w.Indent();
        w.Line($"Epochs = {t.Epochs},");
        w.Line($"BatchSize = {t.BatchSize},");
        if (t.ClipGradNorm is { } clip) w.Line($"ClipGradNorm = {Literals.Double(clip)},");
        w.Line($"Accumulate = {t.Accumulate},");
        w.Line($"Seed = {Literals.Long(t.Seed)},");
        w.Line($"Update = {Types.UpdateMode}.{t.Update},");
        if (model.L2 > 0) w.Line($"L2 = {Literals.Double(model.L2)},");
        if (t.EarlyStop is { } stop) w.Line($"EarlyStop = {EarlyStopping(stop)},");
        if (t.Relatedness is { } every) w.Line($"Relatedness = {every},");
        w.Line($"Weighting = {Weighting(model)},");
        if (model.Schedule.Count > 0) Schedule(w, model.Schedule);
        w.Outdent();
        w.Line("};");
    }

    private static string EarlyStopping(EarlyStop stop)
    {
        var monitor = stop.Task is null ? stop.Metric : stop.Task + "." + stop.Metric;
        return $"new {Types.EarlyStopping}({Literals.String(monitor)}, Patience: {stop.Patience}, Maximize: {Literals.Bool(stop.Mode == MonitorMode.Max)}, MinDelta: {Literals.Double(stop.MinDelta)})";
    }

    /// <summary><c>Schedule = new LearningRateSchedule(...),</c> with one phase a line.</summary>
    private static void Schedule(CodeWriter w, IEnumerable<Setting> phases)
    {
        w.Line($"Schedule = new {Types.LearningRateSchedule}(new[]");
        w.Line("{");
        w.Indent();
        foreach (var phase in phases) w.Line($"new {Types.SchedulePhase}({Literals.String(phase.Name)}{Options(phase)}),");
        w.Outdent();
        w.Line("}),");
    }

    private static string Weighting(MtlModel model)
    {
        var weights = string.Join(", ", model.Tasks.Select(t => Literals.Double(t.Weight)));
        return $"{Types.TaskWeighting}.Create({Literals.String(model.Weighting.Name)}, new[] {{ {weights} }}{Options(model.Weighting)})";
    }

    /// <summary>", new Dictionary&lt;string, object&gt; { [...] = ... }" with every option that has a value, or nothing.</summary>
    private static string Options(Setting setting)
    {
        var options = setting.Options.Where(o => o.Value is not null).ToList();
        if (options.Count == 0) return "";
        return $", new {Types.Dictionary}<string, object> {{ {string.Join(", ", options.Select(o => $"[{Literals.String(o.Name)}] = {Literals.Option(o.Value!)}"))} }}";
    }

    private static void Constructor(CodeWriter w, MtlModel model, string name, string modelType)
    {
        const string Seeds = "Seeds libtorch with the options' seed, builds the model (so the same seed gives the same initial weights)";
        const string Options = "The loop settings; null for DefaultOptions(). The trainer owns (and disposes) their weighting method.";
        var inits = model.Inits.Count > 0;
        if (inits)
        {
            w.Summary($"{Seeds} and loads the files of its init statements, then builds its optimizer and the training loop.");
            w.Param("options", Options);
            w.Line($"public {name}({Types.TrainerOptions}? options = null) : this(options, loadInitWeights: true)");
            w.Line("{");
            w.Line("}");
            w.Line();
            w.Summary($"{Seeds}, with or without the files of its init statements, then its optimizer and the training loop.");
            w.Param("options", Options);
            w.Param("loadInitWeights", "False keeps the model's random initial weights instead of loading the init files: for Load, a checkpoint holding every weight, where those files are not at hand.");
        }
        else
        {
            w.Summary($"{Seeds}, its optimizer and the training loop.");
            w.Param("options", Options);
        }
        using (w.Block(inits ? $"public {name}({Types.TrainerOptions}? options, bool loadInitWeights)" : $"public {name}({Types.TrainerOptions}? options = null)"))
        {
            w.Line("options ??= DefaultOptions();");
            w.Line($"{Types.Torch}.manual_seed(options.Seed);");
            w.Line(inits ? $"Model = new {modelType}(loadInitWeights);" : $"Model = new {modelType}();");
            var staged = model.Training.Stages.Count > 0;
            if (!staged) w.Line("Optimizer = CreateOptimizer(Model);");
            if (model.Training.Frozen.Count > 0)
            {
                // The file's freeze always applies: CreateOptimizer leaves exactly these blocks out.
                w.Line($"options = options with {{ Frozen = {FrozenModules(model, "Model")} }};");
            }
            if (staged)
            {
                // Stages given in the options replace the file's.
                w.Line("if (options.Stages.Count == 0) options = options with { Stages = CreateStages(Model) };");
            }
            if (model.Relation is { } relation)
            {
                // A relation given in the options replaces the file's.
                w.Line($"if (options.Relation is null) options = options with {{ Relation = {Relation(model, relation)} }};");
            }
            // An architecture given in the options replaces the model's.
            w.Line($"if (options.Architecture is null) options = options with {{ Architecture = {modelType}.Architecture }};");
            var ties = model.Training.Ties;
            if (ties.Count > 0)
            {
                var list = string.Join(", ", ties.Select(t => $"new {Types.SoftTie}(Model.{Pascal(model, t.First)}, Model.{Pascal(model, t.Second)}, {Literals.Double(t.Lambda)})"));
                w.Line($"Options = options.Ties.Count > 0 ? options : options with {{ Ties = new[] {{ {list} }} }};");
            }
            else
            {
                w.Line("Options = options;");
            }
            w.Line($"_trainer = new {Types.Trainer}(Model, Tasks, {(model.Training.Stages.Count > 0 ? "null" : "Optimizer")}, Options);");
        }
    }

    /// <summary><c>new TaskRelation(heads, λ, Ω)</c>: the task heads in the file's order, and the declared Ω (rows in that order) or null when it is learned.</summary>
    private static string Relation(MtlModel model, TaskRelation relation)
    {
        var heads = $"new {Types.Module}[] {{ {string.Join(", ", model.Tasks.Select(t => "Model." + t.CSharpName.Pascal))} }}";
        var omega = relation.Omega is { } rows
            ? $"new[] {{ {string.Join(", ", rows.Select(r => $"new[] {{ {string.Join(", ", r.Select(Literals.Double))} }}"))} }}"
            : "null";
        return $"new {Types.TaskRelation}({heads}, {Literals.Double(relation.Lambda)}, {omega})";
    }

    /// <summary>The modules of the file's <c>freeze</c> statements, as an array expression on <paramref name="model"/>.</summary>
    private static string FrozenModules(MtlModel model, string owner) => Modules(model, model.Training.Frozen, owner);

    /// <summary>Blocks as an array expression of modules on <paramref name="owner"/>.</summary>
    private static string Modules(MtlModel model, IEnumerable<string> blocks, string owner) =>
        $"new {Types.Module}[] {{ {string.Join(", ", blocks.Select(b => $"{owner}.{Pascal(model, b)}"))} }}";

    private static string Pascal(MtlModel model, string block) =>
        model.SharedBlocks.FirstOrDefault(b => b.Name == block)?.CSharpName.Pascal ?? model.Tasks.First(t => t.Name == block).CSharpName.Pascal;

    private static void Properties(CodeWriter w, MtlModel model, string modelType)
    {
        w.Summary("The model being trained.");
        w.Line($"public {modelType} Model {{ get; }}");
        w.Line();
        if (model.Training.Stages.Count > 0)
        {
            w.Summary("The current stage's optimizer, new at each stage's start (the trainer owns it), over the parameters that train in the stage (and those of the weighting method, if it has any).");
            w.Line($"public {Types.Optimizer} Optimizer => _trainer.Optimizer;");
        }
        else
        {
            w.Summary("The optimizer over the model's parameters (and those of the weighting method, if it has any).");
            w.Line($"public {Types.Optimizer} Optimizer {{ get; }}");
        }
        w.Line();
        w.Summary("The settings this trainer runs with.");
        w.Line($"public {Types.TrainerOptions} Options {{ get; }}");
        w.Line();
        w.Summary("One record per completed epoch: losses, weights, learning rates, validation metrics.");
        w.Line($"public {Types.ReadOnlyList}<{Types.EpochRecord}> History => _trainer.History;");
        w.Line();
        w.Summary("Epochs completed so far (also after Load).");
        w.Line("public int Epoch => _trainer.Epoch;");
        w.Line();
        w.Summary("Optimizer steps taken so far.");
        w.Line("public long Step => _trainer.Step;");
    }

    private static void CreateOptimizer(CodeWriter w, MtlModel model, string modelType)
    {
        var optimizer = model.Optimizer;
        var setting = optimizer.Setting;
        var trains = model.Training.Frozen.Count == 0 ? "the model's parameters" : $"the parameters that train (all but the frozen {string.Join(", ", model.Training.Frozen)})";
        w.Summary($"The file's optimizer, {setting.Name}, over {trains}{(optimizer.Groups.Count == 0 ? "" : ", with its parameter groups")}.");
        using (w.Block($"public static {Types.Optimizer} CreateOptimizer({modelType} model)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(model);");
            var frozen = model.Training.Frozen.Count > 0;
            if (optimizer.Groups.Count == 0)
            {
                w.Line(frozen
                    ? $"var groups = {Types.ParameterGroups}.Split(model, {FrozenModules(model, "model")});"
                    : $"var groups = new[] {{ new {Types.ParamGroup}(model.parameters()) }};");
            }
            else
            {
                w.Line($"var groups = {Types.ParameterGroups}.Split(");
                w.Indent();
                w.Line("model,");
                if (frozen) w.Line($"{FrozenModules(model, "model")},");
                for (var i = 0; i < optimizer.Groups.Count; i++)
                {
                    var group = optimizer.Groups[i];
                    var options = string.Join(", ", GroupOptions(group.Options).Select(o => $"[{Literals.String(o.Key)}] = {o.Value}"));
                    w.Line($"(model.{Pascal(model, group.Block)}, new {Types.Dictionary}<string, double> {{ {options} }}){(i < optimizer.Groups.Count - 1 ? "," : ");")}");
                }
                w.Outdent();
            }
            var arguments = string.Join(", ", OptimizerArguments(setting.Options));
            w.Line($"return {Types.Optim}.{Factory(setting.Name)}(groups, {arguments});");
        }
    }

    private static void CreateStages(CodeWriter w, MtlModel model, string modelType, string file)
    {
        w.Summary($"The stages of {file}, run in order: {Length(model.Training).Substring("stages ".Length)}. Each builds its optimizer when it starts, over the parameters that train in it; a stage that trains some tasks only holds the heads of the others fixed.");
        using (w.Block($"public static {Types.ReadOnlyList}<{Types.TrainingStage}> CreateStages({modelType} model)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(model);");
            w.Line($"return new {Types.TrainingStage}[]");
            w.Line("{");
            w.Indent();
            foreach (var stage in model.Training.Stages)
            {
                w.Line($"new {Types.TrainingStage}({Literals.String(stage.Name)}, {stage.Epochs}, frozen => {StageOptimizer(model, stage)})");
                w.Line("{");
                w.Indent();
                if (stage.Tasks.Count > 0) w.Line($"Tasks = new[] {{ {string.Join(", ", stage.Tasks.Select(Literals.String))} }},");
                var held = stage.Frozen.Concat(stage.Idle).ToList();
                if (held.Count > 0) w.Line($"Frozen = {Modules(model, held, "model")},");
                if (stage.Schedule is { } schedule) Schedule(w, schedule);
                if (stage.EarlyStop is { } stop) w.Line($"EarlyStop = {EarlyStopping(stop)},");
                w.Outdent();
                w.Line("},");
            }
            w.Outdent();
            w.Line("};");
        }
    }

    /// <summary>
    /// A stage's optimizer (its own, or the model's) over the parameters that train in it, as one
    /// expression of the stage's <c>frozen</c> modules: the groups of the heads the stage holds
    /// fixed are left out (the binder refuses a group of a block the stage freezes itself).
    /// </summary>
    private static string StageOptimizer(MtlModel model, Stage stage)
    {
        var optimizer = stage.Optimizer ?? model.Optimizer;
        var groups = optimizer.Groups.Where(g => !stage.Idle.Contains(g.Block))
            .Select(g => $", (model.{Pascal(model, g.Block)}, new {Types.Dictionary}<string, double> {{ {string.Join(", ", GroupOptions(g.Options).Select(o => $"[{Literals.String(o.Key)}] = {o.Value}"))} }})");
        var arguments = string.Join(", ", OptimizerArguments(optimizer.Setting.Options));
        return $"{Types.Optim}.{Factory(optimizer.Setting.Name)}({Types.ParameterGroups}.Split(model, frozen{string.Concat(groups)}), {arguments})";
    }

    private static string Factory(string optimizer) => optimizer switch
    {
        "sgd" => "SGD",
        "adam" => "Adam",
        "adamw" => "AdamW",
        _ => "RMSprop",
    };

    /// <summary>The runtime's argument for each option: PyTorch's names, <c>betas</c> as beta1 and beta2.</summary>
    private static IEnumerable<string> OptimizerArguments(IEnumerable<Option> options) =>
        RuntimeOptions(options).Select(o => $"{o.Key}: {o.Value}");

    /// <summary>A group's options as the runtime's per-group dictionary takes them (numbers only: the language allows no switch in a group).</summary>
    private static IEnumerable<KeyValuePair<string, string>> GroupOptions(IEnumerable<Option> options) => RuntimeOptions(options);

    /// <summary>Each option with a value, by the runtime's name, as a C# literal.</summary>
    private static IEnumerable<KeyValuePair<string, string>> RuntimeOptions(IEnumerable<Option> options)
    {
        foreach (var option in options)
        {
            switch (option.Value)
            {
                case ListValue betas when option.Name == "betas":
                    yield return new("beta1", Literals.Double(betas.Items[0].AsNumber()));
                    yield return new("beta2", Literals.Double(betas.Items[1].AsNumber()));
                    break;
                case BooleanValue flag:
                    yield return new(option.Name, Literals.Bool(flag.Value));
                    break;
                case { } value:
                    yield return new(option.Name, Literals.Double(value.AsNumber()));
                    break;
            }
        }
    }

    private static void Fit(CodeWriter w, MtlModel model)
    {
        var dataset = GeneratedNames.Dataset(model);
        var taskDatasets = GeneratedNames.TaskDatasets(model);
        w.Summary(model.Training.Stages.Count == 0
            ? "Trains until the epochs are done or early stopping says stop; validation data (optional) gives the metrics, early stopping and plateau schedules."
            : "Runs the stages in order, each until its epochs are done or its early stopping says stop; validation data (optional) gives the metrics, early stopping and plateau schedules.");
        using (w.Block($"public {Types.ReadOnlyList}<{Types.EpochRecord}> Fit({dataset} train, {dataset}? validation = null)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(train);");
            w.Line("return _trainer.Fit(train.Data, validation?.Data);");
        }
        w.Line();
        var sampling = model.Training.Sampling;
        w.Summary($"Trains on a dataset per task: each batch comes from one task's data ({SamplingWord(sampling.Kind)} sampling, as the file says) and only that task's loss flows.");
        using (w.Block($"public {Types.ReadOnlyList}<{Types.EpochRecord}> Fit({taskDatasets} train, {taskDatasets}? validation = null)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(train);");
            w.Line("using var trainData = PerTask(train);");
            w.Line("using var validationData = validation is null ? null : PerTask(validation);");
            w.Line("return _trainer.Fit(trainData, validationData);");
        }
        w.Line();
        using (w.Block($"private static {Types.TaskDatasets} PerTask({taskDatasets} data)"))
        {
            w.Line($"var datasets = new {Types.Dictionary}<string, {Types.MultiTaskDataset}>();");
            foreach (var task in model.Tasks)
            {
                w.Line($"if (data.{task.CSharpName.Pascal} is {{ }} {Local(task)}) datasets[{Literals.String(task.Name)}] = {Local(task)}.Data.WithTargets({Literals.String(task.Name)});");
            }
            var temperature = sampling.Kind == SamplingKind.Temperature ? Literals.Double(sampling.Temperature) : "1.0";
            w.Line($"return new {Types.TaskDatasets}(datasets, {Types.SamplingKind}.{sampling.Kind}, {temperature});");
        }
    }

    /// <summary>
    /// <c>CompareWithSingleTask</c> on one dataset and on a dataset per task: fresh trainers of this
    /// class from this trainer's options (the seed and the tasks set by the comparison), each with
    /// the file's weighting built afresh (a weighting method holds state of its run) and the file's
    /// freeze and ties over its own model.
    /// </summary>
    private static void Compare(CodeWriter w, MtlModel model, string name)
    {
        var dataset = GeneratedNames.Dataset(model);
        var taskDatasets = GeneratedNames.TaskDatasets(model);
        const string What = "this model trained on all tasks against the same architecture trained on each task alone: a fresh model per run from the same seed (this trainer's seed and the next ones, one per repetition), the same optimizer, schedule, epochs and early stopping, only that task's loss flowing; then each task's validation metrics and loss, mean ± spread over the seeds and the difference. This trainer's model is neither used nor changed. Print the result (ToTable) or read its Metrics and Runs; report.html (when the options name one) shows it as a table from now on.";
        w.Summary("Compares " + What);
        w.Param("seeds", "How many times to repeat each run, from consecutive seeds: at least 1, and 3 or more for a spread.");
        using (w.Block($"public {Types.SingleTaskComparison} CompareWithSingleTask({dataset} train, {dataset} validation, int seeds = 3)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(train);");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(validation);");
            w.Line($"var comparison = {Types.SingleTaskComparison}.Run(Tasks, Options, seeds, train.Data, validation.Data, ComparisonTrainer);");
            w.Line("_trainer.AddToReport(comparison);");
            w.Line("return comparison;");
        }
        w.Line();
        w.Summary("Compares as the other overload does, on a dataset per task: a task trained alone sees only its own dataset.");
        w.Param("seeds", "How many times to repeat each run, from consecutive seeds: at least 1, and 3 or more for a spread.");
        using (w.Block($"public {Types.SingleTaskComparison} CompareWithSingleTask({taskDatasets} train, {taskDatasets} validation, int seeds = 3)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(train);");
            w.Line("global::System.ArgumentNullException.ThrowIfNull(validation);");
            w.Line("using var trainData = PerTask(train);");
            w.Line("using var validationData = PerTask(validation);");
            w.Line($"var comparison = {Types.SingleTaskComparison}.Run(Tasks, Options, seeds, trainData, validationData, ComparisonTrainer);");
            w.Line("_trainer.AddToReport(comparison);");
            w.Line("return comparison;");
        }
        w.Line();
        var weighting = Literals.String(model.Weighting.Name);
        using (w.Block($"private static ({Types.Trainer} Trainer, global::System.IDisposable Owner) ComparisonTrainer({Types.TrainerOptions} options)"))
        {
            w.Line($"var weighting = options.Weighting is null ? null : options.Weighting.Name == {weighting} ? {Weighting(model)} : throw new global::System.InvalidOperationException($\"the trainer's weighting is '{{options.Weighting.Name}}', not the file's '{model.Weighting.Name}': a comparison builds the file's weighting afresh for each run\");");
            w.Line($"var trainer = new {name}(options with {{ Weighting = weighting, Frozen = global::System.Array.Empty<{Types.Module}>(), Ties = global::System.Array.Empty<{Types.SoftTie}>(), Relation = null }});");
            w.Line("return (trainer._trainer, trainer);");
        }
    }

    /// <summary>A task's local in the generated methods: never clashes with <c>data</c>, <c>datasets</c> or <c>inputs</c>.</summary>
    private static string Local(TaskHead task) => task.CSharpName.Camel.TrimStart('@') + "Task";

    private static string SamplingWord(SamplingKind kind) => TrainCatalog.Word(kind).Replace('_', ' ');

    private static void Predict(CodeWriter w, MtlModel model)
    {
        var prediction = GeneratedNames.Prediction(model);
        var inputsType = GeneratedNames.Inputs(model);
        w.Summary("Predicts each example of a batch of inputs, in evaluation mode without gradients.");
        using (w.Block($"public {Types.ReadOnlyList}<{prediction}> Predict({inputsType} inputs)"))
        {
            w.Line("global::System.ArgumentNullException.ThrowIfNull(inputs);");
            w.Line($"using var scope = {Types.Torch}.NewDisposeScope();");
            var named = string.Join(", ", model.Inputs.Select(i => $"[{Literals.String(i.Name)}] = inputs.{i.CSharpName.Pascal}"));
            var predict = $"_trainer.Predict(new {Types.Dictionary}<string, {Types.Tensor}> {{ {named} }})";
            // A standardised task's output is in standardised units; predictions are in the label's own.
            w.Line($"var output = {(model.Tasks.Any(t => t.Standardize) ? $"Model.OriginalUnits({predict})" : predict)};");
            foreach (var task in model.Tasks)
            {
                w.Line($"var {Local(task)} = {Types.Predictions}.{PredictionEmitter.Reader(task)}(output.Tasks[{Literals.String(task.Name)}]);");
            }
            w.Line($"var result = new {prediction}[{Local(model.Tasks[0])}.Length];");
            w.Line($"for (var i = 0; i < result.Length; i++) result[i] = new {prediction}({string.Join(", ", model.Tasks.Select(t => Local(t) + "[i]"))});");
            w.Line("return result;");
        }
        w.Line();
        w.Summary("Predicts each example (their labels are not used).");
        using (w.Block($"public {Types.ReadOnlyList}<{prediction}> Predict({Types.Enumerable}<{GeneratedNames.Example(model)}> examples)"))
        {
            w.Line($"using var scope = {Types.Torch}.NewDisposeScope();");
            w.Line($"return Predict({GeneratedNames.Dataset(model)}.InputsOf(examples));");
        }
        if (model.ReadsTable)
        {
            w.Line();
            w.Summary(model.Inputs.Any(i => i.Source is { LearnsCategories: true })
                ? "Predicts each row of a CSV file with the model's input columns (label columns may be absent); learned categories are read with the vocabularies the model learned (a value unseen in training reads as 0)."
                : "Predicts each row of a CSV file with the model's input columns (label columns may be absent).");
            using (w.Block($"public {Types.ReadOnlyList}<{prediction}> PredictCsv(string path, {Types.CsvOptions}? options = null)"))
            {
                w.Line($"using var scope = {Types.Torch}.NewDisposeScope();");
                // Learned categories are read with the vocabularies the model learned in training (or loaded).
                var options = model.Inputs.Any(i => i.Source is { LearnsCategories: true })
                    ? $"(options ?? new {Types.CsvOptions}()) with {{ Categories = Model.LearnedCategories }}"
                    : "options";
                w.Line($"return Predict({GeneratedNames.Dataset(model)}.InputsFromCsv(path, {options}));");
            }
        }
    }

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
