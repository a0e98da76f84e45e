using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// GradNorm (Chen, Badrinarayanan, Lee and Rabinovich, "GradNorm: Gradient Normalization for
/// Adaptive Loss Balancing in Deep Multitask Networks", ICML 2018).
/// </summary>
/// <remarks>
/// The network is trained on Σ wᵢLᵢ. The weights are learned: with W the last shared layer
/// (<see cref="WeightingContext.LastSharedLayer"/>), G_W⁽ⁱ⁾ = ‖∇_W wᵢLᵢ‖ = wᵢ‖∇_W Lᵢ‖, from the
/// gradient norms that <c>autograd.grad</c> gives (∂G_W⁽ⁱ⁾/∂wᵢ = ‖∇_W Lᵢ‖); Ḡ_W is their mean,
/// L̃ᵢ = Lᵢ(t)/Lᵢ(0) the loss ratio (Lᵢ(0) the task's first loss seen), rᵢ = L̃ᵢ / mean L̃ the
/// relative inverse training rate, and L_grad = Σᵢ |G_W⁽ⁱ⁾ − Ḡ_W·rᵢ^α| with the target held
/// constant. ∇_w L_grad is summed over the micro-batches of an optimizer step and steps the
/// weights by an internal Adam (learning rate <c>lr</c>; the paper gives the weights no step size
/// of their own, 0.025 by default is what the Nash-MTL and FAMO code give a method's own
/// parameters) once per optimizer step: at the first <see cref="TaskWeighting.Backward"/>
/// that sees <see cref="WeightingContext.Step"/> advanced, so the network's gradients of a step all
/// use the same weights. Then the weights are kept above 1e-6 and renormalised to Σwᵢ = K. Tasks
/// without a loss get no weight gradient in that step. A task's first loss must be positive (it
/// divides the later ones).
/// </remarks>
public sealed class GradNorm : LossWeighting
{
    private const double Floor = 1e-6;

    private readonly double _alpha;
    private readonly double[] _weights;
    private readonly double[] _initialLosses;
    private readonly SmallAdam _optimizer;
    private readonly double[] _pendingGradient;
    private long _pendingStep = -1;  // the optimizer step the pending gradient belongs to; −1: none

    public GradNorm(IReadOnlyList<double> fixedWeights, double alpha = 1.5, double lr = 0.025) : base("gradnorm", fixedWeights)
    {
        _alpha = CheckOption("gradnorm", "alpha", alpha, nameof(alpha));
        CheckOption("gradnorm", "lr", lr, nameof(lr));
        _weights = Enumerable.Repeat(1.0, fixedWeights.Count).ToArray();
        _initialLosses = Enumerable.Repeat(double.NaN, fixedWeights.Count).ToArray();
        _optimizer = new SmallAdam(fixedWeights.Count, lr);
        _pendingGradient = new double[fixedWeights.Count];
    }

    /// <summary>α, the strength of the pull towards equal training rates.</summary>
    public double Alpha => _alpha;

    /// <summary>The learning rate of the Adam that steps the weights.</summary>
    public double LR => _optimizer.LearningRate;

    /// <summary>The learned weights wᵢ now (the update of the current step is still pending).</summary>
    public IReadOnlyList<double> TaskWeights => _weights;

    protected override (Tensor Objective, double[] Weights) Objective(int[] tasks, Tensor[] losses, WeightingContext context)
    {
        var layer = Layer(context);
        if (_pendingStep >= 0 && _pendingStep != context.Step) ApplyPendingUpdate();
        var used = tasks.Select(i => _weights[i]).ToArray();
        var values = losses.Select(l => l.detach().to(float64).item<double>()).ToArray();
        // G_W⁽ᵏ⁾ = ‖∇_W wₖLₖ‖ = wₖ‖∇_W Lₖ‖ (wₖ > 0), and its derivative in wₖ is ‖∇_W Lₖ‖: the
        // plain gradient norms give L_grad and ∇_w L_grad without a graph of the gradients or a
        // second backward pass through it.
        var norms = new Tensor[tasks.Length];
        for (var k = 0; k < tasks.Length; k++)
        {
            var grads = autograd.grad(losses[k], layer, retain_graph: true, allow_unused: true);
            norms[k] = TaskGradients.Flatten(grads, layer).norm();
        }
        Accumulate(tasks, stack(norms).to(float64).data<double>().ToArray(), values, context);
        return (WeightedSum(losses, used), used);
    }

    /// <summary>
    /// Data-parallel: the norms are those of the task gradients at W averaged over the ranks that
    /// hold each task (the norm of the averaged gradient, the union batch's, not the average of the
    /// ranks' norms), and the loss ratios those of the averaged losses (<see cref="TaskRows"/>).
    /// </summary>
    protected override bool ReadsOverRanks => true;

    protected override (Tensor? Objective, double[] Weights, double Value) ObjectiveOverRanks(
        Mtl.Torch.torch.distributed.ProcessGroupGloo group, int taskCount, int[] tasks, Tensor[] losses, WeightingContext context)
    {
        var layer = Layer(context);
        if (_pendingStep >= 0 && _pendingStep != context.Step) ApplyPendingUpdate();
        var used = tasks.Select(i => _weights[i]).ToArray();
        var holders = TaskRows.HoldersOverRanks(group, taskCount, tasks);
        var rows = tasks.Length > 0 ? TaskGradients.PerTask(losses, layer) : zeros([0, layer.Sum(p => p.numel())], layer[0].dtype);
        var ranks = TaskRows.OverRanks(group, holders, tasks, rows, losses);
        if (ranks.Tasks.Length > 0)
        {
            var norms = ranks.Rows.norm([1]).to(float64).data<double>().ToArray();
            Accumulate(ranks.Tasks, norms, ranks.Losses.Select(l => l.item<double>()).ToArray(), context);
        }
        if (tasks.Length == 0) return (null, [], 0);
        var objective = WeightedSum(losses, used);
        return (objective, used, objective.to(float64).item<double>());
    }

    private static IReadOnlyList<Parameter> Layer(WeightingContext context) =>
        context.LastSharedLayer.Count > 0 ? context.LastSharedLayer : throw new InvalidOperationException("gradnorm needs the last shared layer's weights (WeightingContext.LastSharedLayer)");

    /// <summary>Adds ∇_w L_grad of this micro-batch to the pending gradient, from the tasks' plain gradient norms ‖∇_W Lₖ‖ and loss values.</summary>
    private void Accumulate(int[] tasks, double[] plainNorms, double[] values, WeightingContext context)
    {
        for (var k = 0; k < tasks.Length; k++)
        {
            if (!double.IsNaN(_initialLosses[tasks[k]])) continue;
            if (!(values[k] > 0)) throw new InvalidOperationException($"gradnorm needs positive losses for its loss ratios; task {context.TaskNames[tasks[k]]} starts at {values[k]}");
            _initialLosses[tasks[k]] = values[k];
        }
        var used = tasks.Select(i => _weights[i]).ToArray();
        var g = plainNorms.Select((n, k) => used[k] * n).ToArray();
        var meanNorm = g.Average();
        var ratios = Enumerable.Range(0, tasks.Length).Select(k => values[k] / _initialLosses[tasks[k]]).ToArray();
        var meanRatio = ratios.Average();
        var targets = ratios.Select(r => meanNorm * Math.Pow(r / meanRatio, _alpha)).ToArray();
        var step = g.Select((gk, k) => Math.Sign(gk - targets[k]) * plainNorms[k]).ToArray();

        for (var k = 0; k < tasks.Length; k++) _pendingGradient[tasks[k]] += step[k];
        _pendingStep = context.Step;
    }

    private void ApplyPendingUpdate()
    {
        _optimizer.Step(_weights, _pendingGradient);
        for (var i = 0; i < _weights.Length; i++) _weights[i] = Math.Max(_weights[i], Floor);
        var scale = _weights.Length / _weights.Sum();
        for (var i = 0; i < _weights.Length; i++) _weights[i] *= scale;
        Array.Clear(_pendingGradient);
        _pendingStep = -1;
    }

    public override IReadOnlyDictionary<string, double> state_dict()
    {
        var state = new Dictionary<string, double>();
        for (var i = 0; i < _weights.Length; i++)
        {
            state[$"weight.{i}"] = _weights[i];
            state[$"initial_loss.{i}"] = _initialLosses[i];
            state[$"pending_gradient.{i}"] = _pendingGradient[i];
        }
        state["pending_step"] = _pendingStep;
        _optimizer.Save(state, "adam.");
        return state;
    }

    public override void load_state_dict(IReadOnlyDictionary<string, double> state)
    {
        for (var i = 0; i < _weights.Length; i++)
        {
            _weights[i] = Get(state, $"weight.{i}");
            _initialLosses[i] = Get(state, $"initial_loss.{i}");
            _pendingGradient[i] = Get(state, $"pending_gradient.{i}");
        }
        _pendingStep = (long)Get(state, "pending_step");
        _optimizer.Load(state, "adam.");
    }
}
