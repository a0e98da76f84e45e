using Mtl.Training.Weighting;
using Xunit;

namespace Mtl.Runtime.Tests.Weighting;

/// <summary>CAGrad's dual solver against a brute-force search of the simplex.</summary>
public sealed class CAGradDualTests
{
    public static TheoryData<string, double[][], double> Cases()
    {
        var data = new TheoryData<string, double[][], double>
        {
            { "one task", [[1, 2, 0]], 0.4 },
            { "collinear", [[1, -2, 0.5], [-2, 4, -1], [0.5, -1, 0.25]], 0.4 },
            { "collinear, same direction", [[1, 1, 0], [3, 3, 0]], 0.7 },
            { "a zero gradient", [[1, 0, 2], [0, 0, 0], [-1, 1, 0], [0.5, -2, 1]], 0.4 },
            { "all zero", [[0, 0], [0, 0]], 0.4 },
            { "identical", [[1, -1, 2], [1, -1, 2], [1, -1, 2]], 0.5 },
            { "opposite", [[1, 2], [-1, -2]], 0.4 },
            { "more tasks than dimensions", [[1, 0], [0, 1], [-1, 0.2], [0.3, -1]], 0.9 },
        };
        var random = new Random(13);
        for (var n = 0; n < 24; n++)
        {
            var k = 2 + n % 3;
            var dimension = 1 + random.Next(6);
            var gradients = new double[k][];
            for (var i = 0; i < k; i++)
            {
                gradients[i] = new double[dimension];
                for (var d = 0; d < dimension; d++) gradients[i][d] = random.NextDouble() * 4 - 2;
            }
            data.Add($"random {n}", gradients, 0.1 + 0.8 * random.NextDouble());
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_solution_is_within_1e_8_of_the_brute_force_optimum(string name, double[][] gradients, double c)
    {
        var k = gradients.Length;
        var gram = new double[k, k];
        var mean = 0.0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                gram[i, j] = gradients[i].Zip(gradients[j], (a, b) => a * b).Sum();
                mean += gram[i, j] / (k * k);
            }
        }
        var sqrtPhi = c * Math.Sqrt(mean + 1e-8) + 1e-8;

        var w = CAGrad.Dual(gram, sqrtPhi);

        Assert.All(w, wi => Assert.True(wi >= 0, $"{name}: a negative weight"));
        Assert.Equal(1, w.Sum(), 12);
        var best = BruteForce(gram, sqrtPhi);
        Assert.True(Math.Abs(Objective(gram, sqrtPhi, w) - best) <= 1e-8, $"{name}: F(w) = {Objective(gram, sqrtPhi, w)}, brute force {best}");
    }

    internal static double Objective(double[,] m, double sqrtPhi, double[] w)
    {
        var k = w.Length;
        double linear = 0, quadratic = 0;
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                linear += w[i] * m[i, j] / k;
                quadratic += w[i] * m[i, j] * w[j];
            }
        }
        return linear + sqrtPhi * Math.Sqrt(quadratic + 1e-8);
    }

    /// <summary>
    /// The smallest F on a grid of the simplex (the first K − 1 coordinates; the last is what is
    /// left), zoomed in around the best point level after level: F is convex.
    /// </summary>
    internal static double BruteForce(double[,] m, double sqrtPhi)
    {
        var k = m.GetLength(0);
        const int steps = 20;
        var center = Enumerable.Repeat(1.0 / k, k - 1).ToArray();
        var radius = 1.0;
        var best = Objective(m, sqrtPhi, Enumerable.Repeat(1.0 / k, k).ToArray());
        var w = new double[k];
        var index = new int[k - 1];
        for (var level = 0; level < 40; level++)
        {
            var bestCenter = (double[])center.Clone();
            var points = (int)Math.Pow(steps + 1, k - 1);
            for (var p = 0; p < points; p++)
            {
                var rest = p;
                var left = 1.0;
                for (var d = 0; d < k - 1; d++)
                {
                    index[d] = rest % (steps + 1);
                    rest /= steps + 1;
                    w[d] = Math.Clamp(center[d] - radius + 2 * radius * index[d] / steps, 0, 1);
                    left -= w[d];
                }
                if (left < 0) continue;
                w[k - 1] = left;
                var f = Objective(m, sqrtPhi, w);
                if (f < best)
                {
                    best = f;
                    Array.Copy(w, bestCenter, k - 1);
                }
            }
            center = bestCenter;
            radius *= 0.25;
        }
        return best;
    }
}
