using System.Globalization;
using System.Text;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// Finite-difference gradient checker. The function's output is contracted with a fixed random
/// upstream gradient v (so per-element results are checked too, not only their sum), and the
/// gradient of sum(f · v) that autograd computes is compared, element by element, with central
/// differences of the same scalar, for every input that requires grad and every parameter of the
/// module; <c>backward(v)</c> followed by <c>.grad</c> must agree with it. Everything must be float64.
/// </summary>
internal static class GradCheck
{
    public const double Eps = 1e-6;
    public const double Atol = 1e-5;
    public const double Rtol = 1e-4;

    /// <summary>How many mismatching elements a failure message lists.</summary>
    private const int MaxReported = 8;

    /// <summary>Checks a module with one tensor input and one tensor result.</summary>
    public static void Module(string label, nn.Module<Tensor, Tensor> module, Tensor input) =>
        Function(label, xs => module.forward(xs[0]), [("input", input)], module);

    /// <summary>
    /// Checks <paramref name="function"/> of <paramref name="inputs"/> (all of them are passed to it;
    /// those that require grad are checked) and of <paramref name="module"/>'s parameters.
    /// </summary>
    public static void Function(string label, Func<IReadOnlyList<Tensor>, Tensor> function, IReadOnlyList<(string name, Tensor tensor)> inputs, nn.Module? module = null)
    {
        using var scope = NewDisposeScope();
        var tensors = inputs.Select(i => i.tensor).ToArray();
        var checkedTensors = inputs.Where(i => i.tensor.requires_grad).ToList();
        if (module is not null)
        {
            checkedTensors.AddRange(module.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, (Tensor)p.parameter)));
        }
        Assert.True(checkedTensors.Count > 0, $"{label}: nothing requires grad, so there is nothing to check");
        foreach (var (name, t) in checkedTensors)
        {
            Assert.True(t.dtype == ScalarType.Float64, $"{label}: {name} is {t.dtype}; gradient checks need float64");
        }

        var output = function(tensors);
        Assert.True(output.dtype == ScalarType.Float64, $"{label}: the result is {output.dtype}; gradient checks need float64");
        var upstream = Upstream(output.shape);
        var analytic = torch.autograd.grad([output], checkedTensors.Select(c => c.tensor).ToList(), [upstream], retain_graph: true, allow_unused: true);
        AssertBackwardAgrees(label, output, upstream, checkedTensors, analytic);

        var report = new StringBuilder();
        var failures = 0;
        var anyNonZero = false;
        for (var k = 0; k < checkedTensors.Count; k++)
        {
            var (name, t) = checkedTensors[k];
            var shape = t.shape;
            var expected = analytic[k]?.data<double>() ?? new double[t.numel()];
            var numeric = Numeric(function, tensors, upstream, t);
            anyNonZero |= numeric.Any(n => Math.Abs(n) > Atol);
            for (var i = 0; i < numeric.Length; i++)
            {
                var difference = Math.Abs(expected[i] - numeric[i]);
                if (difference <= Atol + Rtol * Math.Abs(numeric[i])) continue;
                if (failures++ < MaxReported)
                {
                    report.Append(CultureInfo.InvariantCulture,
                        $"\n  {name}{FormatIndex(i, shape)}: autograd {expected[i]:R}, finite difference {numeric[i]:R} (difference {difference:G3})");
                }
            }
        }
        Assert.True(anyNonZero, $"{label}: every gradient is zero, so the check would pass vacuously");
        if (failures > 0)
        {
            Assert.Fail($"{label}: {failures} gradient element(s) of sum(output · v), v a fixed random upstream gradient, differ from central differences (eps {Eps}, atol {Atol}, rtol {Rtol}):{report}");
        }
    }

    /// <summary>
    /// The other autograd path, <c>backward(v)</c> then <c>.grad</c> of each leaf, must give what
    /// <c>torch.autograd.grad</c> gave. Gradients are cleared before and after.
    /// </summary>
    private static void AssertBackwardAgrees(string label, Tensor output, Tensor upstream, List<(string name, Tensor tensor)> checkedTensors, Tensor?[] analytic)
    {
        foreach (var (_, t) in checkedTensors) t.zero_grad();
        output.backward(upstream);
        for (var k = 0; k < checkedTensors.Count; k++)
        {
            var (name, t) = checkedTensors[k];
            using var viaBackward = t.grad;
            var expected = analytic[k];
            var agree = (expected, viaBackward) switch
            {
                (null, null) => true,
                (null, { } g) => g.eq(0.0).all().item<bool>(),
                ({ }, null) => false,
                ({ } e, { } g) => e.allclose(g, rtol: 1e-12, atol: 1e-12),
            };
            Assert.True(agree, $"{label}: backward() left a different .grad on {name} than autograd.grad computed");
            t.zero_grad();
        }
    }

    /// <summary>Central differences of sum(f · v) over every element of <paramref name="t"/>, perturbed in place.</summary>
    private static double[] Numeric(Func<IReadOnlyList<Tensor>, Tensor> function, Tensor[] tensors, Tensor upstream, Tensor t)
    {
        using var noGrad = no_grad();
        using var flat = t.view(-1);
        var original = flat.data<double>();
        var result = new double[original.Length];
        for (var i = 0; i < original.Length; i++)
        {
            using var element = flat.select(0, i);
            element.fill_(original[i] + Eps);
            var plus = Objective(function, tensors, upstream);
            element.fill_(original[i] - Eps);
            var minus = Objective(function, tensors, upstream);
            element.fill_(original[i]);
            result[i] = (plus - minus) / (2 * Eps);
        }
        return result;
    }

    private static double Objective(Func<IReadOnlyList<Tensor>, Tensor> function, Tensor[] tensors, Tensor upstream)
    {
        using var scope = NewDisposeScope();
        return function(tensors).mul(upstream).sum().item<double>();
    }

    /// <summary>A fixed pseudo-random upstream gradient in [0.5, 1.5) with random signs.</summary>
    private static Tensor Upstream(long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var random = new Random(1234);
        var values = new double[count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (0.5 + random.NextDouble()) * (random.Next(2) == 0 ? -1 : 1);
        }
        return tensor(values, shape);
    }

    /// <summary>The multi-dimensional index of flat element <paramref name="flat"/>, as "[i, j, ...]".</summary>
    public static string FormatIndex(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return "[" + string.Join(", ", index) + "]";
    }

    // ---- inputs ---------------------------------------------------------------------------------

    /// <summary>A generator seeded from <paramref name="name"/> (stable across runs, unlike string.GetHashCode).</summary>
    public static Random RandomFor(string name)
    {
        var hash = 2166136261u;
        foreach (var c in name) hash = (hash ^ c) * 16777619u;
        return new Random((int)(hash & int.MaxValue));
    }

    /// <summary>A float64 leaf that requires grad, with standard normal values from <paramref name="random"/>.</summary>
    public static Tensor Normal(Random random, params long[] shape) => Leaf(Samples(random, shape, () => Gaussian(random)), shape);

    /// <summary>Uniform values in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(Random random, double low, double high, params long[] shape) =>
        Leaf(Samples(random, shape, () => low + (high - low) * random.NextDouble()), shape);

    /// <summary>Values at least <paramref name="margin"/> away from zero (for kinks at 0).</summary>
    public static Tensor AwayFromZero(Random random, double margin, params long[] shape) =>
        Leaf(Samples(random, shape, () => (margin + random.NextDouble()) * (random.Next(2) == 0 ? -1 : 1)), shape);

    /// <summary>Distinct values spaced 0.1 apart in random order (max pooling without ties).</summary>
    public static Tensor Distinct(Random random, params long[] shape)
    {
        var count = (int)shape.Aggregate(1L, (a, b) => a * b);
        var values = Enumerable.Range(0, count).Select(i => (i - count / 2.0) * 0.1).ToArray();
        random.Shuffle(values);
        return Leaf(values, shape);
    }

    public static Tensor Leaf(double[] values, params long[] shape) => tensor(values, shape, requires_grad: true);

    private static double[] Samples(Random random, long[] shape, Func<double> sample)
    {
        var values = new double[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < values.Length; i++) values[i] = sample();
        return values;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
