namespace Mtl.Training.Weighting;

/// <summary>
/// Gradient Vaccine (Wang, Tsvetkov, Firat and Cao, "Gradient Vaccine: Investigating and
/// Improving Multi-task Optimization in Massively Multilingual Models", ICLR 2021), and the common implementation.
/// </summary>
/// <remarks>
/// For each task i and every other task j in a random order (from
/// <see cref="WeightingContext.Random"/>): φᵢⱼ = cos(g'ᵢ, gⱼ); when φᵢⱼ &lt; φ̂ᵢⱼ,
/// g'ᵢ ← g'ᵢ + ‖g'ᵢ‖(φ̂ᵢⱼ√(1−φᵢⱼ²) − φᵢⱼ√(1−φ̂ᵢⱼ²)) / (‖gⱼ‖√(1−φ̂ᵢⱼ²))·gⱼ (against the
/// original gⱼ), and then the target is updated, φ̂ᵢⱼ ← (1−β)φ̂ᵢⱼ + βφᵢⱼ (φ̂ starts at 0;
/// β = 0.01 by default, the paper's value). The update is Σ g'ᵢ, carried out on the coefficients of
/// the original gradients with the Gram matrix; the reported weight of task j is its total
/// coefficient. Task parameters get Σ Lᵢ. The targets φ̂ are the state.
/// </remarks>
public sealed class GradVac : GramWeighting
{
    private readonly double _beta;
    private readonly double[,] _target;

    public GradVac(IReadOnlyList<double> fixedWeights, double beta = 0.01) : base("gradvac", fixedWeights)
    {
        _beta = CheckOption("gradvac", "beta", beta, nameof(beta));
        _target = new double[fixedWeights.Count, fixedWeights.Count];
    }

    /// <summary>β, the rate of the exponential moving average of the target cosines.</summary>
    public double Beta => _beta;

    /// <summary>φ̂ᵢⱼ, the EMA target cosine of tasks i and j.</summary>
    public double Target(int i, int j) => _target[i, j];

    protected override double[] Solve(double[,] gram, int[] tasks, WeightingContext context)
    {
        var k = tasks.Length;
        var weights = new double[k];
        for (var i = 0; i < k; i++)
        {
            var c = new double[k];  // g'ᵢ = Σₘ c[m]·gₘ
            c[i] = 1;
            foreach (var j in PCGrad.Shuffled(PCGrad.Others(k, i), context.Random))
            {
                var normI = Math.Sqrt(SmallMath.Quadratic(gram, c));
                var normJ = Math.Sqrt(gram[j, j]);
                if (normI == 0 || normJ == 0) continue;
                var dot = 0.0;
                for (var m = 0; m < k; m++) dot += c[m] * gram[m, j];
                var phi = Math.Clamp(dot / (normI * normJ), -1, 1);
                ref var target = ref _target[tasks[i], tasks[j]];
                var root = Math.Sqrt(1 - target * target);
                if (phi < target && root > 0)  // φ̂ = 1 would ask for g'ᵢ parallel to gⱼ: no finite step
                {
                    c[j] += normI * (target * Math.Sqrt(1 - phi * phi) - phi * root) / (normJ * root);
                }
                target = (1 - _beta) * target + _beta * phi;
            }
            for (var m = 0; m < k; m++) weights[m] += c[m];
        }
        return weights;
    }

    public override IReadOnlyDictionary<string, double> state_dict()
    {
        var state = new Dictionary<string, double>();
        for (var i = 0; i < _target.GetLength(0); i++)
        {
            for (var j = 0; j < _target.GetLength(1); j++) state[$"target.{i}.{j}"] = _target[i, j];
        }
        return state;
    }

    public override void load_state_dict(IReadOnlyDictionary<string, double> state)
    {
        for (var i = 0; i < _target.GetLength(0); i++)
        {
            for (var j = 0; j < _target.GetLength(1); j++) _target[i, j] = Get(state, $"target.{i}.{j}");
        }
    }
}
