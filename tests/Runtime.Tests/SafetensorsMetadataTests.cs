using System.Text.Json;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>Metadata values are written as JSON string literals by the writer's own escaping.</summary>
public sealed class SafetensorsMetadataTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("mtl-st-meta-");

    private string Save(string value)
    {
        var path = Path.Combine(_folder.FullName, $"{Guid.NewGuid():N}.safetensors");
        using var w = zeros(2);
        save_safetensors(new Dictionary<string, Tensor> { ["w"] = w }, path, new Dictionary<string, string> { ["m"] = value });
        return path;
    }

    private static string Header(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BitConverter.ToUInt64(bytes, 0);
        return System.Text.Encoding.UTF8.GetString(bytes, 8, length);
    }

    [Fact]
    public void Every_control_character_quote_backslash_and_non_ascii_text_round_trips()
    {
        var value = new string(Enumerable.Range(0, 0x20).Select(c => (char)c).ToArray()) + "\"\\/\u007f é ü 漢字 😀 <tag> & + '";
        var path = Save(value);
        using (var loaded = load_safetensors(path)) Assert.Equal(value, loaded.metadata["m"]);
        // A JSON reader (not only ours) reads the same string back.
        using var document = JsonDocument.Parse(Header(path).TrimEnd(' '));
        Assert.Equal(value, document.RootElement.GetProperty("__metadata__").GetProperty("m").GetString());
        Assert.Contains("\\n", Header(path), StringComparison.Ordinal);
        Assert.Contains("\\u001F", Header(path), StringComparison.Ordinal);
        Assert.Contains("漢字", Header(path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_json_value_round_trips()
    {
        var value = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{{\"epoch\":{i},\"loss\":0.5}}"));
        using var loaded = load_safetensors(Save(value));
        Assert.Equal(value, loaded.metadata["m"]);
    }

    [Fact]
    public void A_lone_surrogate_is_an_error_naming_the_key()
    {
        var error = Assert.Throws<ArgumentException>(() => Save("bad \ud800 text"));
        Assert.Contains("metadata 'm'", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Delete(recursive: true);
}
