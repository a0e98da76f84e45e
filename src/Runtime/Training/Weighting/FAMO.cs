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
/// accumulation, Lᵢ(before) is the mean over the step's micro-batches. A task without a loss
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
        for (var k = 0; k < tasks.Length; k++)
        {
            if (!(values[k] > 0)) throw new InvalidOperationException($"famo needs positive losses; task {context.TaskNames[tasks[k]]} has {values[k]}");
            _lossSum[tasks[k]] += values[k] / FixedWeights[tasks[k]];  // the trainer reports unscaled losses after the step
            _lossCount[tasks[k]]++;
        }
        var c = Enumerable.Range(0, tasks.Length).Sum(k => z[tasks[k]] / (values[k] + Epsilon));
        var coefficients = tasks.Select(i => z[i] / c).ToArray();
        var logLosses = losses.Select(l => (l + Epsilon).log()).ToArray();
        var weights = Enumerable.Range(0, tasks.Length).Select(k => coefficients[k] / (values[k] + Epsilon)).ToArray();
        return (WeightedSum(logLosses, coefficients), weights);
    }

    public override void AfterStep(IReadOnlyList<double?> lossesAfterStep, WeightingContext context)
    {
        if (lossesAfterStep.Count != _logits.Length) throw new ArgumentException($"famo: {lossesAfterStep.Count} losses for {_logits.Length} tasks", nameof(lossesAfterStep));
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
