using Mtl.Dsl.Model;
using Mtl.Generator.Model;

namespace Mtl.Generator.Emit;

/// <summary>
/// <c>XDataset</c>: examples held as tensors, built from <c>XExample</c> rows or from tensors, with
/// every input checked against its declared dtype and shape and every label against its task;
/// <c>Split</c> for a validation part. And <c>XTaskDatasets</c>, one dataset per task for training
/// on separate datasets.
/// </summary>
internal static class DatasetEmitter
{
    public static string Emit(ModelSpec spec)
    {
        var model = spec.Model;
        var name = GeneratedNames.Dataset(model);
        var example = GeneratedNames.Example(model);
        var trainer = GeneratedNames.Trainer(model);
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            w.Summary($"Examples of {model.Name} in memory as tensors, checked against the model's inputs and tasks when built. Owns its tensors: dispose it.");
            w.Line(SourceFile.GeneratedCodeAttribute);
            using (w.Block($"public sealed partial class {name} : global::System.IDisposable"))
            {
                w.Summary("Wraps a dataset whose inputs and targets are named as in the .mtl file (checked against the declared dtypes and shapes).");
                using (w.Block($"public {name}({Types.MultiTaskDataset} data)"))
                {
                    w.Line("global::System.ArgumentNullException.ThrowIfNull(data);");
                    foreach (var input in model.Inputs)
                    {
                        w.Line($"{Types.DataValidation}.RequireInput(data.Inputs, {Literals.String(input.Name)}, {Types.ScalarTypeOf(input.Type.DType)}, {Shape(input.Type.Shape)});");
                    }
                    w.Line("Data = data;");
                }
                w.Line();
                w.Summary("The examples as the runtime's dataset (inputs by input name, targets by task name).");
                w.Line($"public {Types.MultiTaskDataset} Data {{ get; }}");
                w.Line();
                w.Summary("The number of examples.");
                w.Line("public long Count => Data.Count;");
                w.Line();
                FromExamples(w, model, name, example, trainer);
                w.Line();
                FromTensors(w, model, name, trainer);
                w.Line();
                InputsOf(w, model, example);
                if (model.ReadsTable)
                {
                    w.Line();
                    Csv(w, model, name, trainer);
                }
                w.Line();
                w.Summary("Splits the examples at random (the same way for the same seed): a share for training, the rest for validation. Both parts are new datasets.");
                using (w.Block($"public ({name} Train, {name} Validation) Split(double trainFraction, long seed = {TrainCatalog.Seed})"))
                {
                    w.Line("var (train, validation) = Data.Split(trainFraction, seed);");
                    w.Line($"return (new {name}(train), new {name}(validation));");
                }
                w.Line();
                w.Line("public void Dispose() => Data.Dispose();");
            }
        }
        return w.ToString();
    }

    public static string EmitTaskDatasets(ModelSpec spec)
    {
        var w = new CodeWriter();
        using (SourceFile.Open(w, spec))
        {
            TaskDatasets(w, spec.Model);
        }
        return w.ToString();
    }

    /// <summary>A per-example shape as a C# array: <c>new long[] { 14 }</c>.</summary>
    internal static string Shape(Shape shape) =>
        shape.Rank == 0 ? "global::System.Array.Empty<long>()" : "new long[] { " + string.Join(", ", shape.Dimensions) + " }";

    private static void FromExamples(CodeWriter w, MtlModel model, string name, string example, string trainer)
    {
        var names = new NameScope(model);
        var examples = names.Reserve("examples");
        var rows = names.Reserve("rows");
        var row = names.Reserve("row");
        var item = names.Reserve("example");
        var scope = names.Reserve("scope");
        w.Summary("Builds a dataset from examples; an input of the wrong length, a value that is not finite or a label outside its task's range is an error naming the member, the row and the value.");
        using (w.Block($"public static {name} From({Types.Enumerable}<{example}> {examples})"))
        {
            w.Line($"global::System.ArgumentNullException.ThrowIfNull({examples});");
            w.Line($"var {rows} = {examples} as {Types.ReadOnlyList}<{example}> ?? new {Types.List}<{example}>({examples});");
            Columns(w, model, rows, withTargets: true, trainer);
            using (w.Block($"for (var {row} = 0; {row} < {rows}.Count; {row}++)"))
            {
                w.Line($"var {item} = {rows}[{row}] ?? throw new global::System.ArgumentException($\"example {{{row}}} is null\", nameof({examples}));");
                foreach (var input in model.Inputs) w.Line($"{input.CSharpName.Camel}.Set({row}, {item}.{input.CSharpName.Pascal});");
                foreach (var task in model.Tasks) w.Line($"{task.CSharpName.Camel}.Set({row}, {item}.{task.CSharpName.Pascal});");
            }
            w.Line($"using var {scope} = {Types.Torch}.NewDisposeScope();");
            w.Line($"return new {name}(new {Types.MultiTaskDataset}(");
            w.Indent();
            w.Line($"new {Types.Dictionary}<string, {Types.Tensor}> {{ {string.Join(", ", model.Inputs.Select(i => $"[{Literals.String(i.Name)}] = {i.CSharpName.Camel}.ToTensor()"))} }},");
            w.Line($"new {Types.Dictionary}<string, {Types.Tensor}> {{ {string.Join(", ", model.Tasks.Select(t => $"[{Literals.String(t.Name)}] = {t.CSharpName.Camel}.ToTensor()"))} }},");
            w.Line($"{trainer}.Tasks));");
            w.Outdent();
        }
    }

    private static void Columns(CodeWriter w, MtlModel model, string rows, bool withTargets, string trainer)
    {
        foreach (var input in model.Inputs)
        {
            w.Line($"var {input.CSharpName.Camel} = new {Types.InputColumn(input.Type.DType)}({Literals.String(input.Name)}, {Shape(input.Type.Shape)}, {rows}.Count);");
        }
        if (!withTargets) return;
        for (var i = 0; i < model.Tasks.Count; i++)
        {
            var task = model.Tasks[i];
            // A dense target's per-example shape (H, W or T from the pipeline) is fixed by the file.
            var shape = TaskCatalog.IsDense(task.Kind) ? ", " + Shape(task.Target.Shape) : "";
            w.Line($"var {task.CSharpName.Camel} = new {Types.TargetColumn}({trainer}.Tasks[{i}], {rows}.Count{shape});");
        }
    }

    private static void FromTensors(CodeWriter w, MtlModel model, string name, string trainer)
    {
        var names = new NameScope(model);
        var inputs = names.Reserve("inputs");
        var targets = names.Reserve("targets");
        var data = names.Reserve("targetTensors");
        var scope = names.Reserve("scope");
        w.Summary("Builds a dataset from tensors (copied: the caller keeps owning its tensors); a task whose targets are null has no labels here.");
        using (w.Block($"public static {name} From({GeneratedNames.Inputs(model)} {inputs}, {GeneratedNames.Targets(model)} {targets})"))
        {
            w.Line($"global::System.ArgumentNullException.ThrowIfNull({inputs});");
            w.Line($"global::System.ArgumentNullException.ThrowIfNull({targets});");
            w.Line($"using var {scope} = {Types.Torch}.NewDisposeScope();");
            w.Line($"var {data} = new {Types.Dictionary}<string, {Types.Tensor}>();");
            foreach (var task in model.Tasks)
            {
                w.Line($"if ({targets}.{task.CSharpName.Pascal} is {{ }} {task.CSharpName.Camel}) {data}[{Literals.String(task.Name)}] = {task.CSharpName.Camel}.clone();");
            }
            w.Line($"return new {name}(new {Types.MultiTaskDataset}(");
            w.Indent();
            w.Line($"new {Types.Dictionary}<string, {Types.Tensor}> {{ {string.Join(", ", model.Inputs.Select(i => $"[{Literals.String(i.Name)}] = {inputs}.{i.CSharpName.Pascal}.clone()"))} }},");
            w.Line($"{data},");
            w.Line($"{trainer}.Tasks));");
            w.Outdent();
        }
    }

    /// <summary>The CSV schema from the file's <c>columns</c>, <c>category</c> and <c>label</c> statements, and the readers over it.</summary>
    private static void Csv(CodeWriter w, MtlModel model, string name, string trainer)
    {
        w.Summary("How the columns of a CSV file feed the inputs and the task labels, as the .mtl file says.");
        w.Line($"public static {Types.CsvSchema} CsvSchema {{ get; }} = new {Types.CsvSchema}(");
        w.Indent();
        w.Line($"new {Types.CsvInput}[]");
        w.Line("{");
        w.Indent();
        foreach (var input in model.Inputs)
        {
            w.Line($"new {Types.CsvInput}({Literals.String(input.Name)}, {Types.ScalarTypeOf(input.Type.DType)}, {Shape(input.Type.Shape)}, {Source(input.Source!)}),");
        }
        w.Outdent();
        w.Line("},");
        w.Line($"new {Types.CsvLabel}[]");
        w.Line("{");
        w.Indent();
        for (var i = 0; i < model.Tasks.Count; i++)
        {
            if (model.Tasks[i].Label is { } label) w.Line($"new {Types.CsvLabel}({trainer}.Tasks[{i}], {Source(label)}),");
        }
        w.Outdent();
        w.Line("});");
        w.Outdent();
        w.Line();
        w.Summary("Where the examples came from when they were read from a CSV file (rows read, rows skipped, missing labels per task); null otherwise.");
        w.Line($"public {Types.CsvReport}? Report {{ get; private init; }}");
        w.Line();
        w.Summary("Reads a CSV file (a header row, invariant culture, quoted fields) into a dataset; a missing column, a cell that is not a number, an unknown category or a bad label is an error naming the file, line, column and value. Report says what was read."
            + (model.Inputs.Any(i => i.Source is { LearnsCategories: true })
                ? " Categories without a list are learned from all the rows (the file is training data) unless options.Categories gives them: read validation and test files with the training data's Data.Categories."
                : ""));
        using (w.Block($"public static {name} FromCsv(string path, {Types.CsvOptions}? options = null)"))
        {
            w.Line($"var (data, report) = {Types.CsvTable}.Read(path, CsvSchema, {trainer}.Tasks, options);");
            w.Line($"return new {name}(data) {{ Report = report }};");
        }
        w.Line();
        w.Summary("Reads a CSV file and splits its rows at random (as Split does for the same fraction and seed) into a training part and a validation part. Categories learned from the data are learned from the training part's rows only, then applied to the validation part: a value only the validation part holds reads as 0 and is counted in Report (the file's, on both parts).");
        using (w.Block($"public static ({name} Train, {name} Validation) FromCsvSplit(string path, double trainFraction, long seed = {TrainCatalog.Seed}, {Types.CsvOptions}? options = null)"))
        {
            w.Line($"var (train, validation, report) = {Types.CsvTable}.ReadSplit(path, CsvSchema, {trainer}.Tasks, trainFraction, seed, options);");
            w.Line($"return (new {name}(train) {{ Report = report }}, new {name}(validation) {{ Report = report }});");
        }
        w.Line();
        w.Summary("Reads CSV text into a dataset; <paramref name=\"source\"/> names it in messages.");
        using (w.Block($"public static {name} FromCsv({Types.TextReader} reader, string source, {Types.CsvOptions}? options = null)"))
        {
            w.Line($"var (data, report) = {Types.CsvTable}.Read(reader, source, CsvSchema, {trainer}.Tasks, options);");
            w.Line($"return new {name}(data) {{ Report = report }};");
        }
        w.Line();
        var inputs = GeneratedNames.Inputs(model);
        var tensors = string.Join(", ", model.Inputs.Select(i => $"inputs[{Literals.String(i.Name)}]"));
        w.Summary("Reads the inputs of a CSV file for prediction (label columns may be absent); the caller owns the tensors.");
        using (w.Block($"public static {inputs} InputsFromCsv(string path, {Types.CsvOptions}? options = null)"))
        {
            w.Line($"var (inputs, _) = {Types.CsvTable}.ReadInputs(path, CsvSchema, options);");
            w.Line($"return new {inputs}({tensors});");
        }
    }

    private static string Source(ColumnSource source) =>
        $"new {Types.ColumnSource}({Types.Strings(source.Columns)}{(source.Categories.Count > 0 ? ", " + Types.Strings(source.Categories) : "")}{(source.LearnsCategories ? ", LearnsCategories: true" : "")})";

    private static void InputsOf(CodeWriter w, MtlModel model, string example)
    {
        var names = new NameScope(model);
        var examples = names.Reserve("examples");
        var rows = names.Reserve("rows");
        var row = names.Reserve("row");
        w.Summary("The inputs of examples as tensors (labels are ignored), for prediction; the caller owns the tensors.");
        using (w.Block($"public static {GeneratedNames.Inputs(model)} InputsOf({Types.Enumerable}<{example}> {examples})"))
        {
            w.Line($"global::System.ArgumentNullException.ThrowIfNull({examples});");
            w.Line($"var {rows} = {examples} as {Types.ReadOnlyList}<{example}> ?? new {Types.List}<{example}>({examples});");
            Columns(w, model, rows, withTargets: false, "");
            using (w.Block($"for (var {row} = 0; {row} < {rows}.Count; {row}++)"))
            {
                foreach (var input in model.Inputs) w.Line($"{input.CSharpName.Camel}.Set({row}, {rows}[{row}].{input.CSharpName.Pascal});");
            }
            w.Line($"return new {GeneratedNames.Inputs(model)}({string.Join(", ", model.Inputs.Select(i => i.CSharpName.Camel + ".ToTensor()"))});");
        }
    }

    private static void TaskDatasets(CodeWriter w, MtlModel model)
    {
        var dataset = GeneratedNames.Dataset(model);
        w.Summary($"Training data where each task of {model.Name} has its own dataset: only that task's labels are used from it, and batches are drawn from the datasets as the file's sampling says.");
        w.Line(SourceFile.GeneratedCodeAttribute);
        using (w.Block($"public sealed partial class {GeneratedNames.TaskDatasets(model)}"))
        {
            var first = true;
            foreach (var task in model.Tasks)
            {
                if (!first) w.Line();
                first = false;
                w.Summary($"The examples of task {task.Name}, or null when it has none.");
                w.Line($"public {dataset}? {task.CSharpName.Pascal} {{ get; init; }}");
            }
        }
    }
}
