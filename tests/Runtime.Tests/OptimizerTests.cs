using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// The optimizers against PyTorch 1.13's update rules (torch/optim/{sgd,adam,adamw,rmsprop}.py,
/// single-tensor path), written out below in scalar arithmetic per element.
/// </summary>
public sealed class OptimizerTests
{
    private static readonly double[] Start = [1.0, -2.0, 0.5];

    /// <summary>A different gradient at each step; the third is much smaller, so Adam's second moment shrinks.</summary>
    private static readonly double[][] Gradients = [[0.5, -1.0, 2.0], [0.3, 0.4, -1.5], [0.01, -0.02, 0.05]];

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-12 * Math.Abs(expected[i]), $"{what}, element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    /// <summary>
    /// Runs <paramref name="create"/>'s optimizer for three steps over a float64 parameter with the
    /// fixed <see cref="Gradients"/>, and <paramref name="reference"/> (one update of one element,
    /// given the 1-based step, the element index, its value and gradient) beside it.
    /// </summary>
    private static void AssertFollows(Func<Parameter, Optimizer> create, Func<int, int, double, double, double> reference)
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(Start));
        using var optimizer = create(parameter);
        var expected = (double[])Start.Clone();
        for (var step = 1; step <= Gradients.Length; step++)
        {
            parameter.grad = tensor(Gradients[step - 1]);
            optimizer.step();
            for (var i = 0; i < expected.Length; i++) expected[i] = reference(step, i, expected[i], Gradients[step - 1][i]);
            AssertClose(expected, parameter.data<double>(), $"step {step}");
            Assert.Equal(step, optimizer.step_count(parameter));
        }
    }

    /// <summary>Per-element state of the scalar references (momentum buffers, moment estimates).</summary>
    private sealed class State
    {
        public readonly double[] a = new double[Start.Length];
        public readonly double[] b = new double[Start.Length];
        public readonly double[] c = new double[Start.Length];
    }

    // ---- SGD -----------------------------------------------------------------------------------------

    private static Func<int, int, double, double, double> SgdReference(double lr, double momentum = 0, double dampening = 0, double weight_decay = 0, bool nesterov = false, bool maximize = false)
    {
        var buffer = new State().a;
        return (step, i, p, grad) =>
        {
            var d = maximize ? -grad : grad;
            d += weight_decay * p;
            if (momentum != 0)
            {
                buffer[i] = step == 1 ? d : momentum * buffer[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buffer[i] : buffer[i];
            }
            return p - lr * d;
        };
    }

    [Fact]
    public void SGD_plain_first_step_by_hand()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(Start));
        using var optimizer = optim.SGD([parameter], lr: 0.1);
        parameter.grad = tensor(Gradients[0]);
        optimizer.step();
        AssertClose([1.0 - 0.1 * 0.5, -2.0 - 0.1 * -1.0, 0.5 - 0.1 * 2.0], parameter.data<double>(), "step 1");
    }

    [Fact]
    public void SGD_plain() => AssertFollows(p => optim.SGD([p], lr: 0.1), SgdReference(0.1));

    [Fact]
    public void SGD_momentum() => AssertFollows(p => optim.SGD([p], lr: 0.1, momentum: 0.9), SgdReference(0.1, momentum: 0.9));

    [Fact]
    public void SGD_momentum_second_step_by_hand()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(Start));
        using var optimizer = optim.SGD([parameter], lr: 0.1, momentum: 0.9, dampening: 0.5);
        parameter.grad = tensor(Gradients[0]);
        optimizer.step();
        parameter.grad = tensor(Gradients[1]);
        optimizer.step();
        // The first step's buffer is the gradient itself (no dampening); the second is 0.9 · buf + (1 − 0.5) · g.
        AssertClose(
        [
            1.0 - 0.1 * 0.5 - 0.1 * (0.9 * 0.5 + 0.5 * 0.3),
            -2.0 - 0.1 * -1.0 - 0.1 * (0.9 * -1.0 + 0.5 * 0.4),
            0.5 - 0.1 * 2.0 - 0.1 * (0.9 * 2.0 + 0.5 * -1.5),
        ], parameter.data<double>(), "step 2");
    }

    [Fact]
    public void SGD_dampening() => AssertFollows(p => optim.SGD([p], lr: 0.1, momentum: 0.9, dampening: 0.3), SgdReference(0.1, momentum: 0.9, dampening: 0.3));

    [Fact]
    public void SGD_nesterov() => AssertFollows(p => optim.SGD([p], lr: 0.1, momentum: 0.9, nesterov: true), SgdReference(0.1, momentum: 0.9, nesterov: true));

    [Fact]
    public void SGD_weight_decay() => AssertFollows(p => optim.SGD([p], lr: 0.1, momentum: 0.5, weight_decay: 0.01), SgdReference(0.1, momentum: 0.5, weight_decay: 0.01));

    [Fact]
    public void SGD_maximize() => AssertFollows(p => optim.SGD([p], lr: 0.1, momentum: 0.9, weight_decay: 0.01, maximize: true), SgdReference(0.1, momentum: 0.9, weight_decay: 0.01, maximize: true));

    [Fact]
    public void SGD_follows_the_gradient_of_a_loss()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(Start));
        using var optimizer = optim.SGD([parameter], lr: 0.1);
        using var weights = tensor(new[] { 1.0, 2.0, 3.0 });
        for (var step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            (parameter * parameter * weights).sum().backward(); // d/dp Σ w·p² = 2·w·p
            optimizer.step();
        }
        // Each step multiplies p by (1 − 0.1 · 2 · w).
        AssertClose(
        [
            1.0 * Math.Pow(1 - 0.1 * 2 * 1.0, 2),
            -2.0 * Math.Pow(1 - 0.1 * 2 * 2.0, 2),
            0.5 * Math.Pow(1 - 0.1 * 2 * 3.0, 2),
        ], parameter.data<double>(), "after two steps");
    }

    // ---- Adam, AdamW ---------------------------------------------------------------------------------

    private static Func<int, int, double, double, double> AdamReference(double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0, bool amsgrad = false, bool decoupled = false, bool maximize = false)
    {
        var state = new State();
        var (expAvg, expAvgSq, maxExpAvgSq) = (state.a, state.b, state.c);
        return (step, i, p, grad) =>
        {
            var g = maximize ? -grad : grad;
            if (decoupled)
            {
                p *= 1 - lr * weight_decay;
            }
            else
            {
                g += weight_decay * p;
            }
            expAvg[i] = beta1 * expAvg[i] + (1 - beta1) * g;
            expAvgSq[i] = beta2 * expAvgSq[i] + (1 - beta2) * g * g;
            maxExpAvgSq[i] = Math.Max(maxExpAvgSq[i], expAvgSq[i]);
            var biasCorrection1 = 1 - Math.Pow(beta1, step);
            var biasCorrection2 = 1 - Math.Pow(beta2, step);
            var denom = Math.Sqrt(amsgrad ? maxExpAvgSq[i] : expAvgSq[i]) / Math.Sqrt(biasCorrection2) + eps;
            return p - lr / biasCorrection1 * expAvg[i] / denom;
        };
    }

    [Fact]
    public void Adam_first_step_by_hand()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(Start));
        using var optimizer = optim.Adam([parameter], lr: 0.01);
        parameter.grad = tensor(Gradients[0]);
        optimizer.step();
        // Bias correction makes the first moments g and g²: the step is lr · g / (|g| + eps).
        AssertClose(
        [
            1.0 - 0.01 * 0.5 / (0.5 + 1e-8),
            -2.0 - 0.01 * -1.0 / (1.0 + 1e-8),
            0.5 - 0.01 * 2.0 / (2.0 + 1e-8),
        ], parameter.data<double>(), "step 1");
    }

    [Fact]
    public void Adam_plain() => AssertFollows(p => optim.Adam([p], lr: 0.01), AdamReference(0.01));

    [Fact]
    public void Adam_weight_decay() => AssertFollows(p => optim.Adam([p], lr: 0.01, beta1: 0.8, beta2: 0.9, weight_decay: 0.1), AdamReference(0.01, beta1: 0.8, beta2: 0.9, weight_decay: 0.1));

    [Fact]
    public void Adam_amsgrad_keeps_the_largest_second_moment()
    {
        // With beta2 = 0.5 the small third gradient shrinks exp_avg_sq, so AMSGrad differs from Adam there.
        AssertFollows(p => optim.Adam([p], lr: 0.01, beta2: 0.5, amsgrad: true), AdamReference(0.01, beta2: 0.5, amsgrad: true));
        var plain = AdamReference(0.01, beta2: 0.5);
        var ams = AdamReference(0.01, beta2: 0.5, amsgrad: true);
        double plainP = Start[0], amsP = Start[0];
        for (var step = 1; step <= 3; step++)
        {
            plainP = plain(step, 0, plainP, Gradients[step - 1][0]);
            amsP = ams(step, 0, amsP, Gradients[step - 1][0]);
        }
        Assert.NotEqual(plainP, amsP);
    }

    [Fact]
    public void Adam_maximize() => AssertFollows(p => optim.Adam([p], lr: 0.01, maximize: true), AdamReference(0.01, maximize: true));

    [Fact]
    public void AdamW_decays_weights_before_the_step() => AssertFollows(p => optim.AdamW([p], lr: 0.01, weight_decay: 0.1), AdamReference(0.01, weight_decay: 0.1, decoupled: true));

    [Fact]
    public void AdamW_amsgrad() => AssertFollows(p => optim.AdamW([p], lr: 0.01, beta2: 0.5, amsgrad: true), AdamReference(0.01, beta2: 0.5, weight_decay: 1e-2, amsgrad: true, decoupled: true));

    // ---- RMSprop -------------------------------------------------------------------------------------

    private static Func<int, int, double, double, double> RmspropReference(double lr, double alpha = 0.99, double eps = 1e-8, double weight_decay = 0, double momentum = 0, bool centered = false)
    {
        var state = new State();
        var (squareAvg, gradAvg, buffer) = (state.a, state.b, state.c);
        return (_, i, p, grad) =>
        {
            var g = grad + weight_decay * p;
            squareAvg[i] = alpha * squareAvg[i] + (1 - alpha) * g * g;
            double avg;
            if (centered)
            {
                gradAvg[i] = alpha * gradAvg[i] + (1 - alpha) * g;
                avg = Math.Sqrt(squareAvg[i] - gradAvg[i] * gradAvg[i]);
            }
            else
            {
                avg = Math.Sqrt(squareAvg[i]);
            }
            avg += eps;
            if (momentum > 0)
            {
                buffer[i] = momentum * buffer[i] + g / avg;
                return p - lr * buffer[i];
            }
            return p - lr * g / avg;
        };
    }

    [Fact]
    public void RMSprop_first_step_by_hand()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(Start));
        using var optimizer = optim.RMSprop([parameter], lr: 0.01, alpha: 0.9);
        parameter.grad = tensor(Gradients[0]);
        optimizer.step();
        // square_avg = (1 − 0.9) · g², so the step is lr · g / (√0.1 · |g| + eps).
        AssertClose(
        [
            1.0 - 0.01 * 0.5 / (Math.Sqrt(0.1 * 0.5 * 0.5) + 1e-8),
            -2.0 - 0.01 * -1.0 / (Math.Sqrt(0.1 * 1.0 * 1.0) + 1e-8),
            0.5 - 0.01 * 2.0 / (Math.Sqrt(0.1 * 2.0 * 2.0) + 1e-8),
        ], parameter.data<double>(), "step 1");
    }

    [Fact]
    public void RMSprop_plain() => AssertFollows(p => optim.RMSprop([p], lr: 0.01), RmspropReference(0.01));

    [Fact]
    public void RMSprop_centered() => AssertFollows(p => optim.RMSprop([p], lr: 0.01, alpha: 0.9, centered: true), RmspropReference(0.01, alpha: 0.9, centered: true));

    [Fact]
    public void RMSprop_momentum() => AssertFollows(p => optim.RMSprop([p], lr: 0.01, momentum: 0.9), RmspropReference(0.01, momentum: 0.9));

    [Fact]
    public void RMSprop_weight_decay_centered_with_momentum() =>
        AssertFollows(p => optim.RMSprop([p], lr: 0.01, alpha: 0.9, weight_decay: 0.1, momentum: 0.5, centered: true), RmspropReference(0.01, alpha: 0.9, weight_decay: 0.1, momentum: 0.5, centered: true));

    // ---- parameter groups ----------------------------------------------------------------------------

    [Fact]
    public void Each_group_steps_with_its_own_lr_and_a_written_lr_takes_effect()
    {
        using var scope = NewDisposeScope();
        using var first = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var second = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var optimizer = optim.SGD([new ParamGroup([first]), new ParamGroup([second], lr: 0.5)], lr: 0.1);
        Assert.Equal(0.1, optimizer.param_groups[0].lr);
        Assert.Equal(0.5, optimizer.param_groups[1].lr);

        first.grad = tensor(new[] { 1.0, -1.0 });
        second.grad = tensor(new[] { 1.0, -1.0 });
        optimizer.step();
        AssertClose([1.0 - 0.1, 2.0 + 0.1], first.data<double>(), "group 0, step 1");
        AssertClose([1.0 - 0.5, 2.0 + 0.5], second.data<double>(), "group 1, step 1");

        optimizer.param_groups[1].lr = 0.25;
        Assert.Equal(0.25, optimizer.param_groups[1].lr);
        optimizer.step();
        AssertClose([1.0 - 0.1 - 0.1, 2.0 + 0.1 + 0.1], first.data<double>(), "group 0, step 2");
        AssertClose([1.0 - 0.5 - 0.25, 2.0 + 0.5 + 0.25], second.data<double>(), "group 1, step 2");
    }

    [Fact]
    public void Group_options_override_the_defaults()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(new[] { 1.0 }));
        using var optimizer = optim.Adam([new ParamGroup([parameter], options: new Dictionary<string, double> { ["beta1"] = 0.5 })], lr: 0.01);
        Assert.Equal(0.5, optimizer.param_groups[0]["beta1"]);
        Assert.Equal(0.999, optimizer.param_groups[0]["beta2"]);
        Assert.True(optimizer.param_groups[0].Has("eps"));
        Assert.False(optimizer.param_groups[0].Has("momentum"));
    }

    [Fact]
    public void A_parameter_without_a_gradient_is_left_alone()
    {
        using var scope = NewDisposeScope();
        using var used = new Parameter(tensor(new[] { 1.0 }));
        using var unused = new Parameter(tensor(new[] { 1.0 }));
        using var optimizer = optim.Adam([used, unused], lr: 0.1);
        used.grad = tensor(new[] { 1.0 });
        optimizer.step();
        Assert.Equal([1.0], unused.data<double>());
        Assert.Equal(0, optimizer.step_count(unused));
        Assert.NotEqual(1.0, used.data<double>()[0]);
    }

    // ---- zero_grad -----------------------------------------------------------------------------------

    [Fact]
    public void Zero_grad_drops_gradients_by_default()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var optimizer = optim.SGD([parameter], lr: 0.1);
        (parameter * parameter).sum().backward();
        Assert.NotNull(parameter.grad);
        optimizer.zero_grad();
        Assert.Null(parameter.grad);
    }

    [Fact]
    public void Zero_grad_without_set_to_none_keeps_zeroed_gradients()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var optimizer = optim.SGD([parameter], lr: 0.1);
        (parameter * parameter).sum().backward();
        Assert.Equal([2.0, 4.0], parameter.grad!.data<double>());
        optimizer.zero_grad(set_to_none: false);
        Assert.Equal([0.0, 0.0], parameter.grad!.data<double>());

        // The zeroed gradient accumulates afresh.
        (parameter * 3.0).sum().backward();
        Assert.Equal([3.0, 3.0], parameter.grad!.data<double>());
    }

    // ---- validation ----------------------------------------------------------------------------------

    [Fact]
    public void Invalid_options_are_rejected()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(new[] { 1.0 }));
        Assert.Contains("SGD: lr must be a non-negative number", Assert.Throws<ArgumentOutOfRangeException>(() => optim.SGD([parameter], lr: -0.1)).Message);
        Assert.Contains("Adam: lr must be a non-negative number", Assert.Throws<ArgumentOutOfRangeException>(() => optim.Adam([parameter], lr: double.NaN)).Message);
        Assert.Contains("Adam: beta1 must be in [0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => optim.Adam([parameter], beta1: 1.0)).Message);
        Assert.Contains("AdamW: beta2 must be in [0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => optim.AdamW([parameter], beta2: 1.5)).Message);
        Assert.Contains("RMSprop: momentum must be a non-negative number", Assert.Throws<ArgumentOutOfRangeException>(() => optim.RMSprop([parameter], momentum: -0.9)).Message);
        Assert.Contains("Nesterov momentum requires a momentum and zero dampening", Assert.Throws<ArgumentException>(() => optim.SGD([parameter], lr: 0.1, nesterov: true)).Message);
        var unknown = new ParamGroup([parameter], options: new Dictionary<string, double> { ["betas"] = 0.9 });
        Assert.Contains("Adam has no option 'betas'", Assert.Throws<ArgumentException>(() => optim.Adam([unknown])).Message);
        Assert.Contains("at least one parameter group", Assert.Throws<ArgumentException>(() => optim.SGD(Array.Empty<ParamGroup>(), lr: 0.1)).Message);
        Assert.Contains("more than one parameter group", Assert.Throws<ArgumentException>(() => optim.SGD([new ParamGroup([parameter]), new ParamGroup([parameter])], lr: 0.1)).Message);
    }

    // ---- state_dict ----------------------------------------------------------------------------------

    public static TheoryData<string> Optimizers => ["SGD", "SGD-nesterov", "Adam", "Adam-amsgrad", "AdamW", "RMSprop", "RMSprop-centered-momentum"];

    private static Optimizer Create(string name, IEnumerable<ParamGroup> groups) => name switch
    {
        "SGD" => optim.SGD(groups, lr: 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 0.01),
        "SGD-nesterov" => optim.SGD(groups, lr: 0.1, momentum: 0.9, nesterov: true),
        "Adam" => optim.Adam(groups, lr: 0.01, weight_decay: 0.01),
        "Adam-amsgrad" => optim.Adam(groups, lr: 0.01, beta2: 0.5, amsgrad: true),
        "AdamW" => optim.AdamW(groups, lr: 0.01),
        "RMSprop" => optim.RMSprop(groups, lr: 0.01),
        "RMSprop-centered-momentum" => optim.RMSprop(groups, lr: 0.01, momentum: 0.9, centered: true),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown optimizer"),
    };

    /// <summary>One training step on the loss Σ w·p⁴, whose gradient 4·w·p³ changes every step.</summary>
    private static void TrainStep(Optimizer optimizer, Parameter[] parameters, Tensor weights)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        foreach (var parameter in parameters) (parameter * parameter * parameter * parameter * weights).sum().backward();
        optimizer.step();
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void State_dict_gives_a_bit_identical_resume(string name)
    {
        using var scope = NewDisposeScope();
        using var weights = tensor(new[] { 0.5, -1.0, 2.0 });
        using var first = new Parameter(tensor(Start));
        using var second = new Parameter(tensor(new[] { -0.3, 0.7, 1.1 }));
        Parameter[] parameters = [first, second];
        using var optimizer = Create(name, [new ParamGroup([parameters[0]]), new ParamGroup([parameters[1]], lr: 0.02)]);
        for (var step = 0; step < 3; step++) TrainStep(optimizer, parameters, weights);

        using var snapshot = optimizer.state_dict();
        using var firstCopy = new Parameter(first.detach().clone());
        using var secondCopy = new Parameter(second.detach().clone());
        Parameter[] copies = [firstCopy, secondCopy];
        using var resumed = Create(name, [new ParamGroup([copies[0]]), new ParamGroup([copies[1]])]);
        resumed.load_state_dict(snapshot);
        Assert.Equal(0.02, resumed.param_groups[1].lr); // group options come from the state
        Assert.Equal(3, resumed.step_count(copies[0]));

        for (var step = 0; step < 3; step++)
        {
            TrainStep(optimizer, parameters, weights);
            TrainStep(resumed, copies, weights);
        }
        for (var i = 0; i < parameters.Length; i++)
        {
            Assert.True(parameters[i].equal(copies[i]), $"parameter {i} differs after the resume");
            Assert.False(parameters[i].equal(tensor(i == 0 ? Start : new[] { -0.3, 0.7, 1.1 })), $"parameter {i} did not train");
        }
    }

    [Fact]
    public void A_snapshot_is_a_copy_unaffected_by_later_steps()
    {
        using var scope = NewDisposeScope();
        using var weights = tensor(new[] { 0.5, -1.0, 2.0 });
        using var parameter = new Parameter(tensor(Start));
        using var optimizer = optim.Adam([parameter], lr: 0.01);
        TrainStep(optimizer, [parameter], weights);
        using var snapshot = optimizer.state_dict();
        var expAvg = snapshot.state[0].tensors["exp_avg"].data<double>();
        TrainStep(optimizer, [parameter], weights);
        Assert.Equal(expAvg, snapshot.state[0].tensors["exp_avg"].data<double>());
        Assert.Equal(1, snapshot.state[0].step);
    }

    [Fact]
    public void Loading_another_optimizers_state_is_rejected_and_changes_nothing()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var sgd = optim.SGD([parameter], lr: 0.1, momentum: 0.9);
        parameter.grad = tensor(new[] { 1.0, 1.0 });
        sgd.step();
        using var sgdState = sgd.state_dict();

        using var adam = optim.Adam([parameter], lr: 0.01);
        adam.step();
        Assert.Contains("Adam has no option 'momentum'", Assert.Throws<ArgumentException>(() => adam.load_state_dict(sgdState)).Message);
        Assert.Equal(0.01, adam.param_groups[0].lr);
        Assert.False(adam.param_groups[0].Has("momentum"));
        Assert.Equal(1, adam.step_count(parameter));
        using var adamState = adam.state_dict();
        Assert.Equal(["exp_avg", "exp_avg_sq"], adamState.state[0].tensors.Keys.Order());
    }

    [Fact]
    public void Loading_a_state_with_an_out_of_range_option_is_rejected()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(new[] { 1.0 }));
        using var adam = optim.Adam([parameter], lr: 0.01);
        var options = new Dictionary<string, double>(adam.param_groups[0].options) { ["beta1"] = 1.0 };
        using var state = new OptimizerState(new Dictionary<int, OptimizerState.Entry>(), [new OptimizerState.Group([0], options, null)]);
        Assert.Contains("Adam: beta1 must be in [0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => adam.load_state_dict(state)).Message);
        Assert.Equal(0.9, adam.param_groups[0]["beta1"]);
    }

    [Fact]
    public void Loading_a_state_for_other_parameters_is_rejected()
    {
        using var scope = NewDisposeScope();
        using var small = new Parameter(tensor(new[] { 1.0 }));
        using var large = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var source = optim.Adam([small]);
        small.grad = tensor(new[] { 1.0 });
        source.step();
        using var snapshot = source.state_dict();
        using var target = optim.Adam([large]);
        Assert.Contains("has shape [1] but the parameter has [2]", Assert.Throws<ArgumentException>(() => target.load_state_dict(snapshot)).Message);
        using var twoGroups = optim.Adam([new ParamGroup([large]), new ParamGroup([small])]);
        Assert.Contains("the state has 1 parameter groups but the optimizer has 2", Assert.Throws<ArgumentException>(() => twoGroups.load_state_dict(snapshot)).Message);
    }
}

[CollectionDefinition(nameof(NativeHandleCount), DisableParallelization = true)]
public sealed class NativeHandleCount;

/// <summary>Optimizer state copies free every native handle they create (the count is process-wide, so these run alone).</summary>
[Collection(nameof(NativeHandleCount))]
public sealed class OptimizerHandleTests
{
    [Fact]
    public void State_dict_and_load_state_dict_outside_a_scope_leave_no_handles_behind()
    {
        using var parameter = new Parameter(zeros([3], dtype: float64));
        using var optimizer = optim.Adam([parameter], lr: 0.01, amsgrad: true);
        using (var scope = NewDisposeScope())
        {
            parameter.grad = ones([3], dtype: float64);
            optimizer.step();
        }
        var before = Tensor.LiveHandleCount;

        // Outside any dispose scope: a snapshot owns its three tensor copies, and loading replaces the
        // optimizer's three state tensors by three new ones.
        var snapshot = optimizer.state_dict();
        Assert.Equal(before + 3, Tensor.LiveHandleCount);
        optimizer.load_state_dict(snapshot);
        Assert.Equal(before + 3, Tensor.LiveHandleCount);
        snapshot.Dispose();
        Assert.Equal(before, Tensor.LiveHandleCount);
    }

    [Fact]
    public void A_disposed_optimizer_refuses_to_step_or_give_its_state_like_a_disposed_module()
    {
        using var parameter = new Parameter(zeros([3]));
        var optimizer = optim.SGD([parameter], lr: 0.1);
        Assert.False(optimizer.IsDisposed);
        optimizer.Dispose();
        Assert.True(optimizer.IsDisposed);
        using (var scope = NewDisposeScope()) parameter.grad = ones([3]);
        Assert.Contains("SGD", Assert.Throws<ObjectDisposedException>(() => optimizer.step()).ObjectName);
        Assert.Throws<ObjectDisposedException>(() => optimizer.zero_grad());
        Assert.Throws<ObjectDisposedException>(() => optimizer.state_dict());
        Assert.Throws<ObjectDisposedException>(() => optimizer.add_param_group(new ParamGroup([parameter])));
        Assert.Equal(new float[3], parameter.data<float>().ToArray());
        optimizer.Dispose();
    }

    [Fact]
    public void A_state_must_hold_exactly_the_state_tensors_the_optimizer_keeps()
    {
        using var scope = NewDisposeScope();
        using var parameter = new Parameter(tensor(new[] { 1.0, 2.0 }));
        using var adam = optim.Adam([parameter], lr: 0.01);
        parameter.grad = tensor(new[] { 1.0, 1.0 });
        adam.step();
        using var adamState = adam.state_dict();
        Assert.Equal(["exp_avg", "exp_avg_sq"], adam.state_names);

        // Same options, other state: Adam's moments into SGD, a missing moment, AMSGrad's extra one.
        using var sgd = optim.SGD([parameter], lr: 0.01);
        // These share adamState's tensors: only adamState is disposed.
        var foreign = new OptimizerState(adamState.state, [new OptimizerState.Group([0], sgd.param_groups[0].options, null)]);
        Assert.Contains("the state of parameter 0 has 'exp_avg', which SGD does not keep (it keeps: momentum_buffer)", Assert.Throws<ArgumentException>(() => sgd.check_state_dict(foreign)).Message);
        var partial = new OptimizerState(new Dictionary<int, OptimizerState.Entry> { [0] = new(1, new Dictionary<string, Tensor> { ["exp_avg"] = zeros(2) }) }, adamState.param_groups);
        Assert.Contains("has no 'exp_avg_sq', which Adam keeps for every parameter it has stepped", Assert.Throws<ArgumentException>(() => adam.load_state_dict(partial)).Message);
        using var amsgrad = optim.Adam([parameter], lr: 0.01, amsgrad: true);
        Assert.Contains("has no 'max_exp_avg_sq'", Assert.Throws<ArgumentException>(() => amsgrad.check_state_dict(adamState)).Message);
        var unstepped = new OptimizerState(new Dictionary<int, OptimizerState.Entry> { [0] = new(0, adamState.state[0].tensors) }, adamState.param_groups);
        Assert.Contains("has step count 0", Assert.Throws<ArgumentException>(() => adam.check_state_dict(unstepped)).Message);

        // A rejected state changed nothing.
        Assert.Equal(1, adam.step_count(parameter));
        using var after = adam.state_dict();
        Assert.True(after.state[0].tensors["exp_avg_sq"].equal(adamState.state[0].tensors["exp_avg_sq"]));
        Assert.Equal(0, sgd.step_count(parameter));
    }
}
