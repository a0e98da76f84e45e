using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Mtl.Dsl;
using Mtl.Dsl.Model;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>The generated code of a .mtl text compiled into an assembly and loaded, to train it through reflection.</summary>
internal sealed class GeneratedAssembly
{
    private GeneratedAssembly(Assembly assembly, IReadOnlyList<MtlModel> models)
    {
        Assembly = assembly;
        Models = models;
    }

    public Assembly Assembly { get; }

    public IReadOnlyList<MtlModel> Models { get; }

    public static GeneratedAssembly Compile(string mtl)
    {
        var run = GeneratorHarness.Generate(mtl);
        using var stream = new MemoryStream();
        var result = run.Output.Emit(stream);
        if (!result.Success) throw new InvalidOperationException(CompileTests.Describe(result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        stream.Position = 0;
        var assembly = new AssemblyLoadContext(null, isCollectible: false).LoadFromStream(stream);
        return new GeneratedAssembly(assembly, MtlCompiler.Compile(mtl, "model.mtl").Models);
    }

    public Type Type(string name) => Assembly.GetTypes().Single(t => t.Name == name);

    public object Create(string type, params object?[] arguments) => Activator.CreateInstance(Type(type), arguments)!;

    /// <summary>A new <paramref name="model"/>, built without the files of its init statements (with its random initial weights).</summary>
    public torch.nn.Module Model(MtlModel model) =>
        (torch.nn.Module)(model.Inits.Count > 0 ? Create(GeneratedNames.Model(model), false) : Create(GeneratedNames.Model(model)));

    public static object? Call(object target, string method, params object?[] arguments) =>
        target.GetType().GetMethods().Single(m => m.Name == method && m.GetParameters().Length == arguments.Length
            && m.GetParameters().Zip(arguments).All(p => p.Second is null || p.First.ParameterType.IsInstanceOfType(p.Second))).Invoke(target, arguments);

    public static object? Get(object target, string property) => target.GetType().GetProperty(property)!.GetValue(target);

    /// <summary>
    /// A dataset of <paramref name="count"/> random examples for <paramref name="model"/>: normal
    /// floating-point inputs, ids in [0, 2) for integer inputs, labels of each task's kind (dense
    /// float targets in [0.5, 1.5), positive for scale_invariant_log).
    /// </summary>
    public object Dataset(MtlModel model, int count, long seed)
    {
        using var scope = NewDisposeScope();
        manual_seed(seed);
        var inputs = model.Inputs.Select(i => (object?)Input(i.Type, count)).ToArray();
        var targets = model.Tasks.Select(t => (object?)Target(t, count)).ToArray();
        var inputsObject = Create(GeneratedNames.Inputs(model), inputs);
        var targetsObject = Create(GeneratedNames.Targets(model), targets);
        return Type(GeneratedNames.Dataset(model)).GetMethod("From", [inputsObject.GetType(), targetsObject.GetType()])!.Invoke(null, [inputsObject, targetsObject])!;
    }

    private static Tensor Input(TensorType type, int count)
    {
        long[] shape = [count, .. type.Shape.Dimensions.Select(d => (long)d)];
        return type.DType switch
        {
            DType.Float => randn(shape),
            DType.Double => randn(shape).to(ScalarType.Float64),
            DType.Long => randint(2, shape),
            DType.Int => randint(2, shape).to(ScalarType.Int32),
            _ => randint(2, shape).to(ScalarType.Bool),
        };
    }

    private static Tensor Target(TaskHead task, int count) => task.Kind switch
    {
        TaskKind.Classes => randint(task.Size, [count]),
        TaskKind.Regression => randn(count, task.Size),
        TaskKind.Binary or TaskKind.Multilabel => randint(2, [count, task.Size]).to(ScalarType.Float32),
        TaskKind.PixelClasses or TaskKind.TokenClasses => randint(task.Size, [count, .. task.Target.Shape.Dimensions.Select(d => (long)d)]),
        // Positive, as scale_invariant_log takes their log.
        _ => rand([count, .. task.Target.Shape.Dimensions.Select(d => (long)d)]) + 0.5,
    };
}
