using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>An input "island" whose categories are learned, looked up by an embedding of the given vocab, and two regression heads "mass" and "size" (both labelled by the mass column).</summary>
internal sealed class IslandModel : MultiTaskModule
{
    private readonly Embedding embedding;
    private readonly Linear head;
    private readonly Linear size;
    private readonly IReadOnlyList<LearnedCategoryInput> _learned;

    public IslandModel(long vocab = 4, string learned = "island") : base(nameof(IslandModel))
    {
        embedding = nn.Embedding(vocab, 3);
        head = nn.Linear(3, 1);
        size = nn.Linear(3, 1);
        RegisterComponents();
        _learned = learned.Length == 0 ? [] : [new LearnedCategoryInput(learned, vocab)];
    }

    public static readonly TaskSpec[] Tasks = [new TaskSpec("mass", TaskKind.Regression) { Metrics = ["mae"] }, new TaskSpec("size", TaskKind.Regression)];

    public static CsvSchema Schema { get; } = new(
        [new CsvInput("island", ScalarType.Int64, [], new ColumnSource(["island"], LearnsCategories: true))],
        [new CsvLabel(Tasks[0], new ColumnSource(["mass"])), new CsvLabel(Tasks[1], new ColumnSource(["mass"]))]);

    public override IReadOnlyList<LearnedCategoryInput> LearnedCategoryInputs => _learned;

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var shared = embedding.forward(inputs["island"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["mass"] = head.forward(shared), ["size"] = size.forward(shared) }, shared);
    }

    public override IEnumerable<nn.Module> SharedModules() => [embedding];
}

/// <summary>
/// Learned categories in training: the model takes the vocabulary of the training data before the
/// first step (checked against its embedding and the validation data), checkpoints carry it, and
/// a loaded model reads new data exactly as in training.
/// </summary>
[Collection(GlobalGeneratorCollection.Name)]
public sealed class LearnedCategoryTrainingTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-categories-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Csv(params string[] islands) =>
        "island,mass\n" + string.Concat(islands.Select((island, i) => $"{island},{(i % 3) + 1}\n"));

    private static MultiTaskDataset Read(string text, CsvOptions? options = null) =>
        CsvTable.Read(new StringReader(text), "islands.csv", IslandModel.Schema, IslandModel.Tasks, options).Data;

    private static Trainer NewTrainer(IslandModel model, string? checkpoint = null) =>
        new(model, IslandModel.Tasks, optim.SGD(model.parameters(), lr: 0.1), new TrainerOptions { Epochs = 2, BatchSize = 2, Seed = 3, CheckpointPath = checkpoint, Progress = TextWriter.Null });

    [Fact]
    public void Fit_takes_the_training_data_s_vocabulary_into_the_model()
    {
        using var trainer = NewTrainer(new IslandModel());
        using var train = Read(Csv("Dream", "Biscoe", "Torgersen", "Dream"));
        var model = (IslandModel)trainer.Parts.Model;
        Assert.Empty(model.LearnedCategories);

        trainer.Fit(train);

        Assert.Equal(["Biscoe", "Dream", "Torgersen"], model.LearnedCategories["island"]);
    }

    [Fact]
    public void A_vocabulary_larger_than_the_embedding_fails_before_the_first_step_naming_the_input_the_count_and_the_vocab()
    {
        using var trainer = NewTrainer(new IslandModel(vocab: 4));
        using var train = Read(Csv("a", "b", "c", "d"));

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(train));

        Assert.Equal("input 'island' learned 4 categories from the training rows, so its indices go up to 4 (0 is a value unseen in training), but the embedding it feeds has vocab 4: give the embedding vocab: 5 or more", error.Message);
        Assert.Equal(0, trainer.Step);
        Assert.Empty(trainer.Parts.Model.LearnedCategories);
    }

    [Fact]
    public void Validation_data_that_learned_its_own_vocabulary_is_refused()
    {
        using var trainer = NewTrainer(new IslandModel());
        using var train = Read(Csv("Dream", "Biscoe"));
        using var validation = Read(Csv("Torgersen", "Biscoe"));

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(train, validation));

        Assert.Equal("input 'island': the validation data was read with the categories [Biscoe, Torgersen], not with those learned from the training data [Biscoe, Dream]; read it with CsvOptions.Categories = the training data's Categories", error.Message);
        Assert.Empty(trainer.Parts.Model.LearnedCategories);
    }

    [Fact]
    public void Validation_data_read_with_the_training_vocabulary_is_accepted_with_its_unseen_values_at_0()
    {
        using var trainer = NewTrainer(new IslandModel());
        using var train = Read(Csv("Dream", "Biscoe"));
        using var validation = Read(Csv("Torgersen", "Biscoe"), new CsvOptions { Categories = train.Categories });

        trainer.Fit(train, validation);

        Assert.Equal([0L, 1], validation.Inputs["island"].data<long>());
        Assert.Equal(2, trainer.Epoch);
    }

    [Fact]
    public void Training_again_on_data_read_with_another_vocabulary_is_refused()
    {
        using var trainer = NewTrainer(new IslandModel());
        using var first = Read(Csv("Dream", "Biscoe"));
        using var second = Read(Csv("Dream", "Torgersen"));
        trainer.Fit(first);

        var error = Assert.Throws<InvalidDataException>(() => trainer.Fit(second));
        var evaluation = Assert.Throws<InvalidDataException>(() => trainer.Evaluate(second));

        Assert.Equal("input 'island': the training data was read with the categories [Dream, Torgersen], but the model has learned [Biscoe, Dream]; read it with CsvOptions.Categories = the model's LearnedCategories", error.Message);
        Assert.Equal("input 'island': the evaluation data was read with the categories [Dream, Torgersen], but the model has learned [Biscoe, Dream]; read it with CsvOptions.Categories = the model's LearnedCategories", evaluation.Message);
        using var same = Read(Csv("Torgersen", "Dream"), new CsvOptions { Categories = trainer.Parts.Model.LearnedCategories });
        Assert.Contains("mass.loss", trainer.Evaluate(same).Keys);
    }

    [Fact]
    public void A_checkpoint_carries_the_vocabulary_and_a_loaded_model_predicts_new_rows_exactly_as_the_trained_one()
    {
        var checkpoint = Path.Combine(_folder, "run.ckpt");
        var rows = Csv("Torgersen", "Dream", "Atlantis", "Biscoe");
        float[] trained;
        using (var trainer = NewTrainer(new IslandModel(), checkpoint))
        using (var train = Read(Csv("Dream", "Biscoe", "Torgersen", "Dream", "Biscoe")))
        {
            trainer.Fit(train);
            trained = Predict(trainer, rows);
        }
        using var fresh = NewTrainer(new IslandModel());
        Assert.NotEqual(trained, Predict(fresh, rows, new Dictionary<string, IReadOnlyList<string>> { ["island"] = ["Biscoe", "Dream", "Torgersen"] }));

        Checkpoint.Load(checkpoint, fresh);

        Assert.Equal(["Biscoe", "Dream", "Torgersen"], fresh.Parts.Model.LearnedCategories["island"]);
        Assert.Equal(trained, Predict(fresh, rows));
    }

    /// <summary>The mass predicted for each row, its inputs read with the model's learned vocabularies (or the given ones).</summary>
    private static float[] Predict(Trainer trainer, string rows, IReadOnlyDictionary<string, IReadOnlyList<string>>? categories = null)
    {
        using var scope = NewDisposeScope();
        var (inputs, report) = CsvTable.ReadInputs(new StringReader(rows), "new.csv", IslandModel.Schema, new CsvOptions { Categories = categories ?? trainer.Parts.Model.LearnedCategories });
        Assert.Equal(1, report.UnseenCategories["island"]);
        return trainer.Predict(inputs).Tasks["mass"].data<float>().ToArray();
    }

    [Fact]
    public void A_checkpoint_without_a_vocabulary_loads_and_leaves_the_model_without_one()
    {
        var checkpoint = Path.Combine(_folder, "tensors.ckpt");
        using (var trainer = NewTrainer(new IslandModel()))
        using (var train = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["island"] = tensor(new long[] { 1, 2 }, [2]) },
            new Dictionary<string, Tensor> { ["mass"] = tensor(new float[] { 1, 2 }, [2, 1]), ["size"] = tensor(new float[] { 1, 2 }, [2, 1]) },
            IslandModel.Tasks))
        {
            trainer.Fit(train);
            Assert.Empty(trainer.Parts.Model.LearnedCategories);
            Checkpoint.Save(checkpoint, trainer);
        }
        using var fresh = NewTrainer(new IslandModel());

        Checkpoint.Load(checkpoint, fresh);

        Assert.Empty(fresh.Parts.Model.LearnedCategories);
        Assert.Equal(2, fresh.Epoch);
    }

    [Fact]
    public void A_checkpoint_whose_vocabulary_the_model_cannot_take_is_refused_naming_the_input_and_nothing_is_loaded()
    {
        var checkpoint = Path.Combine(_folder, "run.ckpt");
        using (var trainer = NewTrainer(new IslandModel(vocab: 4), checkpoint))
        using (var train = Read(Csv("a", "b", "c")))
        {
            trainer.Fit(train);
        }

        using var other = NewTrainer(new IslandModel(vocab: 4, learned: "port"));
        var wrongInput = Assert.Throws<CheckpointException>(() => Checkpoint.Load(checkpoint, other));
        Assert.Equal($"checkpoint '{checkpoint}': 'categories' has a vocabulary for input 'island', but this model does not learn the categories of an input 'island' (it learns those of: 'port')", wrongInput.Message);
        Assert.Equal(0, other.Epoch);

        using var listing = NewTrainer(new IslandModel(vocab: 4, learned: ""));
        var listed = Assert.Throws<CheckpointException>(() => Checkpoint.Load(checkpoint, listing));
        Assert.Equal($"checkpoint '{checkpoint}': 'categories' has a vocabulary for input 'island', but this model does not learn the categories of an input 'island' (it learns those of: none)", listed.Message);

        using var smaller = NewTrainer(new IslandModel(vocab: 3));
        var tooSmall = Assert.Throws<CheckpointException>(() => Checkpoint.Load(checkpoint, smaller));
        Assert.Equal($"checkpoint '{checkpoint}': 'categories.island' does not fit this model: input 'island' learned 3 categories from the training rows, so its indices go up to 3 (0 is a value unseen in training), but the embedding it feeds has vocab 3: give the embedding vocab: 4 or more", tooSmall.Message);
        Assert.Empty(smaller.Parts.Model.LearnedCategories);
        Assert.Equal(0, smaller.Epoch);
    }

    [Fact]
    public void Per_task_training_datasets_must_agree_on_the_vocabulary_and_one_without_a_vocabulary_leaves_it_to_the_others()
    {
        using var trainer = NewTrainer(new IslandModel());
        using var biscoe = Read(Csv("Dream", "Biscoe"));
        using var torgersen = Read(Csv("Dream", "Torgersen"));
        using var tensors = new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["island"] = tensor(new long[] { 1, 2 }, [2]) },
            new Dictionary<string, Tensor> { ["size"] = tensor(new float[] { 1, 2 }, [2, 1]) },
            IslandModel.Tasks);
        TaskDatasets Datasets(MultiTaskDataset mass, MultiTaskDataset size) =>
            new(new Dictionary<string, MultiTaskDataset> { ["mass"] = mass.WithTargets("mass"), ["size"] = size.WithTargets("size") });

        using (var disagreeing = Datasets(biscoe, torgersen))
        {
            var error = Assert.Throws<ArgumentException>(() => trainer.Fit(disagreeing));
            Assert.Equal("input 'island': the training dataset of task 'mass' and the training dataset of task 'size' were read with different categories ([Biscoe, Dream] and [Dream, Torgersen]); read every training file with one vocabulary (CsvOptions.Categories)", error.Message);
            Assert.Empty(trainer.Parts.Model.LearnedCategories);
        }

        using var agreeing = Datasets(biscoe, tensors);
        trainer.Fit(agreeing);

        Assert.Equal(["Biscoe", "Dream"], trainer.Parts.Model.LearnedCategories["island"]);
    }

    [Fact]
    public void The_vocabulary_is_in_the_checkpoint_metadata_under_its_checksum()
    {
        var checkpoint = Path.Combine(_folder, "run.ckpt");
        using (var trainer = NewTrainer(new IslandModel(), checkpoint))
        using (var train = Read(Csv("b", "a", "c")))
        {
            trainer.Fit(train);
        }
        var metadata = Safetensors.ReadMetadata(checkpoint)["mtl.checkpoint"];
        Assert.Equal("""{"island":["a","b","c"]}""", JsonNode.Parse(metadata)!["categories"]!.ToJsonString());

        var damaged = Path.Combine(_folder, "damaged.ckpt");
        Rewrite(checkpoint, damaged, meta => meta["categories"]!["island"]![0] = "z", checksum: false);
        using var fresh = NewTrainer(new IslandModel());
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(damaged, fresh));
        Assert.Contains("the metadata is damaged", error.Message);
        Assert.Empty(fresh.Parts.Model.LearnedCategories);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "\"island\"", "'categories' must be a JSON object" },
        { "{\"island\":\"a\"}", "'categories.island' must be a JSON array of strings" },
        { "{\"island\":[\"a\",1]}", "'categories.island[1]' must be a string" },
        { "{\"island\":[\"b\",\"a\"]}", "'categories.island' does not fit this model: input 'island': the learned vocabulary is not in ordinal order ('b' comes before 'a')" },
        { "{\"island\":[]}", "'categories.island' does not fit this model: input 'island': a learned vocabulary holds at least one value" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_vocabulary_in_the_metadata_is_refused_naming_the_entry(string categories, string problem)
    {
        var checkpoint = Path.Combine(_folder, "run.ckpt");
        using (var trainer = NewTrainer(new IslandModel(), checkpoint))
        using (var train = Read(Csv("a", "b")))
        {
            trainer.Fit(train);
        }
        var edited = Path.Combine(_folder, "edited.ckpt");
        Rewrite(checkpoint, edited, meta => meta["categories"] = JsonNode.Parse(categories));
        using var fresh = NewTrainer(new IslandModel());

        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(edited, fresh));

        Assert.Equal($"checkpoint '{edited}': {problem}", error.Message);
        Assert.Equal(0, fresh.Epoch);
        Assert.Empty(fresh.Parts.Model.LearnedCategories);
    }

    /// <summary>Copies a checkpoint with its metadata edited and, unless told not to, the metadata's checksum written again.</summary>
    private static void Rewrite(string from, string to, Action<JsonObject> meta, bool checksum = true)
    {
        using var scope = NewDisposeScope();
        using var content = load_safetensors(from);
        var json = JsonNode.Parse(content.metadata["mtl.checkpoint"])!.AsObject();
        meta(json);
        var text = json.ToJsonString();
        var entries = new Dictionary<string, string>
        {
            ["mtl.checkpoint"] = text,
            ["mtl.checkpoint.crc32c"] = checksum ? TensorDigest.Crc32COf(Encoding.UTF8.GetBytes(text)).ToString("x8", CultureInfo.InvariantCulture) : content.metadata["mtl.checkpoint.crc32c"],
        };
        save_safetensors(content.tensors.ToDictionary(t => t.Key, t => t.Value), to, entries);
    }
}
