using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Training;

/// <summary>
/// One block's weights in a safetensors file, for transfer between models: what a .mtl file's
/// <c>init block from "file" prefix "p."</c> loads and the generated <c>XModel.SaveBlock</c>
/// writes. The tensors are the block's own parameters and persistent buffers (batch-norm
/// statistics), named as in the block (<c>0.weight</c>, <c>2.running_mean</c>), each with the
/// prefix in front; <see cref="Save"/> without a prefix writes exactly the names
/// <see cref="Load"/> without a prefix reads.
/// </summary>
public static class BlockWeights
{
    /// <summary>Names listed in a message before the rest are only counted.</summary>
    private const int ListedNames = 12;

    /// <summary>Writes the block's parameters and persistent buffers (atomically), each under <paramref name="prefix"/> + its name in the block.</summary>
    public static void Save(nn.Module block, string path, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(prefix);
        Safetensors.Save(block.state_dict().ToDictionary(t => prefix + t.Key, t => t.Value), path);
    }

    /// <summary>
    /// Loads the block's parameters and persistent buffers from tensor <paramref name="prefix"/> +
    /// name of the file, all or nothing: every tensor the block has must be in the file with the
    /// block's shape and dtype, and every tensor of the file under the prefix (every tensor, with
    /// no prefix) must be one the block has; otherwise nothing is copied and an
    /// <see cref="InvalidDataException"/> names the block, the file and each problem (for a
    /// missing tensor, what the file has under the prefix, in name order). Checked on the file's header, before
    /// any tensor data is read. A relative <paramref name="path"/> resolves against the current directory.
    /// </summary>
    /// <param name="block">The block (a module of the model) whose tensors are replaced.</param>
    /// <param name="name">The block's name, for messages (<c>trunk</c>).</param>
    /// <param name="path">The safetensors file.</param>
    /// <param name="prefix">Put before each of the block's names to find its tensor in the file.</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    public static void Load(nn.Module block, string name, string path, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(prefix);
        var where = $"cannot load block '{name}' from '{path}'";
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{where}: there is no such file (a relative path resolves against the current directory, {Directory.GetCurrentDirectory()})", path);
        }
        var own = block.state_dict();
        using var content = Safetensors.Load(path, device: null, inspect: header =>
        {
            var problems = Problems(header, own, prefix);
            if (problems.Count > 0) throw new InvalidDataException($"{where}: {string.Join("; ", problems)}");
        });
        var values = own.Keys.ToDictionary(k => k, k => content.tensors[prefix + k]);
        using (no_grad())
        {
            block.load_state_dict(values);
        }
    }

    /// <summary>The block's tensors missing from the file, those of another shape or dtype, and the file's tensors under the prefix that the block does not have.</summary>
    private static List<string> Problems(SafetensorsHeader header, IReadOnlyDictionary<string, Tensor> own, string prefix)
    {
        var problems = new List<string>();
        var file = header.tensors.ToDictionary(t => t.name, StringComparer.Ordinal);
        var names = header.tensors.Select(t => t.name).Order(StringComparer.Ordinal).ToList();
        var underPrefix = names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        var missing = own.Keys.Select(k => prefix + k).Where(k => !file.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            var has = underPrefix.Count > 0 ? $"it has {List(underPrefix)}"
                : names.Count == 0 ? "it has no tensors"
                : $"it has none under the prefix '{prefix}', but has {List(names)}";
            problems.Add($"the file has no tensor{(missing.Count == 1 ? "" : "s")} {List(missing, quote: true)}; {has}");
        }
        foreach (var (name, tensor) in own)
        {
            if (!file.TryGetValue(prefix + name, out var entry)) continue;
            if (!tensor.shape.AsSpan().SequenceEqual(entry.shape))
            {
                problems.Add($"tensor '{entry.name}' has shape {Tensor.FormatShape(entry.shape)}, but the block's '{name}' has shape {Tensor.FormatShape(tensor.shape)}");
            }
            else if (tensor.dtype != entry.dtype)
            {
                problems.Add($"tensor '{entry.name}' holds {ScalarTypeInfo.Name(entry.dtype)}, but the block's '{name}' is {ScalarTypeInfo.Name(tensor.dtype)}");
            }
        }
        var extra = underPrefix.Where(n => !own.ContainsKey(n.Substring(prefix.Length))).ToList();
        if (extra.Count > 0)
        {
            var which = extra.Count == 1 ? "tensor" : "tensors";
            problems.Add($"the file's {which} {List(extra, quote: true)} {(prefix.Length == 0 ? "" : $"under the prefix '{prefix}' ")}{(extra.Count == 1 ? "is" : "are")} not the block's (it has {List(own.Keys.Select(k => prefix + k).ToList())}): the file holds a different block");
        }
        return problems;
    }

    private static string List(IReadOnlyList<string> names, bool quote = false) =>
        string.Join(", ", names.Take(ListedNames).Select(n => quote ? $"'{n}'" : n)) + (names.Count > ListedNames ? $" and {names.Count - ListedNames} more" : "");
}
