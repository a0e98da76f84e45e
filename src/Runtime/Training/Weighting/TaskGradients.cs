using Mtl.Torch;
using Mtl.Torch.Modules;
using static Mtl.Torch.torch;

namespace Mtl.Training.Weighting;

/// <summary>
/// The one place where per-task gradients are taken, flattened and written back. Every method
/// works on the flat layout: the parameters' gradients concatenated in list order.
/// </summary>
internal static class TaskGradients
{
    /// <summary>
    /// Row i is the flattened gradient of <paramref name="losses"/>[i] with respect to
    /// <paramref name="inputs"/> (zeros where a loss does not reach an input). The graph is kept.
    /// </summary>
    public static Tensor PerTask(IReadOnlyList<Tensor> losses, IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count == 0) throw new InvalidOperationException("no shared parameters to take task gradients of");
        var rows = new Tensor[losses.Count];
        for (var i = 0; i < losses.Count; i++)
        {
            rows[i] = Flatten(autograd.grad(losses[i], inputs, retain_graph: true, allow_unused: true), inputs);
        }
        return stack(rows);
    }

    /// <summary>
    /// As <see cref="PerTask(IReadOnlyList{Tensor}, IReadOnlyList{Tensor})"/>, and in the same
    /// backward passes each loss's gradients with respect to <paramref name="others"/> (null where a
    /// loss does not reach one): Others[i][j] belongs to loss i and <paramref name="others"/>[j].
    /// The graph is freed by the last pass unless <paramref name="keepGraph"/>. With
    /// <paramref name="seeds"/> (one value per loss), pass i starts from seeds[i] as the gradient of
    /// its loss: the rows and Others[i] are seeds[i] times the loss's gradients.
    /// </summary>
    public static (Tensor Rows, Tensor?[][] Others) PerTask(IReadOnlyList<Tensor> losses, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> others, bool keepGraph = false, Tensor? seeds = null)
    {
        if (inputs.Count == 0) throw new InvalidOperationException("no shared parameters to take task gradients of");
        Tensor[] all = [.. inputs, .. others];
        var rows = new Tensor[losses.Count];
        var othersGrads = new Tensor?[losses.Count][];
        for (var i = 0; i < losses.Count; i++)
        {
            var grads = autograd.grad([losses[i]], all, seeds is null ? null : [seeds[i]], retain_graph: keepGraph || i < losses.Count - 1, allow_unused: true);
            rows[i] = Flatten(grads.Take(inputs.Count).ToArray(), inputs);
            othersGrads[i] = grads.Skip(inputs.Count).ToArray();
        }
        return (stack(rows), othersGrads);
    }

    /// <summary>
    /// Adds Σᵢ wᵢ·<paramref name="grads"/>[i][j] into the <c>.grad</c> of
    /// <paramref name="parameters"/>[j] (null gradients skipped; a parameter no loss reaches is
    /// left as it is): the gradient of Σᵢ wᵢLᵢ, from the losses' own gradients.
    /// </summary>
    public static void AddWeighted(IReadOnlyList<Parameter> parameters, Tensor?[][] grads, IReadOnlyList<double> weights)
    {
        // Each term is added into .grad in place with its weight as add_'s alpha: one operation a
        // term (a head is reached by its own loss alone), no temporaries.
        for (var j = 0; j < parameters.Count; j++)
        {
            for (var i = 0; i < grads.Length; i++)
            {
                // A null test, not `is not { } g`: negating that pattern leaves g unassigned, a
                // mutant that does not compile, and Stryker's safe mode then drops the method.
                var g = grads[i][j];
                if (g is null) continue;
                var p = parameters[j];
                if (p.grad is { } existing)
                {
                    existing.add_(g, weights[i]);
                }
                else
                {
                    p.grad = weights[i] == 1 ? g.detach().clone() : g.detach() * weights[i];
                }
            }
        }
    }

    /// <summary>The gradients concatenated into one vector; a null gradient counts as zeros.</summary>
    public static Tensor Flatten(IReadOnlyList<Tensor?> grads, IReadOnlyList<Tensor> inputs)
    {
        if (grads.Count == 1) return (grads[0] ?? zeros_like(inputs[0])).flatten();  // one input (the shared representation): no copy
        var pieces = new Tensor[grads.Count];
        for (var k = 0; k < grads.Count; k++)
        {
            pieces[k] = (grads[k] ?? zeros_like(inputs[k])).flatten();
        }
        return cat(pieces);
    }

    /// <summary>The Gram matrix G Gᵀ of the rows of <paramref name="rows"/>, in doubles.</summary>
    public static double[,] Gram(Tensor rows)
    {
        var k = (int)rows.size(0);
        var g = rows.to(float64);
        var values = g.mm(g.t()).data<double>();
        var gram = new double[k, k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) gram[i, j] = values[i * k + j];
        }
        return gram;
    }

    /// <summary>Σᵢ wᵢ rowᵢ, in the rows' dtype.</summary>
    public static Tensor Combine(Tensor rows, IReadOnlyList<double> weights)
    {
        var w = tensor(weights.ToArray()).to(rows.dtype, rows.device);
        return w.unsqueeze(0).mm(rows).squeeze(0);
    }

    /// <summary>Adds the flat vector <paramref name="flat"/> into the <c>.grad</c> of <paramref name="parameters"/>.</summary>
    public static void AddToGrad(IReadOnlyList<Parameter> parameters, Tensor flat)
    {
        long offset = 0;
        foreach (var p in parameters)
        {
            var n = p.numel();
            AddToGrad(p, flat.narrow(0, offset, n).view(p.shape));
            offset += n;
        }
        if (offset != flat.numel()) throw new ArgumentException($"a gradient of {flat.numel()} values for parameters of {offset}", nameof(flat));
    }

    /// <summary>
    /// Backpropagates <paramref name="flat"/>, a gradient of <paramref name="output"/> flattened,
    /// into the <c>.grad</c> of <paramref name="parameters"/>: adds (∂output/∂θ)ᵀ·flat to each θ
    /// (one backward pass from <paramref name="output"/>; a parameter it does not reach is left as
    /// it is). The graph is freed.
    /// </summary>
    public static void Backpropagate(Tensor output, Tensor flat, IReadOnlyList<Parameter> parameters)
    {
        if (flat.numel() != output.numel()) throw new ArgumentException($"a gradient of {flat.numel()} values for an output of {output.numel()}", nameof(flat));
        var grads = autograd.grad([output], parameters, grad_outputs: [flat.reshape(output.shape)], allow_unused: true);
        for (var k = 0; k < parameters.Count; k++)
        {
            if (grads[k] is { } g) AddToGrad(parameters[k], g);
        }
    }

    /// <summary>
    /// Adds the gradient of <paramref name="objective"/> with respect to each of
    /// <paramref name="parameters"/> into its <c>.grad</c>; a parameter the objective does not reach
    /// is left as it is.
    /// </summary>
    public static void Accumulate(Tensor objective, IReadOnlyList<Parameter> parameters)
    {
        if (parameters.Count == 0) return;
        var grads = autograd.grad(objective, parameters, allow_unused: true);
        for (var k = 0; k < parameters.Count; k++)
        {
            if (grads[k] is { } g) AddToGrad(parameters[k], g);
        }
    }

    /// <summary>
    /// Adds the gradient of <paramref name="objective"/> into the <c>.grad</c> of every parameter it
    /// reaches: a plain backward pass, for an objective differentiated for all trainable parameters
    /// (the model's and the method's), where it equals <see cref="Accumulate"/> and costs less.
    /// </summary>
    public static void AccumulateAll(Tensor objective)
    {
        if (objective.requires_grad) objective.backward();
    }

    /// <summary>Adds <paramref name="g"/> into the <c>.grad</c> of <paramref name="p"/> (a copy of it when there is none yet).</summary>
    public static void AddToGrad(Parameter p, Tensor g)
    {
        if (p.grad is { } existing)
        {
            existing.add_(g);
        }
        else
        {
            p.grad = g.detach().clone();
        }
    }
}
