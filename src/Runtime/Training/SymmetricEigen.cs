namespace Mtl.Training;

/// <summary>Eigenvalues and eigenvectors of a small symmetric matrix in doubles, by cyclic Jacobi rotations.</summary>
internal static class SymmetricEigen
{
    /// <summary>
    /// The eigenvalues of symmetric <paramref name="matrix"/> and the eigenvectors as the columns
    /// of the second result, so that A = V diag(values) Vᵀ.
    /// </summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        var n = matrix.GetLength(0);
        var a = (double[,])matrix.Clone();
        var v = new double[n, n];
        for (var i = 0; i < n; i++) v[i, i] = 1;
        for (var sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, scale = 0;
            for (var i = 0; i < n; i++)
            {
                scale += a[i, i] * a[i, i];
                for (var j = i + 1; j < n; j++) off += a[i, j] * a[i, j];
            }
            if (off <= 1e-30 * Math.Max(scale, double.Epsilon)) break;
            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    if (a[p, q] == 0) continue;
                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        var values = new double[n];
        for (var i = 0; i < n; i++) values[i] = a[i, i];
        return (values, v);
    }

    /// <summary>V diag(f(λ)) Vᵀ: a function of a symmetric matrix through its eigenvalues (exactly symmetric).</summary>
    public static double[,] Apply(double[] values, double[,] vectors, Func<double, double> f)
    {
        var n = values.Length;
        var result = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < n; k++) sum += vectors[i, k] * f(values[k]) * vectors[j, k];
                result[i, j] = result[j, i] = sum;
            }
        }
        return result;
    }
}
