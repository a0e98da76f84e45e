namespace Mtl.Training.Weighting;

/// <summary>Arithmetic on the K-sized vectors and K×K matrices the methods work with, in doubles.</summary>
internal static class SmallMath
{
    public static double[] Softmax(double[] x)
    {
        var max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToArray();
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>M·x.</summary>
    public static double[] Multiply(double[,] m, double[] x)
    {
        var n = x.Length;
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++) y[i] += m[i, j] * x[j];
        }
        return y;
    }

    public static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>xᵀMx.</summary>
    public static double Quadratic(double[,] m, double[] x) => Dot(x, Multiply(m, x));

    /// <summary>
    /// Solves A·x = b by Gaussian elimination with partial pivoting; throws when A is singular
    /// to working precision.
    /// </summary>
    public static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        var scale = 0.0;
        foreach (var v in a) scale = Math.Max(scale, Math.Abs(v));
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(m[r, col]) > Math.Abs(m[pivot, col])) pivot = r;
            }
            if (Math.Abs(m[pivot, col]) <= 1e-14 * scale) throw new ArithmeticException("singular system");
            if (pivot != col)
            {
                for (var c = 0; c < n; c++) (m[col, c], m[pivot, c]) = (m[pivot, c], m[col, c]);
                (x[col], x[pivot]) = (x[pivot], x[col]);
            }
            for (var r = col + 1; r < n; r++)
            {
                var f = m[r, col] / m[col, col];
                for (var c = col; c < n; c++) m[r, c] -= f * m[col, c];
                x[r] -= f * x[col];
            }
        }
        for (var r = n - 1; r >= 0; r--)
        {
            var s = x[r];
            for (var c = r + 1; c < n; c++) s -= m[r, c] * x[c];
            x[r] = s / m[r, r];
        }
        return x;
    }

    /// <summary>
    /// Eigenvalues and eigenvectors of the symmetric matrix <paramref name="a"/> by cyclic Jacobi
    /// rotations; column j of the vectors belongs to value j. Unordered. The rotations work on
    /// <paramref name="a"/> divided by the power of two nearest below its largest |entry| (exact,
    /// and the rotations the same, for every entry above 2⁻¹⁰²² of the largest), so that Σaᵢⱼ²
    /// neither overflows nor underflows for finite entries of any size. Throws for a matrix
    /// holding NaN, and when the off-diagonal part is not below 1e-15 of the whole (in norm)
    /// after <paramref name="sweeps"/> sweeps (100 in use; a handful suffice, the convergence
    /// being quadratic).
    /// </summary>
    public static (double[] Values, double[,] Vectors) SymmetricEigen(double[,] a, int sweeps = 100)
    {
        var n = a.GetLength(0);
        var largest = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                if (double.IsNaN(a[i, j])) throw new ArithmeticException($"no eigen-decomposition of a matrix holding NaN (at [{i}, {j}])");
                largest = Math.Max(largest, Math.Abs(a[i, j]));
            }
        }
        // An infinite entry is left as it is: Σmᵢⱼ² = ∞ and the matrix is taken as diagonal.
        var exponent = largest > 0 && double.IsFinite(largest) ? Math.ILogB(largest) : 0;
        var m = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++) m[i, j] = Math.ScaleB(a[i, j], -exponent);
        }
        var v = new double[n, n];
        for (var i = 0; i < n; i++) v[i, i] = 1;
        for (var sweep = 0; ; sweep++)
        {
            var off = 0.0;
            var total = 0.0;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    total += m[i, j] * m[i, j];
                    if (i != j) off += m[i, j] * m[i, j];
                }
            }
            if (off <= 1e-30 * total || off == 0) break;
            if (sweep == sweeps) throw new ArithmeticException($"no eigen-decomposition: the Jacobi rotations did not converge (cap: {sweeps} sweeps)");
            for (var p = 0; p < n - 1; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    if (m[p, q] == 0) continue;
                    var theta = (m[q, q] - m[p, p]) / (2 * m[p, q]);
                    var t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        var mkp = m[k, p];
                        var mkq = m[k, q];
                        m[k, p] = c * mkp - s * mkq;
                        m[k, q] = s * mkp + c * mkq;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        var mpk = m[p, k];
                        var mqk = m[q, k];
                        m[p, k] = c * mpk - s * mqk;
                        m[q, k] = s * mpk + c * mqk;
                    }
                    for (var k = 0; k < n; k++)
                    {
                        var vkp = v[k, p];
                        var vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
            }
        }
        var values = new double[n];
        for (var i = 0; i < n; i++) values[i] = Math.ScaleB(m[i, i], exponent);
        return (values, v);
    }

    /// <summary>
    /// V diag(values) Vᵀ for eigenvectors in the columns of <paramref name="vectors"/> (as
    /// <see cref="SymmetricEigen"/> returns them): a symmetric matrix rebuilt from, or a function
    /// applied through, its eigen-decomposition; exactly symmetric.
    /// </summary>
    public static double[,] FromEigen(double[] values, double[,] vectors)
    {
        var n = values.Length;
        var result = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < n; k++) sum += vectors[i, k] * values[k] * vectors[j, k];
                result[i, j] = result[j, i] = sum;
            }
        }
        return result;
    }
}
