using Mtl.Torch;
using Mtl.Torch.Modules;
using Mtl.Training.Weighting;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>
/// Tasks with known gradients: a shared θ and one head scalar hᵢ per task, with
/// Lᵢ = aᵢ·θ + cᵢ·hᵢ, so ∇θ Lᵢ = aᵢ and ∇h Lᵢ = cᵢ·eᵢ exactly. All float64.
/// </summary>
internal sealed class LinearTasks : IDisposable
{
    public readonly Parameter Theta;
    public readonly Parameter Heads;
    public readonly double[][] A;
    public readonly double[] C;

    public LinearTasks(double[][] a, double[]? theta = null, double[]? heads = null, double[]? c = null)
    {
        A = a;
        C = c ?? Enumerable.Repeat(1.0, a.Length).ToArray();
        Theta = new Parameter(tensor(theta ?? new double[a[0].Length]));
        Heads = new Parameter(tensor(heads ?? new double[a.Length]));
    }

    public int K => A.Length;

    public WeightingContext Context(int seed = 7) => new()
    {
        TaskNames = Enumerable.Range(0, K).Select(i => $"t{i}").ToArray(),
        SharedParameters = [Theta],
        TaskParameters = [Heads],
        LastSharedLayer = [Theta],
        Random = new Random(seed),
    };

    /// <summary>The losses, inside the caller's scope; tasks in <paramref name="absent"/> get null.</summary>
    public Tensor?[] Losses(params int[] absent)
    {
        var losses = new Tensor?[K];
        for (var i = 0; i < K; i++)
        {
            if (absent.Contains(i)) continue;
            losses[i] = Theta.dot(tensor(A[i])) + Heads[i] * C[i];
        }
        return losses;
    }

    /// <summary>The shared representation z = 2θ and the losses Lᵢ = aᵢ·z + cᵢ·hᵢ, for methods that take their gradients at z.</summary>
    public (Tensor Z, Tensor?[] Losses) RepresentationLosses()
    {
        var z = Theta * 2.0;
        return (z, [.. Enumerable.Range(0, K).Select(i => (Tensor?)(z.dot(tensor(A[i])) + Heads[i] * C[i]))]);
    }

    public double[] ThetaGrad => Theta.grad?.data<double>() ?? throw new InvalidOperationException("θ has no gradient");

    public double[] HeadGrad => Heads.grad?.data<double>() ?? throw new InvalidOperationException("the heads have no gradient");

    public void ZeroGrad()
    {
        Theta.zero_grad();
        Heads.zero_grad();
    }

    /// <summary>Σ wᵢaᵢ.</summary>
    public double[] Combination(IReadOnlyList<double> w)
    {
        var g = new double[A[0].Length];
        for (var i = 0; i < K; i++)
        {
            for (var d = 0; d < g.Length; d++) g[d] += w[i] * A[i][d];
        }
        return g;
    }

    public void Dispose()
    {
        Theta.Dispose();
        Heads.Dispose();
    }
}

internal static class Expect
{
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tolerance = 1e-9, string what = "")
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var ok = double.IsNaN(expected[i]) ? double.IsNaN(actual[i]) : Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(ok, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (all: [{string.Join(", ", actual)}])");
        }
    }

    public static void Close(double expected, double actual, double tolerance = 1e-9, string what = "") => Close([expected], [actual], tolerance, what);
}
