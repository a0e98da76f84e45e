using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XModel</c>: one module property per shared block and task head, built exactly as the
/// pipelines say (then loaded from the files of the <c>init</c> statements), the forward the
/// trainer calls (named inputs in, one output per task out), a typed forward beside it, and
/// <c>SaveBlock</c>/<c>LoadBlock</c> for transfer between models.
/// </summary>
internal static class ModelEmitter
{
    public static string Emit(ModelSpec spec)
    {
        var model = spec.Model;
        var name = GeneratedNames.Model(model);
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary(Docs.With(model.Doc, $"The {model.Name} model of {spec.FileName}: {Describe(model)}."));
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public sealed partial class {name} : {Types.MultiTaskModule}"))
            {
                w.Summary("The number of trainable parameters, as the .mtl compiler counts them (PyTorch's formulas).");
                w.Line($"public const long ParameterCount = {model.ParameterCount}L;");
                w.Line();
                ArchitectureEmitter.Emit(w, model);
                w.Line();
                Constructor(w, model, name);
                foreach (var entry in Entries(model))
                {
                    w.Line();
                    var output = (Mixture(entry.Pipeline) ?? Stitched(entry.Pipeline)) is { } mixture
                        ? $"{DescribeMixture(mixture)}, one {Docs.Type(entry.Pipeline.Output)} for each of {string.Join(", ", Tasks(mixture))}"
                        : Docs.Type(entry.Pipeline.Output);
                    w.Summary(Docs.With(entry.Doc, $"{(entry.IsTask ? "task" : "shared")} {entry.Name}: {Docs.Type(entry.Pipeline.Source.Output)} -> {output}, {entry.Pipeline.ParameterCount} parameters."));
                    w.Line($"public {ModuleType(entry.Pipeline)} {entry.Pascal} {{ get; }}");
                }
                Standardizers(w, model);
                w.Line();
                DeclaredInputs(w, model);
                w.Line();
                if (model.Inputs.Any(i => i.Source is { LearnsCategories: true }))
                {
                    LearnedCategoryInputs(w, model);
                    w.Line();
                }
                Forward(w, model, name);
                w.Line();
                TypedForward(w, model);
                w.Line();
                w.Summary(model.SharedBlocks.Any(b => Mixture(b.Pipeline) is not null)
                    ? "The shared blocks, and of a mixture of experts the shared experts (each gate and task-specific expert belongs to its task): their parameters are the shared parameters that task weighting balances."
                    : "The shared blocks: their parameters are the shared parameters that task weighting balances.");
                var shared = model.SharedBlocks.SelectMany(b => SharedParts(b.CSharpName.Pascal, b.Pipeline)).ToList();
                w.Line($"public override {Types.Enumerable}<{Types.Module}> SharedModules() => "
                    + (shared.Count == 0 ? $"global::System.Array.Empty<{Types.Module}>();" : $"new {Types.Module}[] {{ {string.Join(", ", shared)} }};"));
                w.Line();
                BlockMethods(w, model, name);
            }
        }
        return w.ToString();
    }

    private sealed record Entry(string Name, string Pascal, string Camel, Pipeline Pipeline, bool IsTask, string? Doc);

    /// <summary>Blocks and tasks in the model's order (every one after its sources).</summary>
    private static IReadOnlyList<Entry> Entries(MtlModel model)
    {
        var blocks = model.SharedBlocks.ToDictionary(b => b.Name, b => new Entry(b.Name, b.CSharpName.Pascal, b.CSharpName.Camel, b.Pipeline, false, b.Doc));
        var tasks = model.Tasks.ToDictionary(t => t.Name, t => new Entry(t.Name, t.CSharpName.Pascal, t.CSharpName.Camel, t.Pipeline, true, t.Doc));
        return model.Order.Select(n => blocks.TryGetValue(n, out var b) ? b : tasks[n]).ToList();
    }

    private static string Describe(MtlModel model) =>
        $"{Wording.Count(model.Inputs.Count, "input")}, {Wording.Count(model.SharedBlocks.Count, "shared block")}, {Wording.Count(model.Tasks.Count, "task")}, {Wording.Count(model.ParameterCount, "parameter")}";

    private static string ModuleType(Pipeline pipeline) => (Mixture(pipeline) ?? Stitched(pipeline)) switch
    {
        { Kind: LayerKind.CrossStitch } => $"{Types.Layers}.CrossStitch",
        { Kind: LayerKind.Mmoe } => $"{Types.Layers}.MixtureOfExperts",
        not null => $"{Types.Layers}.ProgressiveLayeredExtraction",
        null => pipeline.Source is MergeSource ? $"{Types.Layers}.Merge" : Types.Sequential,
    };

    /// <summary>The <c>mmoe</c>, <c>cgc</c> or <c>ple</c> layer of a block that is a mixture of experts (its only layer), or null.</summary>
    private static Layer? Mixture(Pipeline pipeline) =>
        pipeline.Layers.Count == 1 && pipeline.Layers[0].Kind.IsMixture() ? pipeline.Layers[0] : null;

    /// <summary>The <c>cross_stitch</c> layer of a block of task towers (its only layer), or null.</summary>
    private static Layer? Stitched(Pipeline pipeline) =>
        pipeline.Layers.Count == 1 && pipeline.Layers[0].Kind == LayerKind.CrossStitch ? pipeline.Layers[0] : null;

    private static int Levels(Layer mixture) => mixture.Kind == LayerKind.Ple ? (int)mixture.Setting.Integer("levels") : 1;

    private static string DescribeMixture(Layer mixture) => mixture.Kind == LayerKind.CrossStitch
        ? $"a tower per task mixed at {Wording.Count(mixture.Body.Count(l => l.Kind == LayerKind.Stitch), "stitch", "stitches")}"
        : mixture.Kind == LayerKind.Mmoe
        ? $"{mixture.Setting.Integer("experts")} experts and a gate per task"
        : $"{Wording.Count(Levels(mixture), "level")} of {mixture.Setting.Integer("shared")} shared and {mixture.Setting.Integer("specific")} task-specific experts, with a gate per task";

    /// <summary>What of a shared block task weighting balances: the block, or a mixture's shared experts.</summary>
    private static IEnumerable<string> SharedParts(string pascal, Pipeline pipeline) => Mixture(pipeline) switch
    {
        null => [pascal],
        { Kind: LayerKind.Mmoe } => [pascal + ".Experts"],
        { } mixture => Enumerable.Range(0, Levels(mixture)).Select(l => $"{pascal}.Levels[{l}].Shared"),
    };

    private static IReadOnlyList<string> Tasks(Layer mixture) =>
        mixture.Setting["tasks"] is ListValue list ? list.Items.Select(i => i.ToString()).ToList() : [];

    private static void Constructor(CodeWriter w, MtlModel model, string name)
    {
        const string Builds = "Builds every layer with the sizes the .mtl compiler inferred, initialised as PyTorch initialises them (seed libtorch first for the same weights every time)";
        var loads = string.Join(", ", model.Inits.Select(i => $"{i.Block} from \"{i.Path}\"" + (i.Prefix.Length == 0 ? "" : $" (prefix \"{i.Prefix}\")")));
        if (model.Inits.Count > 0)
        {
            w.Summary($"{Builds}, then loads the weights of the file's init statements: {loads}. A relative path resolves against the current directory.");
            w.Line($"public {name}() : this(loadInitWeights: true)");
            w.Line("{");
            w.Line("}");
            w.Line();
        }
        w.Summary(model.Inits.Count > 0 ? $"{Builds}, then, when asked, loads the weights of the file's init statements: {loads}." : $"{Builds}.");
        if (model.Inits.Count > 0)
        {
            w.Param("loadInitWeights", "False keeps the random initial weights (to load a checkpoint or other weights over them where the init files are not at hand).");
        }
        using (w.Block(model.Inits.Count > 0 ? $"public {name}(bool loadInitWeights) : base(nameof({name}))" : $"public {name}() : base(nameof({name}))"))
        {
            var entries = Entries(model);
            var masks = SequenceMasks.Flows(model);
            foreach (var entry in entries)
            {
                var lines = Pipeline(entry.Pipeline, masks.TryGetValue(entry.Name, out var mask) ? mask : null);
                w.Line($"{entry.Pascal} = {lines[0]}");
                foreach (var line in lines.Skip(1)) w.Line(line);
            }
            foreach (var entry in entries)
            {
                w.Line($"register_module({Literals.String(entry.Name)}, {entry.Pascal});");
            }
            RegisterStandardizers(w, "InputStandardizers", "input_standardizers",
                model.Inputs.Where(i => i.Standardize).Select(i => (i.Name, $"input '{i.Name}'", i.Type.Shape, i.Source?.Columns, i.Type.DType)));
            RegisterStandardizers(w, "TargetStandardizers", "target_standardizers",
                model.Tasks.Where(t => t.Standardize).Select(t => (t.Name, $"task '{t.Name}'", t.Target.Shape, t.Label?.Columns, t.Target.DType)));
            if (model.Inits.Count > 0)
            {
                using (w.Block("if (loadInitWeights)"))
                {
                    var blocks = GeneratedNames.Block(model);
                    foreach (var init in model.Inits)
                    {
                        var pascal = BlockEmitter.WithParameters(model).First(b => b.Name == init.Block).CSharpName.Pascal;
                        var prefix = init.Prefix.Length == 0 ? "" : ", " + Literals.String(init.Prefix);
                        w.Line($"LoadBlock({blocks}.{pascal}, {Literals.String(init.Path)}{prefix});");
                    }
                }
            }
        }
    }

    /// <summary>
    /// The standardisers as a module dictionary registered under a name no block or task can take
    /// (its C# name is reserved), so their statistics are in the state dict, checkpoints and saved weights.
    /// </summary>
    private static void RegisterStandardizers(
        CodeWriter w, string property, string module, IEnumerable<(string Name, string Owner, Shape Shape, EquatableArray<string>? Labels, DType DType)> items)
    {
        var list = items.ToList();
        if (list.Count == 0) return;
        var local = char.ToLowerInvariant(property[0]) + property.Substring(1);
        w.Line($"var {local} = new {Types.ModuleDict}<{Types.Standardizer}>(");
        w.Indent();
        for (var i = 0; i < list.Count; i++)
        {
            var (name, owner, shape, labels, dtype) = list[i];
            var labelArgument = labels is { } columns ? Types.Strings(columns) : "null";
            var end = i == list.Count - 1 ? ");" : ",";
            w.Line($"({Literals.String(name)}, new {Types.Standardizer}({Literals.String(owner)}, {DatasetEmitter.Shape(shape)}, {labelArgument}, {Types.ScalarTypeOf(dtype)})){end}");
        }
        w.Outdent();
        w.Line($"register_module({Literals.String(module)}, {local});");
        w.Line($"{property} = {local};");
    }

    private static void Standardizers(CodeWriter w, MtlModel model)
    {
        if (model.Inputs.Any(i => i.Standardize))
        {
            w.Line();
            w.Summary("The inputs the model standardises in forward, by name; the trainer fits their statistics on the training data.");
            w.Line($"public override {Types.ReadOnlyDictionary}<string, {Types.Standardizer}> InputStandardizers {{ get; }}");
        }
        if (model.Tasks.Any(t => t.Standardize))
        {
            w.Line();
            w.Summary("The regression tasks whose labels the model learns standardised, by name: their outputs are in standardised units, predictions and metrics in original ones.");
            w.Line($"public override {Types.ReadOnlyDictionary}<string, {Types.Standardizer}> TargetStandardizers {{ get; }}");
        }
    }

    /// <summary><c>SaveBlock</c>, <c>LoadBlock</c> and the module and name of each <c>XBlock</c>.</summary>
    private static void BlockMethods(CodeWriter w, MtlModel model, string name)
    {
        var blocks = GeneratedNames.Block(model);
        var names = new NameScope(model);
        var block = names.Reserve("block");
        var path = names.Reserve("path");
        var prefix = names.Reserve("prefix");
        var module = names.Reserve("module");
        var blockName = names.Reserve("blockName");
        w.Summary("Writes the parameters and buffers of one block or task head to a safetensors file (atomically), under the names an init statement reads without a prefix (0.weight, 0.bias, ...): another model's init block from \"path\" loads them.");
        w.Line($"public void SaveBlock({blocks} {block}, string {path}) => {Types.BlockWeights}.Save(BlockOf({block}).Module, {path});");
        w.Line();
        w.Summary("Loads the parameters and buffers of one block or task head from a safetensors file, as an init statement does: tensor prefix + name for each of the block's names, all checked (present, same shape and dtype, nothing else under the prefix) before any is copied, so on an error the block keeps its weights. A relative path resolves against the current directory.");
        w.Line($"public void LoadBlock({blocks} {block}, string {path}, string {prefix} = \"\")");
        w.Line("{");
        w.Indent();
        w.Line($"var ({module}, {blockName}) = BlockOf({block});");
        w.Line($"{Types.BlockWeights}.Load({module}, {blockName}, {path}, {prefix});");
        w.Outdent();
        w.Line("}");
        w.Line();
        w.Summary("The module of a block or task head, with its .mtl name.");
        w.Line($"private ({Types.Module} Module, string Name) BlockOf({blocks} {block}) => {block} switch");
        w.Line("{");
        w.Indent();
        foreach (var entry in BlockEmitter.WithParameters(model))
        {
            w.Line($"{blocks}.{entry.CSharpName.Pascal} => ({entry.CSharpName.Pascal}, {Literals.String(entry.Name)}),");
        }
        w.Line($"_ => throw new global::System.ArgumentOutOfRangeException(nameof({block}), {block}, \"not a block of {name}\"),");
        w.Outdent();
        w.Line("};");
    }

    /// <summary>The module of one block or task: a Sequential, or a Merge of branches followed by layers.</summary>
    private static IReadOnlyList<string> Pipeline(Pipeline pipeline, MaskSpan? mask)
    {
        if (Mixture(pipeline) is { } mixture) return MixtureOfExperts(mixture);
        if (Stitched(pipeline) is { } stitched) return CrossStitch(stitched);
        if (pipeline.Source is not MergeSource merge) return LayerEmitter.Sequential(pipeline.Layers, ";", mask);
        var mode = merge.Kind == MergeKind.Concat ? "Concat" : "Add";
        var lines = new List<string> { $"new {Types.Layers}.Merge(", $"    {Types.Layers}.MergeMode.{mode},", $"    {merge.Dim},", $"    new {Types.Sequential}[]", "    {" };
        foreach (var branch in merge.Branches)
        {
            lines.AddRange(LayerEmitter.Sequential(branch.Layers, ",").Select(l => "        " + l));
        }
        lines.Add("    },");
        lines.AddRange(LayerEmitter.Sequential(pipeline.Layers, ");", mask).Select(l => "    " + l));
        return lines;
    }

    /// <summary>
    /// A <c>MixtureOfExperts</c>: how many experts, how to build one (each its own copy of the
    /// expert's layers), the tasks, and how to build a gate (from the source's values to one logit
    /// per expert); the experts are built first, then the gates in task order.
    /// </summary>
    private static IReadOnlyList<string> MixtureOfExperts(Layer mixture)
    {
        if (mixture.Kind != LayerKind.Mmoe) return Extraction(mixture);
        var experts = mixture.Setting.Integer("experts");
        var inputs = mixture.Input.Shape.Dimensions.Aggregate(1L, (p, d) => p * d);
        var dtype = mixture.Input.DType == DType.Double ? $", dtype: {Types.ScalarType}.Float64" : "";
        var body = LayerEmitter.Sequential(mixture.Body, ",");
        var lines = new List<string> { $"new {Types.Layers}.MixtureOfExperts(", $"    {experts},", $"    () => {body[0]}" };
        lines.AddRange(body.Skip(1).Select(l => "    " + l));
        lines.Add($"    new[] {{ {string.Join(", ", Tasks(mixture).Select(Literals.String))} }},");
        lines.Add($"    () => {Types.Nn}.Linear({inputs}, {experts}, hasBias: true{dtype}));");
        return lines;
    }

    /// <summary>
    /// A <c>ProgressiveLayeredExtraction</c> (<c>cgc</c> is one level): the levels, shared and
    /// task-specific experts per task, the tasks, and by level how to build an expert, a task's
    /// gate and the shared gate (every level but the last), each with that level's input sizes.
    /// </summary>
    private static IReadOnlyList<string> Extraction(Layer mixture)
    {
        var levels = Levels(mixture);
        long shared = mixture.Setting.Integer("shared"), specific = mixture.Setting.Integer("specific");
        var tasks = Tasks(mixture);
        var all = shared + (tasks.Count * specific);
        var perLevel = mixture.Body.Count / levels;
        var dtype = mixture.Input.DType == DType.Double ? $", dtype: {Types.ScalarType}.Float64" : "";
        var lines = new List<string>
        {
            $"new {Types.Layers}.ProgressiveLayeredExtraction(",
            $"    {levels},",
            $"    {shared},",
            $"    {specific},",
            $"    new[] {{ {string.Join(", ", tasks.Select(Literals.String))} }},",
        };
        long Inputs(int level) => (level == 0 ? mixture.Input : mixture.Body[(level * perLevel) - 1].Output).Shape.Dimensions.Aggregate(1L, (p, d) => p * d);
        string Arm(int level) => level == levels - 1 ? "_" : level.ToString(System.Globalization.CultureInfo.InvariantCulture);

        lines.Add("    level => level switch");
        lines.Add("    {");
        for (var level = 0; level < levels; level++)
        {
            var body = LayerEmitter.Sequential(mixture.Body.Skip(level * perLevel).Take(perLevel).ToList(), ",");
            lines.Add($"        {Arm(level)} => {body[0]}");
            lines.AddRange(body.Skip(1).Select(l => "        " + l));
        }
        lines.Add("    },");
        lines.Add("    level => level switch");
        lines.Add("    {");
        for (var level = 0; level < levels; level++)
        {
            lines.Add($"        {Arm(level)} => {Types.Nn}.Linear({Inputs(level)}, {shared + specific}, hasBias: true{dtype}),");
        }
        lines.Add("    },");
        if (levels == 1)
        {
            lines.Add("    null);");
            return lines;
        }
        lines.Add("    level => level switch");
        lines.Add("    {");
        for (var level = 0; level < levels - 1; level++)
        {
            lines.Add($"        {Arm(level == levels - 2 ? levels - 1 : level)} => {Types.Nn}.Linear({Inputs(level)}, {all}, hasBias: true{dtype}),");
        }
        lines.Add("    });");
        return lines;
    }

    /// <summary>
    /// A <c>CrossStitch</c>: the number of tower segments (the stitches cut the tower), the tasks, and
    /// how to build each segment (with its sizes); the units start as the runtime initialises them.
    /// </summary>
    private static IReadOnlyList<string> CrossStitch(Layer stitched)
    {
        var segments = new List<List<Layer>> { new() };
        foreach (var layer in stitched.Body)
        {
            if (layer.Kind == LayerKind.Stitch) segments.Add([]);
            else segments[segments.Count - 1].Add(layer);
        }
        var lines = new List<string>
        {
            $"new {Types.Layers}.CrossStitch(",
            $"    {segments.Count},",
            $"    new[] {{ {string.Join(", ", Tasks(stitched).Select(Literals.String))} }},",
            "    segment => segment switch",
            "    {",
        };
        for (var i = 0; i < segments.Count; i++)
        {
            var arm = i == segments.Count - 1 ? "_" : i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var body = LayerEmitter.Sequential(segments[i], ",");
            lines.Add($"        {arm} => {body[0]}");
            lines.AddRange(body.Skip(1).Select(l => "        " + l));
        }
        lines.Add("    });");
        return lines;
    }

    private static void DeclaredInputs(CodeWriter w, MtlModel model)
    {
        w.Summary("The inputs of the .mtl file with their dtypes and per-example shapes: the trainer checks training, validation and evaluation data against them before it starts.");
        w.Line($"public override {Types.ReadOnlyList}<{Types.InputDeclaration}> DeclaredInputs {{ get; }} = new {Types.InputDeclaration}[]");
        w.Line("{");
        w.Indent();
        foreach (var input in model.Inputs)
        {
            w.Line($"new {Types.InputDeclaration}({Literals.String(input.Name)}, {Types.ScalarTypeOf(input.Type.DType)}, {DatasetEmitter.Shape(input.Type.Shape)}),");
        }
        w.Outdent();
        w.Line("};");
    }

    private static void LearnedCategoryInputs(CodeWriter w, MtlModel model)
    {
        w.Summary("The inputs whose categories are learned from the training rows, with the smallest vocab of the embeddings each feeds: the trainer takes their vocabularies from the training data and checks that they fit.");
        w.Line($"public override {Types.ReadOnlyList}<{Types.LearnedCategoryInput}> LearnedCategoryInputs {{ get; }} = new {Types.LearnedCategoryInput}[]");
        w.Line("{");
        w.Indent();
        var pipelines = CategoryEmbeddings.Of(model).ToList();
        foreach (var input in model.Inputs.Where(i => i.Source is { LearnsCategories: true }))
        {
            var vocab = CategoryEmbeddings.Smallest(input.Name, pipelines);
            w.Line($"new {Types.LearnedCategoryInput}({Literals.String(input.Name)}{(vocab is { } v ? ", " + TrainerEmitter.Invariant(v) : "")}),");
        }
        w.Outdent();
        w.Line("};");
    }

    private static void Forward(CodeWriter w, MtlModel model, string name)
    {
        var names = new NameScope(model);
        var inputs = names.Reserve("inputs");
        w.Summary("Runs the model on a batch: named inputs in, each task's raw output (logits or values) out. The trainer calls this.");
        using (w.Block($"public override {Types.MultiTaskOutput} forward({Types.ReadOnlyDictionary}<string, {Types.Tensor}> {inputs})"))
        {
            var used = Used(model);
            foreach (var input in model.Inputs.Where(i => used.Contains(i.Name)))
            {
                var read = $"{Types.ModelInputs}.Require({inputs}, {Literals.String(input.Name)}, nameof({name}))";
                w.Line($"var {input.CSharpName.Camel} = {(input.Standardize ? $"InputStandardizers[{Literals.String(input.Name)}].forward({read})" : read)};");
            }
            // A padding mask travels from the pipeline that carries it out to the one that reads it (docs/language.md, "Padding masks").
            var masks = SequenceMasks.Flows(model);
            var maskLocals = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in Entries(model).Where(e => used.Contains(e.Name)))
            {
                var source = Source(model, entry.Pipeline.Source);
                if (!masks.TryGetValue(entry.Name, out var mask) || mask.Source != MaskSpan.Incoming && !mask.CarriesOut)
                {
                    w.Line($"var {entry.Camel} = {entry.Pascal}.forward({source});");
                    continue;
                }

                var incoming = mask.From is { } from ? maskLocals[from] : "null";
                if (mask.CarriesOut)
                {
                    var local = maskLocals[entry.Name] = names.Reserve(entry.Camel.TrimStart('@') + "Mask");
                    w.Line($"var ({entry.Camel}, {local}) = {entry.Pascal}.forward_masked({source}, {incoming});");
                }
                else
                {
                    w.Line($"var {entry.Camel} = {entry.Pascal}.forward_masked({source}, {incoming}).Output;");
                }
            }
            var outputs = string.Join(", ", model.Tasks.Select(t => $"[{Literals.String(t.Name)}] = {t.CSharpName.Camel}"));
            var shared = model.SharedRepresentation;
            w.Line($"return new {Types.MultiTaskOutput}(new {Types.Dictionary}<string, {Types.Tensor}> {{ {outputs} }}, {(shared is null ? "null" : Camel(model, shared))});");
        }
    }

    private static void TypedForward(CodeWriter w, MtlModel model)
    {
        var names = new NameScope(model);
        var inputs = names.Reserve("inputs");
        var output = names.Reserve("output");
        var inputsType = GeneratedNames.Inputs(model);
        w.Summary("Runs the model on a batch of typed inputs; each task's raw output (logits or values).");
        using (w.Block($"public {GeneratedNames.Outputs(model)} forward({inputsType} {inputs})"))
        {
            var named = string.Join(", ", model.Inputs.Select(i => $"[{Literals.String(i.Name)}] = {inputs}.{i.CSharpName.Pascal}"));
            w.Line($"var {output} = forward(new {Types.Dictionary}<string, {Types.Tensor}> {{ {named} }});");
            var tasks = string.Join(", ", model.Tasks.Select(t => $"{output}.Tasks[{Literals.String(t.Name)}]"));
            w.Line($"return new {GeneratedNames.Outputs(model)}({tasks});");
        }
    }

    /// <summary>What a pipeline's first layer receives: a local, or the list of a merge's sources.</summary>
    private static string Source(MtlModel model, PipelineSource source) => source switch
    {
        ReferenceSource { Member: { } task } reference => $"{Camel(model, reference.Name)}[{Literals.String(task)}]",
        ReferenceSource reference => Camel(model, reference.Name),
        MergeSource merge => $"new {Types.Tensor}[] {{ {string.Join(", ", merge.Branches.Select(b => Source(model, b.Source)))} }}",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, "unknown pipeline source"),
    };

    private static string Camel(MtlModel model, string name) =>
        model.Inputs.FirstOrDefault(i => i.Name == name)?.CSharpName.Camel
        ?? model.SharedBlocks.FirstOrDefault(b => b.Name == name)?.CSharpName.Camel
        ?? model.Tasks.First(t => t.Name == name).CSharpName.Camel;

    /// <summary>Inputs, blocks and tasks a task's output depends on (unused ones are built but not run).</summary>
    private static HashSet<string> Used(MtlModel model)
    {
        var pipelines = model.SharedBlocks.ToDictionary(b => b.Name, b => b.Pipeline);
        foreach (var task in model.Tasks) pipelines[task.Name] = task.Pipeline;
        var used = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(model.Tasks.Select(t => t.Name));
        while (pending.Count > 0)
        {
            var name = pending.Pop();
            if (!used.Add(name) || !pipelines.TryGetValue(name, out var pipeline)) continue;
            foreach (var source in Sources(pipeline.Source)) pending.Push(source);
        }
        return used;
    }

    private static IEnumerable<string> Sources(PipelineSource source) => source switch
    {
        ReferenceSource reference => [reference.Name],
        MergeSource merge => merge.Branches.SelectMany(b => Sources(b.Source)),
        _ => [],
    };
}
