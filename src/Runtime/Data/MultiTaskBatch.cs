using Mtl.Torch;

namespace Mtl.Data;

/// <summary>One batch: input tensors by input name and target tensors by task name, first dimension = examples.</summary>
public sealed class MultiTaskBatch
{
    public MultiTaskBatch(IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyDictionary<string, Tensor> targets, long size)
    {
        Inputs = inputs;
        Targets = targets;
        Size = size;
    }

    public IReadOnlyDictionary<string, Tensor> Inputs { get; }

    public IReadOnlyDictionary<string, Tensor> Targets { get; }

    public long Size { get; }
}
