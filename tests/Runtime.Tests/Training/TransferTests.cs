using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>A trunk with batch norm, a second shared block on top of it, and the two heads of <see cref="TwoTaskData"/>.</summary>
internal sealed class TransferModel : MultiTaskModule
{
    private readonly Sequential trunk;
    private readonly Sequential top;
    private readonly Sequential value;
    private readonly Sequential kind;

    public TransferModel() : base(nameof(TransferModel))
    {
        trunk = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU());
        top = nn.Sequential(nn.Linear(16, 16), nn.Tanh());
        value = nn.Sequential(nn.Linear(16, 1));
        kind = nn.Sequential(nn.Linear(16, 3));
        RegisterComponents();
    }

    public Sequential Trunk => trunk;

    public Sequential Top => top;

    public Sequential Value => value;

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var shared = top.forward(trunk.forward(inputs["x"]));
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["value"] = value.forward(shared), ["kind"] = kind.forward(shared) }, shared);
    }

    public override IEnumerable<nn.Module> SharedModules() => [trunk, top];
}

/// <summary>
/// Transfer: a block's weights saved and loaded (<see cref="BlockWeights"/>) with every error
/// named, and frozen modules (<see cref="TrainerOptions.Frozen"/>) that training leaves exactly
/// as they were.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class TransferTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-transfer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    private static Dictionary<string, float[]> Values(nn.Module module) =>
        module.state_dict().Where(t => t.Value.dtype == ScalarType.Float32).ToDictionary(t => t.Key, t => t.Value.data<float>().ToArray());

    private static void AssertSame(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, values) in expected) Assert.True(values.SequenceEqual(actual[name]), $"'{name}' changed");
    }

    [Fact]
    public void A_saved_block_loads_into_another_model_with_its_batch_norm_statistics()
    {
        manual_seed(1);
        using var source = new TransferModel();
        using (no_grad())
        {
            foreach (var buffer in source.Trunk.buffers()) buffer.add_(3);
        }
        var path = PathOf("trunk.safetensors");
        BlockWeights.Save(source.Trunk, path);
        manual_seed(2);
        using var target = new TransferModel();

        BlockWeights.Load(target.Trunk, "trunk", path);

        AssertSame(Values(source.Trunk), Values(target.Trunk));
        Assert.Equal(["0.bias", "0.weight", "1.bias", "1.num_batches_tracked", "1.running_mean", "1.running_var", "1.weight"],
            Safetensors.Load(path).tensors.Keys.Order());
        Assert.Equal(source.Trunk.state_dict()["1.num_batches_tracked"].item<long>(), target.Trunk.state_dict()["1.num_batches_tracked"].item<long>());
    }

    [Fact]
    public void A_prefix_reads_a_block_out_of_a_whole_model_or_a_checkpoint()
    {
        manual_seed(1);
        using var source = new TransferModel();
        var whole = PathOf("model.safetensors");
        source.save_safetensors(whole);
        var prefixed = PathOf("encoder.safetensors");
        BlockWeights.Save(source.Top, prefixed, "encoder.");
        manual_seed(2);
        using var target = new TransferModel();

        BlockWeights.Load(target.Trunk, "trunk", whole, "trunk.");
        BlockWeights.Load(target.Top, "top", prefixed, "encoder.");

        AssertSame(Values(source.Trunk), Values(target.Trunk));
        AssertSame(Values(source.Top), Values(target.Top));
        Assert.Equal(["encoder.0.bias", "encoder.0.weight"], Safetensors.Load(prefixed).tensors.Keys.Order());
    }

    [Fact]
    public void A_shape_mismatch_names_each_tensor_with_both_shapes_and_loads_nothing()
    {
        var path = PathOf("narrow.safetensors");
        BlockWeights.Save(nn.Sequential(nn.Linear(6, 8)), path);
        using var block = nn.Sequential(nn.Linear(6, 16));
        var before = Values(block);

        var error = Assert.Throws<InvalidDataException>(() => BlockWeights.Load(block, "trunk", path));

        Assert.Equal(
            $"cannot load block 'trunk' from '{path}': tensor '0.weight' has shape [8, 6], but the block's '0.weight' has shape [16, 6]; "
            + "tensor '0.bias' has shape [8], but the block's '0.bias' has shape [16]",
            error.Message);
        AssertSame(before, Values(block));
    }

    [Fact]
    public void A_missing_tensor_is_named_with_what_the_file_has_and_loads_nothing()
    {
        var path = PathOf("short.safetensors");
        BlockWeights.Save(nn.Sequential(nn.Linear(6, 16)), path, "enc.");
        using var block = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4));
        var before = Values(block);

        var error = Assert.Throws<InvalidDataException>(() => BlockWeights.Load(block, "trunk", path, "enc."));
        var elsewhere = Assert.Throws<InvalidDataException>(() => BlockWeights.Load(block, "trunk", path, "trunk."));

        Assert.Equal(
            $"cannot load block 'trunk' from '{path}': the file has no tensors 'enc.2.weight', 'enc.2.bias'; it has enc.0.bias, enc.0.weight",
            error.Message);
        Assert.Equal(
            $"cannot load block 'trunk' from '{path}': the file has no tensors 'trunk.0.weight', 'trunk.0.bias', 'trunk.2.weight', 'trunk.2.bias'; it has none under the prefix 'trunk.', but has enc.0.bias, enc.0.weight",
            elsewhere.Message);
        AssertSame(before, Values(block));
    }

    [Fact]
    public void A_tensor_the_block_does_not_have_is_a_different_block()
    {
        var path = PathOf("long.safetensors");
        BlockWeights.Save(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4)), path);
        using var block = nn.Sequential(nn.Linear(6, 16));
        var before = Values(block);

        var error = Assert.Throws<InvalidDataException>(() => BlockWeights.Load(block, "trunk", path));

        Assert.Equal(
            $"cannot load block 'trunk' from '{path}': the file's tensors '2.bias', '2.weight' are not the block's (it has 0.weight, 0.bias): the file holds a different block",
            error.Message);
        AssertSame(before, Values(block));
    }

    [Fact]
    public void A_dtype_mismatch_is_named_and_a_missing_file_says_where_relative_paths_go()
    {
        var path = PathOf("double.safetensors");
        using (var wide = nn.Sequential(nn.Linear(6, 16)))
        {
            wide.to(ScalarType.Float64);
            BlockWeights.Save(wide, path);
        }
        using var block = nn.Sequential(nn.Linear(6, 16));

        var dtype = Assert.Throws<InvalidDataException>(() => BlockWeights.Load(block, "trunk", path));
        var missing = Assert.Throws<FileNotFoundException>(() => BlockWeights.Load(block, "trunk", "no/such.safetensors"));

        Assert.StartsWith($"cannot load block 'trunk' from '{path}': tensor '0.weight' holds torch.float64, but the block's '0.weight' is torch.float32; ", dtype.Message);
        Assert.Equal($"cannot load block 'trunk' from 'no/such.safetensors': there is no such file (a relative path resolves against the current directory, {Directory.GetCurrentDirectory()})", missing.Message);
    }

    /// <summary>Trains a new model with the given modules frozen; returns the model and the trainer (the caller disposes both).</summary>
    private static (TransferModel Model, Trainer Trainer, Optimizer Optimizer) FrozenTrainer(Func<TransferModel, nn.Module[]> frozen, TaskWeighting? weighting = null, double l2 = 0)
    {
        manual_seed(4);
        var model = new TransferModel();
        var modules = frozen(model);
        var optimizer = optim.Adam(ParameterGroups.Split(model, modules), lr: 1e-2);
        var trainer = new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Epochs = 2, BatchSize = 32, Frozen = modules, Weighting = weighting, L2 = l2 });
        return (model, trainer, optimizer);
    }

    [Fact]
    public void A_frozen_trunk_stays_bit_identical_with_its_batch_norm_statistics_while_the_rest_trains()
    {
        using var train = TwoTaskData.Make(256, seed: 1);
        using var validation = TwoTaskData.Make(64, seed: 2);
        var (model, trainer, optimizer) = FrozenTrainer(m => [m.Trunk], l2: 1e-2);
        using var m = model;
        using var t = trainer;
        using var o = optimizer;
        var trunk = Values(model.Trunk);
        var top = Values(model.Top);

        trainer.Fit(train, validation);

        AssertSame(trunk, Values(model.Trunk));
        Assert.Equal(0, model.Trunk.state_dict()["1.num_batches_tracked"].item<long>());
        Assert.NotEqual(top["0.weight"], Values(model.Top)["0.weight"]);
        Assert.All(model.Trunk.parameters(), p => Assert.False(p.requires_grad));
        Assert.All(model.Top.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Frozen_parameters_are_in_no_optimizer_group_and_get_no_optimizer_state()
    {
        using var train = TwoTaskData.Make(128, seed: 1);
        var (model, trainer, optimizer) = FrozenTrainer(m => [m.Trunk]);
        using var m = model;
        using var t = trainer;
        using var o = optimizer;

        trainer.Fit(train);

        var held = optimizer.param_groups.SelectMany(g => g.parameters).ToList();
        Assert.DoesNotContain(held, p => model.Trunk.parameters().Any(f => ReferenceEquals(f, p)));
        Assert.Equal(model.parameters().Count() - model.Trunk.parameters().Count(), held.Count);
        using var state = optimizer.state_dict();
        Assert.Equal(held.Count, state.state.Count);
        Assert.All(model.Trunk.parameters(), p => Assert.Equal(0, optimizer.step_count(p)));
    }

    [Fact]
    public void A_frozen_module_stays_in_evaluation_mode_through_train_and_evaluate()
    {
        using var data = TwoTaskData.Make(64, seed: 1);
        var (model, trainer, optimizer) = FrozenTrainer(m => [m.Trunk]);
        using var m = model;
        using var t = trainer;
        using var o = optimizer;

        model.train();
        Assert.False(model.Trunk.training);
        Assert.All(model.Trunk.modules(), module => Assert.False(module.training));
        Assert.True(model.Top.training);
        trainer.Evaluate(data);
        Assert.False(model.Trunk.training);
        Assert.True(model.training);
        model.eval();
        Assert.False(model.Top.training);
    }

    [Theory]
    [InlineData("pcgrad")]
    [InlineData("gradnorm")]
    [InlineData("mgda")]
    public void Gradient_weighting_balances_only_the_shared_parameters_that_train(string method)
    {
        using var train = TwoTaskData.Make(128, seed: 1);
        var (model, trainer, optimizer) = FrozenTrainer(m => [m.Trunk], TaskWeighting.Create(method, [1.0, 0.5]));
        using var m = model;
        using var t = trainer;
        using var o = optimizer;
        using var weighting = trainer.Options.Weighting;
        var trunk = Values(model.Trunk);
        var top = Values(model.Top);

        var history = trainer.Fit(train);

        AssertSame(trunk, Values(model.Trunk));
        Assert.NotEqual(top["0.weight"], Values(model.Top)["0.weight"]);
        Assert.All(history, r => Assert.True(double.IsFinite(r.TrainLoss)));
        Assert.Same(model.Top.parameters().First(), Assert.Single(model.LastSharedLayer()));
    }

    [Fact]
    public void An_optimizer_that_holds_a_frozen_parameter_is_refused_before_anything_is_frozen()
    {
        manual_seed(4);
        using var model = new TransferModel();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);

        var error = Assert.Throws<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Frozen = [model.Trunk] }));

        Assert.StartsWith("the optimizer holds parameter 'trunk.0.weight' of a frozen module; build it over the parameters that train (ParameterGroups.Split(model, frozen, ...))", error.Message);
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.Empty(model.FrozenModules);
    }

    [Fact]
    public void Frozen_modules_of_another_model_are_refused_before_anything_is_frozen()
    {
        using var model = new TransferModel();
        using var other = nn.Sequential(nn.Linear(2, 2));
        using var optimizer = optim.Adam(ParameterGroups.Split(model, [model.Trunk]), lr: 1e-2);

        var error = Assert.Throws<ArgumentException>(() => new Trainer(model, TwoTaskData.Tasks, optimizer, new TrainerOptions { Frozen = [model.Trunk, other] }));

        Assert.StartsWith("TrainerOptions.Frozen lists Sequential, which is not a module of TransferModel", error.Message);
        Assert.Empty(model.FrozenModules);
        Assert.All(model.Trunk.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void Split_leaves_frozen_modules_out_and_refuses_a_group_for_one()
    {
        using var model = new TransferModel();
        var options = new Dictionary<string, double> { ["lr"] = 0.1 };

        var groups = ParameterGroups.Split(model, [model.Trunk], (model.Top, options));
        var error = Assert.Throws<ArgumentException>(() => ParameterGroups.Split(model, [model.Trunk], (model.Trunk, options)));

        Assert.Equal(2, groups.Count);
        Assert.Equal(model.Value.parameters().Count() + 2, groups[0].parameters.Count);
        Assert.Equal(model.Top.parameters(), groups[1].parameters);
        Assert.StartsWith("Sequential is frozen, so it cannot have a parameter group", error.Message);
    }

    [Fact]
    public void Freezing_a_module_of_another_model_is_an_error()
    {
        using var model = new TransferModel();
        using var other = nn.Sequential(nn.Linear(2, 2));

        var error = Assert.Throws<ArgumentException>(() => model.Freeze(other));

        Assert.StartsWith("Sequential is not a module of TransferModel, so TransferModel cannot freeze it", error.Message);
        Assert.Empty(model.FrozenModules);
    }

    [Fact]
    public void Checkpoints_still_save_and_restore_frozen_parameters_and_a_block_reads_out_of_one()
    {
        using var train = TwoTaskData.Make(128, seed: 1);
        var path = PathOf("frozen.ckpt");
        var (model, trainer, optimizer) = FrozenTrainer(m => [m.Trunk]);
        using (model)
        using (trainer)
        using (optimizer)
        {
            using (no_grad())
            {
                foreach (var parameter in model.Trunk.parameters()) parameter.add_(0.25);
            }
            trainer.Fit(train);
            Checkpoint.Save(path, trainer);
            var saved = Values(model.Trunk);

            var (restored, resumed, resumedOptimizer) = FrozenTrainer(m => [m.Trunk]);
            using var r = restored;
            using var t = resumed;
            using var o = resumedOptimizer;
            Checkpoint.Load(path, resumed);

            AssertSame(saved, Values(restored.Trunk));
            Assert.All(restored.Trunk.parameters(), p => Assert.False(p.requires_grad));
            using var fresh = new TransferModel();
            BlockWeights.Load(fresh.Trunk, "trunk", path, "model.trunk.");
            AssertSame(saved, Values(fresh.Trunk));
        }
    }
}
