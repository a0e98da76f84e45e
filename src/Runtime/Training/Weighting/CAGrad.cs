namespace Mtl.Training.Weighting;

/// <summary>
/// Conflict-Averse Gradient descent (Liu, Liu, Jin, Stone and Liu, "Conflict-Averse Gradient
/// Descent for Multi-task Learning", NeurIPS 2021), as in the official code.
/// </summary>
/// <remarks>
/// With g₀ = (1/K)Σgᵢ the average gradient, the update d maximises minᵢ gᵢ·d within the ball
/// ‖d − g₀‖ ≤ c‖g₀‖. Its dual is min over the simplex of
/// F(w) = g_wᵀg₀ + √φ·‖g_w‖ with g_w = Σ wᵢgᵢ and √φ = c‖g₀‖, solved here on the Gram matrix by
/// an active-set Newton method to a duality gap of 1e-12 (the official code uses scipy's SLSQP on
/// the same objective, with the same 1e-8 guards). Then d = g₀ + (√φ/‖g_w‖)·g_w, and, as in the
/// official code (rescale = 1), d/(1 + c²). The reported weights are the coefficients of d on the
/// task gradients, (1/K + λwᵢ)/(1 + c²). Task parameters get Σ Lᵢ. c = 0.4 by default: the value
/// of the official run scripts for NYUv2 and Cityscapes (the training script's own default is
/// 0.5); c lies in [0, 1), the range of the paper's convergence result.
/// </remarks>
public sealed class CAGrad : GramWeighting
{
    private readonly double _c;

    public CAGrad(IReadOnlyList<double> fixedWeights, double c = 0.4) : base("cagrad", fixedWeights)
    {
        _c = CheckOption("cagrad", "c", c, nameof(c));
    }

    /// <summary>c, the radius of the ball around the average gradient, relative to its norm.</summary>
    public double C => _c;

    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var k = tasks.Length;
        var mean = 0.0;
        foreach (var v in gram) mean += v / (k * k);
        var sqrtPhi = _c * Math.Sqrt(mean + 1e-8) + 1e-8;
        var w = Dual(gram, sqrtPhi);
        var lambda = sqrtPhi / (Math.Sqrt(SmallMath.Quadratic(gram, w)) + 1e-8);
        return w.Select(wi => (1.0 / k + lambda * wi) / (1 + _c * _c)).ToArray();
    }

    /// <summary>
    /// The w on the simplex minimising F(w) = wᵀM·(1/K) + √φ·√(wᵀMw + 1e-8), by an active-set
    /// Newton method. F is convex, so the duality gap ∇F·w − minᵢ ∂ᵢF bounds F(w) − min F; the
    /// solver stops when it is below 1e-12 of the gradient's largest entry. Each iteration either
    /// takes a damped Newton step on the face of the free coordinates (a step that would make a
    /// coordinate negative stops at 0 and fixes it there) or, once that face is nearly solved,
    /// frees the fixed coordinate with the smallest partial derivative. Nothing is allocated
    /// after the start. <paramref name="halvings"/> caps the line search's trials (60 in use; a
    /// smaller cap lets a test reach a line search that finds no decrease).
    /// </summary>
    internal static double[] Dual(double[,] m, double sqrtPhi, int maxIterations = 500, int halvings = 60)
    {
        var k = m.GetLength(0);
        var mb = new double[k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++) mb[i] += m[i, j] / k;
        }
        var w = new double[k];
        Array.Fill(w, 1.0 / k);
        var free = new bool[k];
        Array.Fill(free, true);
        var mw = new double[k];
        var grad = new double[k];
        var direction = new double[k];
        var trial = new double[k];
        var face = new int[k];
        var system = new double[k + 1, k + 1];
        var rhs = new double[k + 1];
        var f = Objective(m, mb, sqrtPhi, w, mw);
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var norm = Math.Sqrt(SmallMath.Dot(w, mw) + 1e-8);
            var atW = 0.0;
            var scale = 0.0;
            var smallest = double.PositiveInfinity;
            var smallestFree = double.PositiveInfinity;
            var release = -1;
            for (var i = 0; i < k; i++)
            {
                grad[i] = mb[i] + sqrtPhi * mw[i] / norm;
                atW += grad[i] * w[i];
                scale = Math.Max(scale, Math.Abs(grad[i]));
                smallest = Math.Min(smallest, grad[i]);
                if (free[i]) smallestFree = Math.Min(smallestFree, grad[i]);
                else if (release < 0 || grad[i] < grad[release]) release = i;
            }
            var gap = atW - smallest;
            if (gap <= 1e-12 * scale) break;
            var canRelease = release >= 0 && grad[release] < smallestFree;
            // The face's own gap is a small part of the whole: the optimum lies on a larger face.
            if (canRelease && atW - smallestFree <= 0.1 * gap)
            {
                free[release] = true;
                continue;
            }
            if (!NewtonDirection(m, sqrtPhi, norm, mw, grad, free, face, system, rhs, direction)
                || !LineSearch(m, mb, sqrtPhi, w, grad, direction, free, trial, mw, halvings, ref f))
            {
                if (!canRelease) break;  // no progress left on this face, at working precision
                free[release] = true;
            }
        }
        return w;
    }

    /// <summary>F(w); leaves M·w in <paramref name="mw"/>.</summary>
    private static double Objective(double[,] m, double[] mb, double sqrtPhi, double[] w, double[] mw)
    {
        var k = w.Length;
        for (var i = 0; i < k; i++)
        {
            mw[i] = 0;
            for (var j = 0; j < k; j++) mw[i] += m[i, j] * w[j];
        }
        return SmallMath.Dot(w, mb) + sqrtPhi * Math.Sqrt(SmallMath.Dot(w, mw) + 1e-8);
    }

    /// <summary>
    /// The Newton step on the face of the free coordinates: the minimiser of ∇F·d + ½dᵀ(H + δI)d
    /// subject to Σ dᵢ = 0 and dᵢ = 0 off the face, with H = (√φ/n)(M − MwwᵀM/n²) the Hessian
    /// of F and δ a relative 1e-10 of its diagonal, which keeps the system regular where M is
    /// singular (collinear or zero gradients: F is then linear along some directions, and the
    /// long step there ends at the face's boundary). False when there is no descent direction.
    /// </summary>
    private static bool NewtonDirection(double[,] m, double sqrtPhi, double norm, double[] mw, double[] grad, bool[] free, int[] face, double[,] system, double[] rhs, double[] direction)
    {
        var k = grad.Length;
        var r = 0;
        for (var i = 0; i < k; i++)
        {
            direction[i] = 0;
            if (free[i]) face[r++] = i;
        }
        if (r < 2) return false;
        var curvature = sqrtPhi / norm;
        var largest = 0.0;
        for (var a = 0; a < r; a++)
        {
            for (var b = 0; b < r; b++)
            {
                system[a, b] = curvature * (m[face[a], face[b]] - mw[face[a]] * mw[face[b]] / (norm * norm));
            }
            largest = Math.Max(largest, system[a, a]);
            system[a, r] = 1;
            system[r, a] = 1;
        }
        var delta = largest > 0 ? 1e-10 * largest : 1;
        for (var a = 0; a < r; a++) system[a, a] += delta;
        system[r, r] = 0;
        // Right-hand side (−∇F on the face, 0) solved into direction[face[a]] by elimination
        // with partial pivoting; the last unknown is the multiplier of Σ dᵢ = 0.
        for (var a = 0; a < r; a++) rhs[a] = -grad[face[a]];
        rhs[r] = 0;
        var n = r + 1;
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var row = col + 1; row < n; row++)
            {
                if (Math.Abs(system[row, col]) > Math.Abs(system[pivot, col])) pivot = row;
            }
            if (system[pivot, col] == 0) return false;
            if (pivot != col)
            {
                for (var c = 0; c < n; c++) (system[col, c], system[pivot, c]) = (system[pivot, c], system[col, c]);
                (rhs[col], rhs[pivot]) = (rhs[pivot], rhs[col]);
            }
            for (var row = col + 1; row < n; row++)
            {
                var factor = system[row, col] / system[col, col];
                for (var c = col; c < n; c++) system[row, c] -= factor * system[col, c];
                rhs[row] -= factor * rhs[col];
            }
        }
        for (var row = n - 1; row >= 0; row--)
        {
            var s = rhs[row];
            for (var c = row + 1; c < n; c++) s -= system[row, c] * rhs[c];
            rhs[row] = s / system[row, row];
        }
        var slope = 0.0;
        for (var a = 0; a < r; a++)
        {
            direction[face[a]] = rhs[a];
            slope += grad[face[a]] * rhs[a];
        }
        return slope < 0;
    }

    /// <summary>
    /// Moves <paramref name="w"/> along <paramref name="direction"/> by the largest step in
    /// (0, 1] that stays on the simplex and decreases F enough (Armijo, halving); a step that
    /// reaches the simplex's boundary sets the blocking coordinate to 0 and fixes it. False
    /// when none of the <paramref name="halvings"/> steps tried decreases F; w is then unchanged
    /// and <paramref name="mw"/> is M·w again.
    /// </summary>
    private static bool LineSearch(double[,] m, double[] mb, double sqrtPhi, double[] w, double[] grad, double[] direction, bool[] free, double[] trial, double[] mw, int halvings, ref double f)
    {
        var k = w.Length;
        var slope = SmallMath.Dot(grad, direction);
        var longest = 1.0;
        var blocking = -1;
        for (var i = 0; i < k; i++)
        {
            if (direction[i] < 0 && -w[i] / direction[i] < longest)
            {
                longest = -w[i] / direction[i];
                blocking = i;
            }
        }
        var step = longest;
        for (var halving = 0; halving < halvings; halving++)
        {
            for (var i = 0; i < k; i++) trial[i] = Math.Max(w[i] + step * direction[i], 0);
            if (blocking >= 0) trial[blocking] = 0;
            var fTrial = Objective(m, mb, sqrtPhi, trial, mw);
            if (fTrial <= f + 1e-4 * step * slope)
            {
                Array.Copy(trial, w, k);
                f = fTrial;
                if (blocking >= 0) free[blocking] = false;
                return true;
            }
            step /= 2;
            blocking = -1;  // a shorter step ends inside the simplex
        }
        Objective(m, mb, sqrtPhi, w, mw);
        return false;
    }
}
