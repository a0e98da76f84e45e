using Mtl.Torch;
using Mtl.Training;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests.Training;

/// <summary>
/// A model whose output for each task is the input of that task's name (predictions are whatever
/// the data says), recording the size of every batch it sees.
/// </summary>
internal sealed class EchoModel : MultiTaskModule
{
    public EchoModel() : base(nameof(EchoModel)) => RegisterComponents();

    public List<long> Batches { get; } = [];

    /// <summary>The rows seen, over all batches.</summary>
    public long Rows => Batches.Sum();

    public override MultiTaskOutput forward(IReadOnlyDictionary<string, Tensor> inputs)
    {
        Batches.Add(inputs.First().Value.size(0));
        return new(inputs.ToDictionary(p => p.Key, p => p.Value.alias()));
    }

    public override IEnumerable<nn.Module> SharedModules() => [];
}
