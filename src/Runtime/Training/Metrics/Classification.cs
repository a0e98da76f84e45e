namespace Mtl.Training.Metrics;

/// <summary>Helpers shared by the classification metrics.</summary>
internal static class Classification
{
    /// <summary>The index of the first largest value (as torch.argmax picks it).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }

    /// <summary>Softmax of one row of logits, computed stably.</summary>
    public static void Softmax(ReadOnlySpan<double> logits, Span<double> probabilities)
    {
        var max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            probabilities[i] = Math.Exp(logits[i] - max);
            sum += probabilities[i];
        }
        for (var i = 0; i < logits.Length; i++) probabilities[i] /= sum;
    }
}
