using Mtl.Data;
using Mtl.Dsl.Model;
using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Generator.Tests;

/// <summary>A generated model declares its .mtl inputs, and the runtime's trainer checks data against them.</summary>
[Collection(nameof(SeededCollection))]
public sealed class DeclaredInputsTests
{
    public static TheoryData<int> Examples => new(Enumerable.Range(0, DocExamples.Blocks.Count));

    private static ScalarType ScalarTypeOf(DType dtype) => dtype switch
    {
        DType.Float => ScalarType.Float32,
        DType.Double => ScalarType.Float64,
        DType.Long => ScalarType.Int64,
        DType.Int => ScalarType.Int32,
        _ => ScalarType.Bool,
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_generated_model_declares_the_inputs_of_its_mtl_file(int example)
    {
        var generated = GeneratedAssembly.Compile(DocExamples.Blocks[example]);
        foreach (var model in generated.Models)
        {
            using var module = (MultiTaskModule)generated.Model(model);
            var expected = model.Inputs.Select(i => new InputDeclaration(i.Name, ScalarTypeOf(i.Type.DType), i.Type.Shape.Dimensions.Select(d => (long)d).ToArray())).ToList();
            Assert.Equal(expected, module.DeclaredInputs);
        }
    }

    [Fact]
    public void The_trainer_names_a_generated_models_input_that_the_data_gets_wrong()
    {
        const string mtl = """
            model Small
            input x: float[4]
            shared trunk = x -> linear(8) -> relu
            task y: regression(1) = trunk -> linear(1)
            """;
        var generated = GeneratedAssembly.Compile(mtl);
        var tasks = (IReadOnlyList<TaskSpec>)generated.Type("SmallTrainer").GetProperty("Tasks")!.GetValue(null)!;
        manual_seed(1);
        using var model = (MultiTaskModule)generated.Create("SmallModel");
        using var optimizer = optim.SGD(model.parameters(), lr: 0.01);
        using var trainer = new Trainer(model, tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 16 });
        using var scope = NewDisposeScope();
        using var data = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = randn(32, 3) },
            new Dictionary<string, Tensor> { ["y"] = randn(32, 1) },
            tasks);
        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(data));
        Assert.Equal("the training data does not fit SmallModel: input 'x' must be torch.float32 [N, 4], not torch.float32 [32, 3]", error.Message);
        Assert.Equal(0, trainer.Step);
    }
}
