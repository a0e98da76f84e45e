using Mtl.Data;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>A trunk with three regression heads of one shape, as <c>regularize mtrl</c> needs.</summary>
internal sealed class RelationModel : MultiTaskModule
{
    private readonly Sequential trunk;
    private readonly Sequential a;
    private readonly Sequential b;
    private readonly Sequential c;

    public RelationModel(ScalarType? dtype = null) : base(nameof(RelationModel))
    {
        trunk = nn.Sequential(nn.Linear(4, 6, dtype: dtype), nn.Tanh());
        a = nn.Sequential(nn.Linear(6, 1, dtype: dtype));
        b = nn.Sequential(nn.Linear(6, 1, dtype: dtype));
        c = nn.Sequential(nn.Linear(6, 1, dtype: dtype));
        RegisterComponents();
    }

    public IReadOnlyList<nn.Module> Heads => [a, b, c];

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var shared = trunk.forward(inputs["x"]);
        return new MultiTaskOutput(new Dictionary<string, Tensor> { ["a"] = a.forward(shared), ["b"] = b.forward(shared), ["c"] = c.forward(shared) }, shared);
    }

    public override IEnumerable<nn.Module> SharedModules() => [trunk];

    public static readonly TaskSpec[] Tasks =
    [
        new TaskSpec("a", TaskKind.Regression),
        new TaskSpec("b", TaskKind.Regression),
        new TaskSpec("c", TaskKind.Regression),
    ];

    /// <summary>a and b nearly the same function of x, c its negative.</summary>
    public static MultiTaskDataset Data(long count, long seed)
    {
        using var scope = NewDisposeScope();
        var random = new Random((int)seed);
        var x = new float[count * 4];
        for (var i = 0; i < x.Length; i++) x[i] = (float)(random.NextDouble() * 2 - 1);
        float[] ya = new float[count], yb = new float[count], yc = new float[count];
        for (var r = 0; r < count; r++)
        {
            var f = x[r * 4] - 0.5f * x[r * 4 + 1] + 0.25f * x[r * 4 + 2];
            (ya[r], yb[r], yc[r]) = (f, 1.1f * f, -f);
        }
        return new MultiTaskDataset(
            new Dictionary<string, Tensor> { ["x"] = tensor(x, [count, 4]) },
            new Dictionary<string, Tensor> { ["a"] = tensor(ya, [count, 1]), ["b"] = tensor(yb, [count, 1]), ["c"] = tensor(yc, [count, 1]) },
            Tasks);
    }
}

public sealed class RelationPenaltyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-mtrl-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static double[] Weight(nn.Module head) => head.modules().OfType<Linear>().Last().weight.detach().@double().flatten().data<double>();

    private static void SetWeight(nn.Module head, params double[] values)
    {
        var weight = head.modules().OfType<Linear>().Last().weight;
        using var scope = NewDisposeScope();
        using (no_grad()) weight.copy_(tensor(values, [1, values.Length]).to(weight.dtype));
    }

    private static double Dot(double[] x, double[] y) => x.Zip(y, (p, q) => p * q).Sum();

    private static void AssertMatrix(double[,] expected, IReadOnlyList<IReadOnlyList<double>> actual, double tolerance)
    {
        Assert.Equal(expected.GetLength(0), actual.Count);
        for (var i = 0; i < actual.Count; i++)
        {
            for (var j = 0; j < actual.Count; j++) Assert.True(Math.Abs(expected[i, j] - actual[i][j]) <= tolerance, $"Ω[{i},{j}] is {actual[i][j]}, expected {expected[i, j]}");
        }
    }

    private static IReadOnlyList<IReadOnlyList<double>> Rows(double[,] m) =>
        Enumerable.Range(0, m.GetLength(0)).Select(i => (IReadOnlyList<double>)Enumerable.Range(0, m.GetLength(1)).Select(j => m[i, j]).ToArray()).ToArray();

    [Fact]
    public void The_term_is_half_lambda_times_the_trace_of_W_omega_inverse_W_transposed()
    {
        using var scope = NewDisposeScope();
        using var model = new RelationModel(ScalarType.Float64);
        // Ω = [[2, 1], [1, 2]] has Ω⁻¹ = [[2, -1], [-1, 2]] / 3.
        var penalty = new RelationPenalty(new TaskRelation([model.Heads[0], model.Heads[1]], 0.3, [[2.0, 1.0], [1.0, 2.0]]));
        AssertMatrix(new[,] { { 2 / 3.0, -1 / 3.0 }, { -1 / 3.0, 2 / 3.0 } }, penalty.Inverse, 1e-12);
        double[] a = Weight(model.Heads[0]), b = Weight(model.Heads[1]);
        var expected = 0.3 / 2 * (2 / 3.0 * Dot(a, a) - 2 / 3.0 * Dot(a, b) + 2 / 3.0 * Dot(b, b));
        Assert.Equal(expected, penalty.Compute()!.item<double>(), 1e-12);
    }

    [Fact]
    public void The_gradient_of_the_term_matches_finite_differences()
    {
        using var model = new RelationModel(ScalarType.Float64);
        double[][] omega = [[1.0, 0.4, -0.2], [0.4, 2.0, 0.3], [-0.2, 0.3, 1.5]];
        var penalty = new RelationPenalty(new TaskRelation(model.Heads, 0.7, omega));
        // The trunk's parameters are checked too: the term does not depend on them, and both sides say 0.
        GradCheck.Function("mtrl", _ => penalty.Compute()!, [], model);

        // And against the closed form: ∂/∂wᵢ = λ Σⱼ (Ω⁻¹)ᵢⱼ wⱼ.
        using var scope = NewDisposeScope();
        foreach (var p in model.parameters()) p.grad = null;
        penalty.Compute()!.backward();
        var w = model.Heads.Select(Weight).ToArray();
        for (var i = 0; i < 3; i++)
        {
            var grad = model.Heads[i].modules().OfType<Linear>().Last().weight.grad!.flatten().data<double>();
            for (var k = 0; k < grad.Length; k++)
            {
                var expected = 0.7 * Enumerable.Range(0, 3).Sum(j => penalty.Inverse[i][j] * w[j][k]);
                Assert.Equal(expected, grad[k], 1e-12);
            }
        }
    }

    [Fact]
    public void The_closed_form_update_matches_hand_computation_for_two_tasks()
    {
        // Orthogonal columns of norms 3 and 4: WᵀW = diag(9, 16), its root diag(3, 4), trace 7.
        AssertMatrix(new[,] { { 3 / 7.0, 0 }, { 0, 4 / 7.0 } }, Rows(RelationPenalty.ClosedForm(new double[,] { { 9, 0 }, { 0, 16 } })), 1e-9);
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1 on (1, 1)/√2 and (1, −1)/√2: the root is
        // [[√3 + 1, √3 − 1], [√3 − 1, √3 + 1]] / 2, with trace √3 + 1.
        var r3 = Math.Sqrt(3);
        AssertMatrix(new[,] { { 0.5, (r3 - 1) / (2 * (r3 + 1)) }, { (r3 - 1) / (2 * (r3 + 1)), 0.5 } },
            Rows(RelationPenalty.ClosedForm(new double[,] { { 2, 1 }, { 1, 2 } })), 1e-9);

        // Through the heads: w_a = (3, 0, ...), w_b = (0, 4, ...) give the first case.
        using var model = new RelationModel(ScalarType.Float64);
        SetWeight(model.Heads[0], 3, 0, 0, 0, 0, 0);
        SetWeight(model.Heads[1], 0, 4, 0, 0, 0, 0);
        var penalty = new RelationPenalty(new TaskRelation([model.Heads[0], model.Heads[1]], 0.1));
        AssertMatrix(new[,] { { 0.5, 0 }, { 0, 0.5 } }, penalty.Omega, 0);
        penalty.Update();
        AssertMatrix(new[,] { { 3 / 7.0, 0 }, { 0, 4 / 7.0 } }, penalty.Omega, 1e-9);
        AssertMatrix(new[,] { { 7 / 3.0, 0 }, { 0, 7 / 4.0 } }, penalty.Inverse, 1e-8);
    }

    [Fact]
    public void The_closed_form_update_matches_hand_computation_for_three_tasks()
    {
        // WᵀW = diag(4) ⊕ [[2, 1], [1, 2]]: the root is 2 ⊕ the two-task root, trace 2 + √3 + 1.
        using var model = new RelationModel(ScalarType.Float64);
        SetWeight(model.Heads[0], 2, 0, 0, 0, 0, 0);
        SetWeight(model.Heads[1], 0, 1, 1, 0, 0, 0);
        SetWeight(model.Heads[2], 0, 1, 0, 1, 0, 0);
        // ⟨w_b, w_c⟩ = 1, ‖w_b‖² = ‖w_c‖² = 2, and both orthogonal to w_a with ‖w_a‖² = 4.
        var penalty = new RelationPenalty(new TaskRelation(model.Heads, 0.1));
        penalty.Update();
        var r3 = Math.Sqrt(3);
        var trace = 2 + r3 + 1;
        double diagonal = (r3 + 1) / 2 / trace, off = (r3 - 1) / 2 / trace;
        AssertMatrix(new[,] { { 2 / trace, 0, 0 }, { 0, diagonal, off }, { 0, off, diagonal } }, penalty.Omega, 1e-9);
        Assert.Equal(1.0, penalty.Omega[0][0] + penalty.Omega[1][1] + penalty.Omega[2][2], 12);
    }

    [Fact]
    public void Collinear_heads_still_give_a_positive_definite_omega_through_the_ridge()
    {
        var omega = Rows(RelationPenalty.ClosedForm(new double[,] { { 1, 1 }, { 1, 1 } }));
        Assert.Null(Mtl.Catalog.RelationCatalog.Problem(omega, 2));
        Assert.Equal(0.5, omega[0][0], 6);
    }

    [Fact]
    public void Heads_whose_last_layers_differ_and_bad_declared_omegas_are_rejected_by_name()
    {
        using var model = new TwoTaskModel();
        var heads = model.children().Skip(1).ToList();
        var error = Assert.Throws<ArgumentException>(() => new RelationPenalty(new TaskRelation(heads, 0.1)));
        Assert.Contains("must have one shape", error.Message);
        Assert.Contains("[1, 16]", error.Message);
        Assert.Contains("[3, 8]", error.Message);

        using var relation = new RelationModel();
        IReadOnlyList<nn.Module> two = [relation.Heads[0], relation.Heads[1]];
        Assert.Contains("has 3 rows, but the model has 2 tasks", Assert.Throws<ArgumentException>(() => new RelationPenalty(new TaskRelation(two, 0.1, [[1.0, 0], [0, 1.0], [0, 0.0]]))).Message);
        Assert.Contains("is not symmetric: row 1, column 2 is 0.5 but row 2, column 1 is 0.25", Assert.Throws<ArgumentException>(() => new RelationPenalty(new TaskRelation(two, 0.1, [[1.0, 0.5], [0.25, 1.0]]))).Message);
        Assert.Contains("is not positive definite", Assert.Throws<ArgumentException>(() => new RelationPenalty(new TaskRelation(two, 0.1, [[1.0, 2.0], [2.0, 1.0]]))).Message);
        Assert.Contains("must be positive", Assert.Throws<ArgumentException>(() => new RelationPenalty(new TaskRelation(two, 0))).Message);
    }

    private List<EpochRecord> Train(int epochs, string? checkpoint = null, string? log = null, string? report = null, bool resume = false, IReadOnlyList<IReadOnlyList<double>>? omega = null, double lr = 1e-2)
    {
        manual_seed(resume ? 999 : 5);
        using var data = RelationModel.Data(96, seed: 3);
        using var model = new RelationModel();
        using var optimizer = optim.Adam(model.parameters(), lr: lr);
        using var trainer = new Trainer(model, RelationModel.Tasks, optimizer, new TrainerOptions
        {
            Epochs = epochs,
            BatchSize = 16,
            Seed = 4,
            CheckpointPath = checkpoint,
            LogPath = log,
            ReportPath = report,
            Relation = new TaskRelation(model.Heads, 0.05, omega),
        });
        if (resume) Checkpoint.Load(checkpoint!, trainer);
        trainer.Fit(data);
        var weights = model.Heads.Select(Weight).ToList();
        _lastWeights = weights;
        return trainer.History.ToList();
    }

    private List<double[]> _lastWeights = [];

    private const int Epochs = 15;

    [Fact]
    public void A_learned_omega_is_updated_each_epoch_logged_read_back_and_drawn()
    {
        var log = Path.Combine(_folder, "training.jsonl");
        var report = Path.Combine(_folder, "report.html");
        var history = Train(Epochs, log: log, report: report, lr: 0.05);
        Assert.All(history, r => Assert.NotNull(r.Omega));
        // After each epoch Ω is the closed form of the heads at that moment: trace 1, symmetric, and it moved from I/3.
        var last = history[^1].Omega!;
        Assert.Equal(1.0, last[0][0] + last[1][1] + last[2][2], 9);
        Assert.Equal(last[0][1], last[1][0]);
        Assert.NotEqual(1 / 3.0, last[0][0]);
        var gram = new double[3, 3];
        for (var i = 0; i < 3; i++) for (var j = 0; j < 3; j++) gram[i, j] = Dot(_lastWeights[i], _lastWeights[j]);
        AssertMatrix(RelationPenalty.ClosedForm(gram), last, 1e-9);
        // a and b learn the same function and c its negative: Ω relates a with b positively and with c negatively.
        Assert.True(last[0][1] > 0, $"Ω_ab is {last[0][1]}");
        Assert.True(last[0][2] < 0, $"Ω_ac is {last[0][2]}");

        var read = TrainingLog.Read(log);
        Assert.Equal(Epochs, read.Count);
        for (var e = 0; e < Epochs; e++)
        {
            for (var i = 0; i < 3; i++) Assert.Equal(history[e].Omega![i], read[e].Omega![i]);
        }

        var html = File.ReadAllText(report);
        Assert.Contains("<h2>Task relations</h2>", html);
        Assert.Contains($"data-row=\"a\" data-column=\"c\" data-value=\"{last[0][2].ToString("R", System.Globalization.CultureInfo.InvariantCulture)}\"", html);
        Assert.Equal(9, html.Split("data-column=").Length - 1);
    }

    [Fact]
    public void A_declared_omega_stays_as_given_and_is_logged()
    {
        IReadOnlyList<IReadOnlyList<double>> omega = [[1.0, 0.5, 0], [0.5, 1.0, 0], [0, 0, 1.0]];
        var history = Train(2, omega: omega);
        Assert.All(history, r => Assert.Equal(omega.Select(row => row.ToArray()), r.Omega!.Select(row => row.ToArray())));
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_omega_and_the_weights_exactly()
    {
        var straight = Train(4, checkpoint: Path.Combine(_folder, "straight.ckpt"));
        var straightWeights = _lastWeights;
        var checkpoint = Path.Combine(_folder, "half.ckpt");
        Train(2, checkpoint: checkpoint);
        var resumed = Train(4, checkpoint: checkpoint, resume: true);
        Assert.Equal(4, resumed.Count);
        for (var e = 0; e < 4; e++)
        {
            for (var i = 0; i < 3; i++) Assert.Equal(straight[e].Omega![i], resumed[e].Omega![i]);
        }
        for (var i = 0; i < 3; i++) Assert.Equal(straightWeights[i], _lastWeights[i]);
    }

    [Fact]
    public void A_checkpoint_without_omega_is_refused_before_anything_is_loaded()
    {
        var checkpoint = Path.Combine(_folder, "plain.ckpt");
        manual_seed(5);
        using (var data = RelationModel.Data(48, seed: 3))
        using (var plain = new RelationModel())
        using (var optimizer = optim.Adam(plain.parameters(), lr: 1e-2))
        using (var trainer = new Trainer(plain, RelationModel.Tasks, optimizer, new TrainerOptions { Epochs = 1, BatchSize = 16, CheckpointPath = checkpoint }))
        {
            trainer.Fit(data);
        }

        using var model = new RelationModel();
        var before = model.Heads.Select(Weight).ToList();
        using var adam = optim.Adam(model.parameters(), lr: 1e-2);
        using var related = new Trainer(model, RelationModel.Tasks, adam, new TrainerOptions { Relation = new TaskRelation(model.Heads, 0.1) });
        var error = Assert.Throws<CheckpointException>(() => Checkpoint.Load(checkpoint, related));
        Assert.Contains("has no 'omega'", error.Message);
        Assert.Equal(0, related.Epoch);
        Assert.Equal(before, model.Heads.Select(Weight).ToList());
    }
}
