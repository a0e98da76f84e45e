namespace Mtl.Torch;

/// <summary>Device kinds, numbered as libtorch's <c>c10::DeviceType</c>.</summary>
public enum DeviceType
{
    CPU = 0,
    CUDA = 1,
}

/// <summary>A device: a kind and, for accelerators, an index (-1 means the current one).</summary>
public sealed record Device(DeviceType type, int index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);
    public static readonly Device CUDA = new(DeviceType.CUDA);

    /// <summary>Parses PyTorch's device strings: <c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>.</summary>
    public static Device Parse(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        var parts = description.Trim().ToLowerInvariant().Split(':');
        var type = parts[0] switch
        {
            "cpu" => DeviceType.CPU,
            "cuda" => DeviceType.CUDA,
            _ => throw new ArgumentException($"unknown device '{description}': expected cpu, cuda or cuda:N", nameof(description)),
        };
        if (parts.Length == 1)
        {
            return type == DeviceType.CPU ? CPU : CUDA;
        }
        if (parts.Length == 2 && int.TryParse(parts[1], out var index) && index >= 0)
        {
            return new Device(type, index);
        }
        throw new ArgumentException($"unknown device '{description}': expected cpu, cuda or cuda:N", nameof(description));
    }

    public override string ToString()
    {
        var name = type == DeviceType.CPU ? "cpu" : "cuda";
        return index < 0 ? name : $"{name}:{index}";
    }
}
