using Mtl.Torch;

namespace Mtl.Training;

/// <summary>Reads a model's named inputs, with an error that says which input is missing and which exist.</summary>
public static class ModelInputs
{
    public static Tensor Require(IReadOnlyDictionary<string, Tensor> inputs, string name, string model)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.TryGetValue(name, out var tensor)) return tensor;
        var given = inputs.Count == 0 ? "none" : string.Join(", ", inputs.Keys.Select(k => $"'{k}'"));
        throw new KeyNotFoundException($"{model} needs the input '{name}', but the inputs given are {given}");
    }
}
