using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// Fast Adaptive Multitask Optimization (Liu, Liu, Stone and Liu, "FAMO: Fast Adaptive Multitask
/// Optimization", NeurIPS 2023), Algorithm 1 and the official code.
/// </summary>
/// <remarks>
/// Task weights zᵢ = softmax(ξ)ᵢ of logits ξ (starting at 0). The network is trained on
/// Σ zᵢ/c · log(Lᵢ + 1e-8) with c = Σ zⱼ/(Lⱼ + 1e-8) held constant (the official code's
/// minimum losses are 0), so the reported weight on ∇Lᵢ is zᵢ/(c·(Lᵢ + 1e-8)) and the weights sum
/// to 1. After the optimizer step the trainer re-evaluates the batch (<see cref="NeedsLossesAfterStep"/>)
/// and <see cref="AfterStep"/> updates ξ with δᵢ = log Lᵢ(before) − log Lᵢ(after), the log-loss decrease: the
/// gradient (∂z/∂ξ)ᵀδ, i.e. zᵢ(δᵢ − Σⱼzⱼδⱼ), is stepped by Adam with learning rate β = <c>lr</c>
/// (0.025) and weight decay γ = <c>gamma</c> (0.01), the official defaults. With gradient
/// accumulation, Lᵢ(before) is the mean over the step's micro-batches, without the trainer's 1/N
/// (<see cref="WeightingContext.LossScale"/>), as Lᵢ(after) is. A task without a loss
/// before or after gets δᵢ = 0. The losses must be positive.
/// </remarks>
public sealed class FAMO : LossWeighting
{
    private const double Epsilon = 1e-8;

    private readonly double[] _logits;
    private readonly SmallAdam _optimizer;
    private readonly double[] _lossSum;
    private readonly int[] _lossCount;

    public FAMO(IReadOnlyList<double> fixedWeights, double lr = 0.025, double gamma = 0.01) : base("famo", fixedWeights)
    {
        LR = CheckOption("famo", "lr", lr, nameof(lr));
        Gamma = CheckOption("famo", "gamma", gamma, nameof(gamma));
        var k = fixedWeights.Count;
        _logits = new double[k];
        _optimizer = new SmallAdam(k, lr, weightDecay: gamma);
        _lossSum = new double[k];
        _lossCount = new int[k];
    }

    /// <summary>β, the learning rate of the Adam that steps the logits.</summary>
    public double LR { get; }

    /// <summary>γ, the weight decay of that Adam.</summary>
    public double Gamma { get; }

    /// <summary>The logits ξ.</summary>
    public IReadOnlyList<double> Logits => _logits;

    public override bool NeedsLossesAfterStep => true;

    protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
    {
        var z = SmallMath.Softmax(_logits);
        var values = losses.Select(l => l.detach().to(float64).item<double>()).ToArray();
        var c = Record(tasks, values, z, context);
        var coefficients = tasks.Select(i => z[i] / c).ToArray();
        var logLosses = losses.Select(l => (l + Epsilon).log()).ToArray();
        var weights = Enumerable.Range(0, tasks.Length).Select(k => coefficients[k] / (values[k] + Epsilon)).ToArray();
        return (WeightedSum(logLosses, coefficients), weights);
    }

    /// <summary>
    /// Data-parallel: the losses the weights, c and δ read are those averaged over the ranks that
    /// hold each task (the union batch's, <see cref="TaskRows.LossesOverRanks"/>). Each rank
    /// trains on Σ zᵢ/(c·(L̄ᵢ + 1e-8))·Lᵢ of its own losses — the gradient of the log-loss
    /// objective at the union's losses L̄, linear in the losses, so the gradients averaged over
    /// the ranks are one process's — and reports the log-loss objective of L̄.
    /// </summary>
    protected override bool ReadsOverRanks => true;

    protected override (Tensor? Objective, double[] Weights, double Value) ObjectiveOverRanks(
        Mtl.Torch.torch.distributed.ProcessGroupGloo group, int taskCount, int[] tasks, Tensor[] losses, WeightingContext context)
    {
        var holders = TaskRows.HoldersOverRanks(group, taskCount, tasks);
        var present = TaskRows.Present(holders);
        var means = TaskRows.LossesOverRanks(group, holders, tasks, losses.Select(l => l.detach().to(float64).item<double>()).ToArray());
        var z = SmallMath.Softmax(_logits);
        var c = Record(present, present.Select(t => means[t]).ToArray(), z, context);
        var value = present.Sum(t => z[t] / c * Math.Log(means[t] + Epsilon));
        var weights = tasks.Select(t => z[t] / c / (means[t] + Epsilon)).ToArray();
        return (tasks.Length > 0 ? WeightedSum(losses, weights) : null, weights, value);
    }

    /// <summary>
    /// Adds the loss values of <paramref name="tasks"/> (one each, in order) to the epoch's sums,
    /// which must be positive, and gives the normaliser c = Σ zᵢ / (Lᵢ + ε) over them.
    /// </summary>
    private double Record(int[] tasks, double[] values, double[] z, WeightingContext context)
    {
        for (var k = 0; k < tasks.Length; k++)
        {
            if (!(values[k] > 0)) throw new InvalidOperationException($"famo needs positive losses; task {context.TaskNames[tasks[k]]} has {values[k]}");
            // The trainer reports the losses after the step without the fixed weight and the 1/N of accumulation.
            _lossSum[tasks[k]] += values[k] / FixedWeights[tasks[k]] / context.LossScale;
            _lossCount[tasks[k]]++;
        }
        return Enumerable.Range(0, tasks.Length).Sum(k => z[tasks[k]] / (values[k] + Epsilon));
    }

    public override void AfterStep(IReadOnlyList<double?> lossesAfterStep, WeightingContext context)
    {
        if (lossesAfterStep.Count != _logits.Length) throw new ArgumentException($"famo: {lossesAfterStep.Count} losses for {_logits.Length} tasks", nameof(lossesAfterStep));
        if (context.Parallel is { } group) lossesAfterStep = OverRanks(group, lossesAfterStep);
        var k = _logits.Length;
        var delta = new double[k];
        for (var i = 0; i < k; i++)
        {
            if (_lossCount[i] == 0 || lossesAfterStep[i] is null) continue;
            var after = lossesAfterStep[i].GetValueOrDefault();
            var before = _lossSum[i] / _lossCount[i];
            delta[i] = Math.Log(before + Epsilon) - Math.Log(after + Epsilon);
        }
        Array.Clear(_lossSum);
        Array.Clear(_lossCount);
        var z = SmallMath.Softmax(_logits);
        var zDelta = SmallMath.Dot(z, delta);
        _optimizer.Step(_logits, z.Zip(delta, (zi, di) => zi * (di - zDelta)).ToArray());
    }

    /// <summary>The losses after the step averaged over the ranks that hold each task (null where none does).</summary>
    private static double?[] OverRanks(Mtl.Torch.torch.distributed.ProcessGroupGloo group, IReadOnlyList<double?> losses)
    {
        using var scope = NewDisposeScope();
        var tasks = Enumerable.Range(0, losses.Count).Where(i => losses[i] is not null).ToArray();
        var holders = TaskRows.HoldersOverRanks(group, losses.Count, tasks);
        var means = TaskRows.LossesOverRanks(group, holders, tasks, tasks.Select(i => losses[i].GetValueOrDefault()).ToArray());
        return means.Select((m, i) => holders[i] > 0 ? m : (double?)null).ToArray();
    }

    public override IReadOnlyDictionary<string, double> state_dict()
    {
        var state = new Dictionary<string, double>();
        for (var i = 0; i < _logits.Length; i++)
        {
            state[$"logit.{i}"] = _logits[i];
            state[$"loss_sum.{i}"] = _lossSum[i];
            state[$"loss_count.{i}"] = _lossCount[i];
        }
        _optimizer.Save(state, "adam.");
        return state;
    }

    public override void load_state_dict(IReadOnlyDictionary<string, double> state)
    {
        for (var i = 0; i < _logits.Length; i++)
        {
            _logits[i] = Get(state, $"logit.{i}");
            _lossSum[i] = Get(state, $"loss_sum.{i}");
            _lossCount[i] = (int)Get(state, $"loss_count.{i}");
        }
        _optimizer.Load(state, "adam.");
    }
}
