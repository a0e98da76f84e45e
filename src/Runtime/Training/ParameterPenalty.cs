using Mtl.Torch;
using Mtl.Torch.Modules;

namespace Mtl.Training;

/// <summary>
/// The objective's terms on the parameters themselves: λΣ‖θ‖² over every parameter
/// (<see cref="TrainerOptions.L2"/>) plus λ‖θ_a − θ_b‖² for each pair of tied parameters
/// (<see cref="TrainerOptions.Ties"/>, soft parameter sharing), plus the task-relation term
/// (<see cref="RelationPenalty"/>) when there is one.
/// </summary>
internal sealed class ParameterPenalty
{
    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly double _l2;
    private readonly IReadOnlyList<(Parameter a, Parameter b, double lambda)> _ties;

    /// <summary>A tie needs two modules with as many parameters, paired in order.</summary>
    private readonly RelationPenalty? _relation;

    public ParameterPenalty(IReadOnlyList<Parameter> parameters, double l2, IEnumerable<SoftTie> ties, RelationPenalty? relation = null)
    {
        _relation = relation;
        _parameters = parameters;
        _l2 = l2;
        _ties = ties.SelectMany(TiedPairs).ToList();
    }

    private static IEnumerable<(Parameter, Parameter, double)> TiedPairs(SoftTie tie)
    {
        var a = tie.A.parameters().ToList();
        var b = tie.B.parameters().ToList();
        if (a.Count != b.Count) throw new ArgumentException($"a tie needs two blocks of the same shape, but {tie.A.GetName} has {a.Count} parameters and {tie.B.GetName} has {b.Count}");
        return a.Zip(b, (x, y) => (x, y, tie.Lambda));
    }

    /// <summary>The terms' sum in the caller's dispose scope, or null when there are none.</summary>
    public Tensor? Compute()
    {
        Tensor? penalty = null;
        if (_l2 > 0)
        {
            foreach (var parameter in _parameters)
            {
                var term = parameter.pow(2).sum() * _l2;
                penalty = penalty is null ? term : penalty + term;
            }
        }
        foreach (var (a, b, lambda) in _ties)
        {
            var term = (a - b).pow(2).sum() * lambda;
            penalty = penalty is null ? term : penalty + term;
        }
        if (_relation?.Compute() is { } relation)
        {
            penalty = penalty is null ? relation : penalty + relation;
        }
        return penalty;
    }
}
