using Mtl.Torch;
using Mtl.Training;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

public sealed class ParameterPenaltyTests
{
    private static double SumOfSquares(IEnumerable<float> values) => values.Sum(v => (double)v * v);

    [Fact]
    public void Without_l2_or_ties_there_is_no_term()
    {
        using var model = new TwoTaskModel();
        Assert.Null(new ParameterPenalty(model.parameters().ToList(), 0, []).Compute());
    }

    [Fact]
    public void L2_is_lambda_times_the_sum_of_squares_of_every_parameter_and_ties_add_theirs()
    {
        using var scope = NewDisposeScope();
        using var model = new TwoTaskModel();
        using var other = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0));
        var parameters = model.parameters().ToList();
        var l2 = 0.01 * SumOfSquares(parameters.SelectMany(p => p.data<float>()));
        Assert.Equal(l2, new ParameterPenalty(parameters, 0.01, []).Compute()!.item<double>(), l2 * 1e-5);

        var trunk = model.Trunk.parameters().SelectMany(p => p.data<float>()).ToArray();
        var tied = other.parameters().SelectMany(p => p.data<float>()).ToArray();
        var tie = 0.5 * trunk.Zip(tied, (a, b) => ((double)a - b) * ((double)a - b)).Sum();
        Assert.Equal(tie, new ParameterPenalty(parameters, 0, [new SoftTie(model.Trunk, other, 0.5)]).Compute()!.item<double>(), tie * 1e-5);
        Assert.Equal(l2 + tie, new ParameterPenalty(parameters, 0.01, [new SoftTie(model.Trunk, other, 0.5)]).Compute()!.item<double>(), (l2 + tie) * 1e-5);
    }

    [Fact]
    public void A_tie_between_blocks_of_different_parameter_counts_is_rejected()
    {
        using var model = new TwoTaskModel();
        var error = Assert.Throws<ArgumentException>(() => new ParameterPenalty(model.parameters().ToList(), 0, [new SoftTie(model.Trunk, model.KindHead, 0.1)]));
        Assert.StartsWith("a tie needs two blocks of the same shape", error.Message);
        Assert.Contains("has 2 parameters and", error.Message);
    }
}
