using System.Reflection;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;

namespace Mtl.Generator.Tests;

/// <summary>
/// Train on task A, transfer the trunk to task B, through the generated code: SaveBlock writes
/// what a second model's <c>init</c> reads, and its <c>freeze</c> keeps the trunk exactly as saved
/// while the new head trains.
/// </summary>
[Collection(nameof(SeededCollection))]
public sealed class TransferTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-transfer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Mtl(string trunkPath) => $$"""
        model Pretrain
        input x: float[6]
        shared trunk = x -> linear(16) -> batchnorm -> relu
        task a: regression(1) = trunk -> linear(1)
        optimizer adam(lr: 0.01)

        model Transfer
        input x: float[6]
        shared trunk = x -> linear(16) -> batchnorm -> relu
        task b: classes(3) = trunk -> linear(8) -> relu -> linear(3)
        init trunk from "{{trunkPath}}"
        optimizer adam(lr: 0.01)
        train {
          freeze trunk
        }

        model Wider
        input x: float[6]
        shared trunk = x -> linear(32) -> batchnorm -> relu
        task b: binary = trunk -> linear(1)
        init trunk from "{{trunkPath}}"

        model Prefixed
        input x: float[6]
        shared trunk = x -> linear(16) -> batchnorm -> relu
        task b: binary = trunk -> linear(1)
        init trunk from "{{trunkPath}}" prefix "encoder."
        """;

    private static Dictionary<string, float[]> Values(torch.nn.Module module) =>
        module.state_dict().Where(t => t.Value.dtype == ScalarType.Float32).ToDictionary(t => t.Key, t => t.Value.data<float>().ToArray());

    private static void AssertSame(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, values) in expected) Assert.True(values.SequenceEqual(actual[name]), $"'{name}' differs");
    }

    private static torch.nn.Module Block(object model, string property) => (torch.nn.Module)GeneratedAssembly.Get(model, property)!;

    [Fact]
    public void A_trunk_trained_on_one_task_is_saved_loaded_frozen_and_left_bit_identical_while_a_new_head_trains()
    {
        var path = Path.Combine(_folder, "trunk.safetensors");
        var generated = GeneratedAssembly.Compile(Mtl(path));
        var pretrain = generated.Models.Single(m => m.Name == "Pretrain");
        var transfer = generated.Models.Single(m => m.Name == "Transfer");
        var options = new TrainerOptions { Epochs = 3, BatchSize = 16, Seed = 11 };

        Dictionary<string, float[]> saved;
        using (var trainer = (IDisposable)generated.Create("PretrainTrainer", options))
        using (var data = (IDisposable)generated.Dataset(pretrain, 64, seed: 5))
        {
            var model = GeneratedAssembly.Get(trainer, "Model")!;
            var initial = Values(Block(model, "Trunk"));
            GeneratedAssembly.Call(trainer, "Fit", data, null);
            saved = Values(Block(model, "Trunk"));
            Assert.NotEqual(initial["0.weight"], saved["0.weight"]);
            Assert.NotEqual(initial["1.running_mean"], saved["1.running_mean"]);
            GeneratedAssembly.Call(model, "SaveBlock", Enum.Parse(generated.Type("PretrainBlock"), "Trunk"), path);
        }

        var transferOptions = (TrainerOptions)generated.Type("TransferTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)! with { Epochs = 3, BatchSize = 16 };
        using var second = (IDisposable)generated.Create("TransferTrainer", transferOptions);
        using var taskB = (IDisposable)generated.Dataset(transfer, 64, seed: 6);
        var transferModel = GeneratedAssembly.Get(second, "Model")!;
        var trunk = Block(transferModel, "Trunk");
        AssertSame(saved, Values(trunk));
        var head = Values(Block(transferModel, "B"));
        var before = (double)GeneratedAssembly.Get(GeneratedAssembly.Call(second, "Evaluate", taskB)!, "Loss")!;

        GeneratedAssembly.Call(second, "Fit", taskB, null);

        var after = (double)GeneratedAssembly.Get(GeneratedAssembly.Call(second, "Evaluate", taskB)!, "Loss")!;
        AssertSame(saved, Values(trunk));
        Assert.NotEqual(head["0.weight"], Values(Block(transferModel, "B"))["0.weight"]);
        Assert.True(after < before, $"the loss of task b went from {before} to {after}");
        var optimizer = (Optimizer)GeneratedAssembly.Get(second, "Optimizer")!;
        Assert.All(trunk.parameters(), p => Assert.Equal(0, optimizer.step_count(p)));
        Assert.DoesNotContain(optimizer.param_groups.SelectMany(g => g.parameters), p => trunk.parameters().Any(t => ReferenceEquals(t, p)));
        Assert.False(trunk.training);
    }

    [Fact]
    public void Init_errors_name_the_block_the_tensor_the_shapes_and_the_file()
    {
        var path = Path.Combine(_folder, "trunk.safetensors");
        var generated = GeneratedAssembly.Compile(Mtl(path));
        using (var source = (torch.nn.Module)generated.Create("PretrainModel"))
        {
            GeneratedAssembly.Call(source, "SaveBlock", Enum.Parse(generated.Type("PretrainBlock"), "Trunk"), path);
        }

        var shape = Assert.IsType<InvalidDataException>(Assert.Throws<TargetInvocationException>(() => generated.Create("WiderModel")).InnerException);
        var missing = Assert.IsType<InvalidDataException>(Assert.Throws<TargetInvocationException>(() => generated.Create("PrefixedModel")).InnerException);
        File.Delete(path);
        var absent = Assert.IsType<FileNotFoundException>(Assert.Throws<TargetInvocationException>(() => generated.Create("TransferModel")).InnerException);

        Assert.Equal(
            $"cannot load block 'trunk' from '{path}': tensor '0.weight' has shape [16, 6], but the block's '0.weight' has shape [32, 6]; "
            + "tensor '0.bias' has shape [16], but the block's '0.bias' has shape [32]; tensor '1.weight' has shape [16], but the block's '1.weight' has shape [32]; "
            + "tensor '1.bias' has shape [16], but the block's '1.bias' has shape [32]; tensor '1.running_mean' has shape [16], but the block's '1.running_mean' has shape [32]; "
            + "tensor '1.running_var' has shape [16], but the block's '1.running_var' has shape [32]",
            shape.Message);
        Assert.Equal(
            $"cannot load block 'trunk' from '{path}': the file has no tensors 'encoder.0.weight', 'encoder.0.bias', 'encoder.1.weight', 'encoder.1.bias', 'encoder.1.running_mean', 'encoder.1.running_var', 'encoder.1.num_batches_tracked'; "
            + "it has none under the prefix 'encoder.', but has 0.bias, 0.weight, 1.bias, 1.num_batches_tracked, 1.running_mean, 1.running_var, 1.weight",
            missing.Message);
        Assert.StartsWith($"cannot load block 'trunk' from '{path}': there is no such file", absent.Message);
    }

    [Fact]
    public void A_checkpoint_of_a_transfer_model_loads_into_a_trainer_built_without_the_init_files()
    {
        var path = Path.Combine(_folder, "trunk.safetensors");
        var checkpoint = Path.Combine(_folder, "transfer.ckpt");
        var generated = GeneratedAssembly.Compile(Mtl(path));
        var transfer = generated.Models.Single(m => m.Name == "Transfer");
        using (var source = (torch.nn.Module)generated.Create("PretrainModel"))
        {
            GeneratedAssembly.Call(source, "SaveBlock", Enum.Parse(generated.Type("PretrainBlock"), "Trunk"), path);
        }
        var options = (TrainerOptions)generated.Type("TransferTrainer").GetMethod("DefaultOptions")!.Invoke(null, null)! with { Epochs = 1, BatchSize = 16, Seed = 3 };
        Dictionary<string, float[]> trained;
        using (var first = (IDisposable)generated.Create("TransferTrainer", options))
        using (var data = (IDisposable)generated.Dataset(transfer, 32, seed: 6))
        {
            GeneratedAssembly.Call(first, "Fit", data, null);
            GeneratedAssembly.Call(first, "Save", checkpoint);
            trained = Values((torch.nn.Module)GeneratedAssembly.Get(first, "Model")!);
        }
        File.Delete(path);

        using var second = (IDisposable)generated.Create("TransferTrainer", options, false);
        GeneratedAssembly.Call(second, "Load", checkpoint);

        AssertSame(trained, Values((torch.nn.Module)GeneratedAssembly.Get(second, "Model")!));
        Assert.Equal(1, (int)GeneratedAssembly.Get(second, "Epoch")!);
    }

    [Fact]
    public void A_model_built_without_its_init_weights_needs_no_file_and_LoadBlock_reads_another_path()
    {
        var path = Path.Combine(_folder, "trunk.safetensors");
        var other = Path.Combine(_folder, "encoder.safetensors");
        var generated = GeneratedAssembly.Compile(Mtl(path));
        using var source = (torch.nn.Module)generated.Create("PretrainModel");
        BlockWeights.Save(Block(source, "Trunk"), other, "encoder.");

        using var model = (torch.nn.Module)generated.Create("PrefixedModel", false);
        GeneratedAssembly.Call(model, "LoadBlock", Enum.Parse(generated.Type("PrefixedBlock"), "Trunk"), other, "encoder.");

        AssertSame(Values(Block(source, "Trunk")), Values(Block(model, "Trunk")));
        Assert.False(File.Exists(path));
    }
}
