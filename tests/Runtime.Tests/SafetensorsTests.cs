using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Mtl.Torch;
using Mtl.Torch.Modules;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

// Some tests compare the process-wide count of created tensors, so none may run beside them.
[Collection(LiveHandleCollection.Name)]
public sealed class SafetensorsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("mtl-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    // ---- round trips ---------------------------------------------------------------------------

    /// <summary>Every supported dtype with the code the format gives it, written out by hand.</summary>
    public static TheoryData<ScalarType, string> DtypeCodes => new()
    {
        { ScalarType.Float64, "F64" },
        { ScalarType.Float32, "F32" },
        { ScalarType.Float16, "F16" },
        { ScalarType.BFloat16, "BF16" },
        { ScalarType.Int64, "I64" },
        { ScalarType.Int32, "I32" },
        { ScalarType.Int16, "I16" },
        { ScalarType.Int8, "I8" },
        { ScalarType.Byte, "U8" },
        { ScalarType.Bool, "BOOL" },
    };

    [Theory]
    [MemberData(nameof(DtypeCodes))]
    public void EveryDtypeRoundTripsWithItsValuesAndShapes(ScalarType dtype, string code)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["matrix"] = Sample(dtype, [2, 3]),
            ["scalar"] = Sample(dtype, []),
            ["empty"] = Sample(dtype, [0, 4]),
            ["cube"] = Sample(dtype, [2, 1, 3]),
        };
        var path = PathOf("dtypes.safetensors");
        save_safetensors(tensors, path);

        var header = ReadHeaderJson(path);
        foreach (var name in tensors.Keys)
        {
            var entry = header.GetProperty(name);
            Assert.Equal(code, entry.GetProperty("dtype").GetString());
            var begin = entry.GetProperty("data_offsets")[0].GetInt64();
            Assert.Equal(0, begin % ElementSize(dtype)); // data aligned to its element size
        }

        using var loaded = load_safetensors(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), loaded.tensors.Keys); // one dtype: sorted by name
        foreach (var (name, expected) in tensors)
        {
            var actual = loaded.tensors[name];
            Assert.Equal(dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.Equal(DeviceType.CPU, actual.device_type);
            var bytes = Bytes(actual);
            Assert.Equal(Bytes(expected), bytes);
            if (expected.numel() > 1) Assert.Contains(bytes, b => b != 0); // the comparison is not vacuous
        }
    }

    [Fact]
    public void MixedDtypesAreWrittenByDescendingAlignmentThenNameAndReadBackInThatOrder()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["z_flag"] = Sample(ScalarType.Bool, [5]),
            ["b_weight"] = Sample(ScalarType.Float32, [3]),
            ["a_weight"] = Sample(ScalarType.Float32, [1]),
            ["count"] = Sample(ScalarType.Int64, []),
            ["half"] = Sample(ScalarType.BFloat16, [3]),
            ["bytes"] = Sample(ScalarType.Byte, [3]),
            ["double"] = Sample(ScalarType.Float64, [2]),
        };
        var path = PathOf("mixed.safetensors");
        save_safetensors(tensors, path);

        string[] expectedOrder = ["count", "double", "a_weight", "b_weight", "half", "bytes", "z_flag"];
        Assert.Equal(expectedOrder, ReadHeaderJson(path).EnumerateObject().Select(p => p.Name));
        using var loaded = load_safetensors(path);
        Assert.Equal(expectedOrder, loaded.tensors.Keys);
        foreach (var (name, expected) in tensors) Assert.Equal(Bytes(expected), Bytes(loaded.tensors[name]));

        // Writing the same tensors given in another order gives the same bytes.
        var reversed = PathOf("reversed.safetensors");
        save_safetensors(tensors.Reverse().ToDictionary(), reversed);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(reversed));
    }

    [Fact]
    public void AnyNameRoundTripsAndNamesSortByTheirUtf8Bytes()
    {
        using var scope = NewDisposeScope();
        // UTF-16 order would put the emoji (a surrogate pair) before U+FFFD; UTF-8 order puts it after.
        string[] names = ["\U0001F600", "\uFFFD", "ключ.weight", "quote\"back\\slash", "", "a b\tc"];
        var tensors = names.Select((name, k) => (name, k)).ToDictionary(p => p.name, p => Sample(ScalarType.Float32, [p.k + 1]));
        var path = PathOf("names.safetensors");
        save_safetensors(tensors, path);

        string[] expected = ["", "a b\tc", "quote\"back\\slash", "ключ.weight", "\uFFFD", "\U0001F600"];
        Assert.Equal(expected, ReadHeaderJson(path).EnumerateObject().Select(p => p.Name));
        using var loaded = load_safetensors(path);
        Assert.Equal(expected, loaded.tensors.Keys);
        foreach (var (name, value) in tensors) Assert.Equal(Bytes(value), Bytes(loaded.tensors[name]));
    }

    [Fact]
    public void LargeTensorsStreamThroughTheBufferInChunks()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["long"] = Sample(ScalarType.Int64, [37]),
            ["float"] = Sample(ScalarType.Float32, [5, 7]),
            ["strided"] = Sample(ScalarType.Float32, [6, 4]).t(), // not contiguous
            ["bf16"] = Sample(ScalarType.BFloat16, [21]),
            ["bool"] = Sample(ScalarType.Bool, [19]),
        };
        var whole = PathOf("whole.safetensors");
        var chunked = PathOf("chunked.safetensors");
        Safetensors.Save(tensors, whole);
        Safetensors.Save(tensors, chunked, null, new Safetensors.Options(BufferBytes: 16));
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(chunked));

        using var loaded = Safetensors.Load(chunked, null, null, new Safetensors.Options(BufferBytes: 16));
        foreach (var (name, expected) in tensors)
        {
            Assert.Equal(expected.shape, loaded.tensors[name].shape);
            Assert.Equal(Bytes(expected), Bytes(loaded.tensors[name]));
        }
        using var transposed = tensors["strided"].contiguous();
        Assert.Equal(transposed.data<float>(), loaded.tensors["strided"].data<float>());
    }

    [Fact]
    public void ModuleStateRoundTripsAfterTrainingAStep()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = TinyModel();
        var x = randn(6, 4);
        var y = randn(6, 2);
        using (var optimizer = optim.SGD(model.parameters(), lr: 0.1, momentum: 0.9))
        {
            var loss = nn.functional.mse_loss(model.forward(x), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        var path = PathOf("model.safetensors");
        model.save_safetensors(path, new Dictionary<string, string> { ["format"] = "pt" });

        manual_seed(12);
        using var fresh = TinyModel();
        model.eval();
        fresh.eval();
        Assert.False(model.forward(x).allclose(fresh.forward(x)), "differently seeded models should differ before loading");
        var firstWeight = fresh.parameters().First();

        var (missing, unexpected) = fresh.load_safetensors(path);
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(model.forward(x).data<float>(), fresh.forward(x).data<float>());
        var trainedState = model.state_dict();
        var loadedState = fresh.state_dict();
        Assert.Equal(trainedState.Keys, loadedState.Keys);
        Assert.Contains("1.num_batches_tracked", loadedState.Keys);
        foreach (var (name, tensor) in trainedState) Assert.Equal(Bytes(tensor), Bytes(loadedState[name]));
        Assert.Equal(1L, loadedState["1.num_batches_tracked"].item<long>());

        // Loading copies into the existing parameters.
        Assert.Same(firstWeight, fresh.parameters().First());

        // A module of another shape is refused, naming the keys.
        using var other = nn.Sequential(nn.Linear(4, 8));
        var error = Assert.Throws<ArgumentException>(() => other.load_safetensors(path));
        Assert.Contains("unexpected keys", error.Message);
        Assert.Contains("3.weight", error.Message);
        var (_, extra) = other.load_safetensors(path, strict: false);
        Assert.Contains("3.bias", extra);
    }

    [Fact]
    public void MetadataRoundTripsSortedByKey()
    {
        using var scope = NewDisposeScope();
        var metadata = new Dictionary<string, string>
        {
            ["zeta"] = "last",
            ["format"] = "pt",
            ["note"] = "ünïcode, \"quotes\", back\\slash, new\nline, <tag> & +",
            ["empty"] = "",
        };
        var path = PathOf("metadata.safetensors");
        save_safetensors(new Dictionary<string, Tensor> { ["w"] = Sample(ScalarType.Float32, [2]) }, path, metadata);

        using var loaded = load_safetensors(path);
        Assert.Equal(new[] { "empty", "format", "note", "zeta" }, loaded.metadata.Keys);
        foreach (var (key, value) in metadata) Assert.Equal(value, loaded.metadata[key]);
        Assert.Equal("__metadata__", ReadHeaderJson(path).EnumerateObject().First().Name);

        // No metadata: no "__metadata__" entry, and an empty dictionary when read.
        save_safetensors(new Dictionary<string, Tensor> { ["w"] = Sample(ScalarType.Float32, [2]) }, path);
        Assert.False(ReadHeaderJson(path).TryGetProperty("__metadata__", out _));
        using var bare = load_safetensors(path);
        Assert.Empty(bare.metadata);
    }

    [Fact]
    public void NoTensorsIsAValidFile()
    {
        var path = PathOf("nothing.safetensors");
        save_safetensors(new Dictionary<string, Tensor>(), path);
        Assert.Equal(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32 }, File.ReadAllBytes(path));
        using var loaded = load_safetensors(path);
        Assert.Empty(loaded.tensors);
        Assert.Empty(loaded.metadata);
    }

    [Fact]
    public void LoadedTensorsBelongToTheCurrentScopeAndToTheResult()
    {
        var path = PathOf("owned.safetensors");
        using (NewDisposeScope()) save_safetensors(new Dictionary<string, Tensor> { ["w"] = Sample(ScalarType.Float32, [3]) }, path);

        Tensor scoped;
        using (var scope = NewDisposeScope())
        {
            var loaded = Safetensors.Load(path, Device.CPU);
            scoped = loaded.tensors["w"];
            Assert.Same(scope, scoped.Scope);
            Assert.False(scoped.IsDisposed);
        }
        Assert.True(scoped.IsDisposed);

        Assert.Null(DisposeScope.Current);
        var content = load_safetensors(path);
        var unscoped = content.tensors["w"];
        Assert.Null(unscoped.Scope);
        content.Dispose();
        Assert.True(unscoped.IsDisposed);
    }

    [Fact]
    public void WriterRejectsTheReservedName()
    {
        using var scope = NewDisposeScope();
        var path = PathOf("reserved.safetensors");
        var error = Assert.Throws<ArgumentException>(() => save_safetensors(new Dictionary<string, Tensor> { ["__metadata__"] = zeros(1) }, path));
        Assert.Contains("__metadata__", error.Message);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    // ---- interoperability: a file built byte by byte -------------------------------------------

    /// <summary>
    /// The exact bytes the reference implementation writes for these tensors: header ordered by
    /// descending dtype alignment then name, compact JSON padded with spaces to a multiple of 8.
    /// </summary>
    private static byte[] GoldenFile()
    {
        const string header =
            "{\"__metadata__\":{\"format\":\"pt\"}," +
            "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}," +
            "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,32]}," +
            "\"half\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[32,34]}," +
            "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[34,37]}}" +
            "     "; // 323 bytes of JSON + 5 spaces = 328
        Assert.Equal(328, header.Length);
        byte[] length = [0x48, 0x01, 0, 0, 0, 0, 0, 0]; // 328, little-endian
        byte[] data =
        [
            0x07, 0, 0, 0, 0, 0, 0, 0, // step: 7
            0x00, 0x00, 0x80, 0x3E, 0x00, 0x00, 0x40, 0x40, // bias: 0.25, 3.0
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x00, 0x00, // weight: 1, -2, 0.5, 0
            0x00, 0x3C, // half: 1.0
            0x01, 0x00, 0x01, // mask: true, false, true
        ];
        return [.. length, .. Encoding.ASCII.GetBytes(header), .. data];
    }

    [Fact]
    public void WriterProducesTheGoldenBytes()
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["weight"] = tensor(new[] { 1f, -2f, 0.5f, 0f }, new long[] { 2, 2 }),
            ["mask"] = tensor(new[] { true, false, true }),
            ["bias"] = tensor(new[] { 0.25f, 3f }),
            ["half"] = tensor(new[] { (Half)1 }),
            ["step"] = tensor(new[] { 7L }, Array.Empty<long>()),
        };
        var path = PathOf("golden.safetensors");
        save_safetensors(tensors, path, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(GoldenFile(), File.ReadAllBytes(path));
    }

    [Fact]
    public void ReaderReadsTheGoldenBytes()
    {
        using var scope = NewDisposeScope();
        var path = PathOf("golden.safetensors");
        File.WriteAllBytes(path, GoldenFile());
        using var loaded = load_safetensors(path);
        Assert.Equal(new[] { "step", "bias", "weight", "half", "mask" }, loaded.tensors.Keys);
        Assert.Equal("pt", Assert.Single(loaded.metadata).Value);
        Assert.Equal(7L, loaded.tensors["step"].item<long>());
        Assert.Empty(loaded.tensors["step"].shape);
        Assert.Equal(new[] { 0.25f, 3f }, loaded.tensors["bias"].data<float>());
        Assert.Equal(new[] { 2L, 2L }, loaded.tensors["weight"].shape);
        Assert.Equal(new[] { 1f, -2f, 0.5f, 0f }, loaded.tensors["weight"].data<float>());
        Assert.Equal(new[] { (Half)1 }, loaded.tensors["half"].data<Half>());
        Assert.Equal(new[] { true, false, true }, loaded.tensors["mask"].data<bool>());
    }

    [Fact]
    public void ReaderAcceptsWhatTheFormatAllows()
    {
        using var scope = NewDisposeScope();
        // Header order differs from offset order, an unknown field, null metadata, no padding.
        var bytes = Build(
            "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5],\"extra\":{\"x\":[1,2]}}," +
            "\"__metadata__\":null,\"a\":{\"shape\":[3],\"data_offsets\":[0,3],\"dtype\":\"I8\"}}",
            [1, 2, 0xFF, 4, 5]);
        var path = PathOf("lenient.safetensors");
        File.WriteAllBytes(path, bytes);
        using var loaded = load_safetensors(path);
        Assert.Equal(new[] { "b", "a" }, loaded.tensors.Keys);
        Assert.Equal(new byte[] { 4, 5 }, loaded.tensors["b"].data<byte>());
        Assert.Equal(new sbyte[] { 1, 2, -1 }, loaded.tensors["a"].data<sbyte>());
        Assert.Empty(loaded.metadata);
    }

    // ---- validation ----------------------------------------------------------------------------

    private const string F32Pair = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    public static TheoryData<string, int, string> CorruptHeaders => new()
    {
        { "{\"a\":", 0, "not valid JSON" },
        { "{\"a\":" + F32Pair + "} x", 8, "not valid JSON" },
        { "[1, 2]", 0, "not a JSON object" },
        { "{\"\\ud800\":" + F32Pair + "}", 8, "not valid JSON" },
        { "{\"a\":[0]}", 0, "the entry of tensor 'a' is not a JSON object" },
        { "{\"a\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a' has no 'dtype'" },
        { "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "tensor 'a' has no 'shape'" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "tensor 'a' has no 'data_offsets'" },
        { "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 'a' has 'dtype' twice" },
        { "{\"a\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "tensor 'a' has unknown dtype 'U16'" },
        { "{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "'dtype' is not a string" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "tensor 'a' has a negative size in shape [-2]" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,8]}}", 8, "'shape' holds something other than integers" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8, "is too large" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, "data_offsets [0, 4] hold 4 bytes but a F32 tensor of shape [2] takes 8" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "data_offsets [8, 0] are not a range" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", 8, "must be [begin, end]" },
        { "{\"a\":" + F32Pair + ",\"a\":" + F32Pair + "}", 8, "describes tensor 'a' twice" },
        { "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "'__metadata__' twice" },
        { "{\"__metadata__\":{\"k\":1}}", 0, "metadata 'k' is not a string" },
        { "{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, "key 'k' twice" },
        { "{\"__metadata__\":[]}", 0, "'__metadata__' is not a JSON object" },
        {
            "{\"a\":" + F32Pair + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
            "the data of tensor 'b' [4, 12] overlaps that of 'a' [0, 8]"
        },
        {
            "{\"a\":" + F32Pair + ",\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8,
            "the data of tensor 'e' [4, 4] overlaps that of 'a' [0, 8]"
        },
        {
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12,
            "the data buffer has a hole: bytes [4, 8) before tensor 'b' belong to no tensor"
        },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "hole: bytes [0, 4)" },
        { "{\"a\":" + F32Pair + "}", 4, "the file is truncated: tensor 'a' ends at byte 8 of the data buffer, which has only 4 bytes" },
        { "{\"a\":" + F32Pair + "}", 11, "the data buffer has 11 bytes but the tensors cover only 8: the rest is trailing data" },
        { "{}", 1, "the data buffer has 1 bytes but the tensors cover only 0" },
    };

    [Theory]
    [MemberData(nameof(CorruptHeaders))]
    public void ReaderRejectsACorruptHeader(string header, int dataLength, string problem)
    {
        var data = Enumerable.Range(1, dataLength).Select(i => (byte)i).ToArray();
        AssertInvalid(Build(header, data), problem);
    }

    [Fact]
    public void ReaderRejectsABadHeaderLength()
    {
        AssertInvalid([1, 0, 0], "the file has 3 bytes, fewer than the 8 that hold the header length");
        var json = Encoding.ASCII.GetBytes("{}      ");
        AssertInvalid(Build(json, [], headerLength: 9), "the header length 9 is larger than the 8 bytes that follow it");
        AssertInvalid(Build(json, [], headerLength: 1_000_000), "the header length 1000000 is larger than the 8 bytes that follow it");
        AssertInvalid(Build(json, [], headerLength: 100_000_001), "the header length 100000001 is over the 100000000-byte limit");
        AssertInvalid(Build(json, [], headerLength: ulong.MaxValue), $"the header length {ulong.MaxValue} is over the 100000000-byte limit");
    }

    [Fact]
    public void ReaderRejectsDamageToAGoodFile()
    {
        var good = GoldenFile();

        AssertInvalid(good[..^1], "the file is truncated: tensor 'mask' ends at byte 37 of the data buffer, which has only 36 bytes");
        AssertInvalid([.. good, 0], "the data buffer has 38 bytes but the tensors cover only 37: the rest is trailing data");

        var quote = Array.IndexOf(good, (byte)'"', 8);
        var flippedQuote = (byte[])good.Clone();
        flippedQuote[quote] ^= 0x01; // '"' becomes '#'
        AssertInvalid(flippedQuote, "the header is not valid JSON");

        var letter = Array.IndexOf(good, (byte)'w', 8);
        var flippedHighBit = (byte[])good.Clone();
        flippedHighBit[letter] ^= 0x80;
        AssertInvalid(flippedHighBit, "the header is not valid UTF-8");

        // An offset digit changed: the sizes no longer add up.
        var text = Encoding.ASCII.GetString(good, 8, 328);
        var digit = 8 + text.IndexOf("[16,32]", StringComparison.Ordinal) + 5;
        var flippedDigit = (byte[])good.Clone();
        flippedDigit[digit] = (byte)'4'; // [16,34]
        AssertInvalid(flippedDigit, "tensor 'weight': data_offsets [16, 34] hold 18 bytes but a F32 tensor of shape [2, 2] takes 16");

        // The length prefix one too small: the JSON is cut and then has a stray byte in the buffer.
        var shortLength = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(shortLength, 327);
        AssertInvalid(shortLength, "the data buffer has 38 bytes but the tensors cover only 37: the rest is trailing data");
    }

    // ---- looking before reading -----------------------------------------------------------------

    [Fact]
    public void ReadMetadataReadsOnlyTheMetadataAndSkipsTheTensorEntries()
    {
        var path = PathOf("golden.safetensors");
        File.WriteAllBytes(path, GoldenFile());
        var created = Tensor.CreatedHandleCount;
        Assert.Equal([new KeyValuePair<string, string>("format", "pt")], Safetensors.ReadMetadata(path));

        // Entries are skipped, not checked: a bad dtype is not seen, bad JSON and bad metadata are.
        var badDtype = GoldenFile();
        var at = badDtype.AsSpan().IndexOf("\"I64\""u8) + 1;
        badDtype[at] = (byte)'X';
        File.WriteAllBytes(path, badDtype);
        Assert.Equal("pt", Safetensors.ReadMetadata(path)["format"]);
        Assert.Contains("unknown dtype 'X64'", Assert.Throws<InvalidDataException>(() => load_safetensors(path)).Message);
        var badMetadata = GoldenFile();
        badMetadata[badMetadata.AsSpan().IndexOf("\"pt\""u8)] = (byte)'[';
        File.WriteAllBytes(path, badMetadata);
        Assert.Contains("is not a valid safetensors file: metadata 'format' is not a string", Assert.Throws<InvalidDataException>(() => Safetensors.ReadMetadata(path)).Message);
        Assert.Equal(created, Tensor.CreatedHandleCount);
    }

    [Fact]
    public void InspectSeesTheCheckedHeaderAndCanStopTheLoadBeforeAnyTensorIsCreated()
    {
        var path = PathOf("golden.safetensors");
        File.WriteAllBytes(path, GoldenFile());
        SafetensorsHeader? seen = null;
        var created = Tensor.CreatedHandleCount;
        var error = Assert.Throws<InvalidOperationException>(() => Safetensors.Load(path, null, header =>
        {
            seen = header;
            throw new InvalidOperationException("not this one");
        }));
        Assert.Equal("not this one", error.Message);
        Assert.Equal(created, Tensor.CreatedHandleCount);
        Assert.Equal(["step", "bias", "weight", "half", "mask"], seen!.tensors.Select(t => t.name));
        Assert.Equal(ScalarType.Float16, seen.tensors[3].dtype);
        Assert.Equal([2L, 2L], seen.tensors[2].shape);
        Assert.Equal("pt", seen.metadata["format"]);

        using var scope = NewDisposeScope();
        using var loaded = Safetensors.Load(path, null, _ => { });
        Assert.Equal(5, loaded.tensors.Count);
    }

    // ---- atomic writes -------------------------------------------------------------------------

    [Fact]
    public void ASaveDeletesTheTemporariesKilledWritersLeftAndNothingElse()
    {
        using var scope = NewDisposeScope();
        var path = PathOf("last.ckpt");
        var stale = PathOf($".last.ckpt.{Guid.NewGuid():N}.tmp");
        var held = PathOf($".last.ckpt.{Guid.NewGuid():N}.tmp");
        var others = new[]
        {
            PathOf($".other.ckpt.{Guid.NewGuid():N}.tmp"),
            PathOf($"last.ckpt.{Guid.NewGuid():N}.tmp"),
            PathOf(".last.ckpt.not-a-guid.tmp"),
            PathOf($".last.ckpt.{Guid.NewGuid():N}.tmp.keep"),
            PathOf($".last.ckpt.{Guid.NewGuid().ToString("N").ToUpperInvariant()}.tmp"),
        };
        foreach (var file in others.Append(stale).Append(held)) File.WriteAllBytes(file, new byte[100]);
        // A writer still at work holds its temporary open without sharing it.
        using (new FileStream(held, FileMode.Open, FileAccess.Write, FileShare.None))
        {
            save_safetensors(new Dictionary<string, Tensor> { ["x"] = ones(3) }, path);
        }
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(held));
        Assert.All(others, file => Assert.True(File.Exists(file), file));
        Assert.Equal(3, load_safetensors(path).tensors["x"].numel());
        Assert.Equal(others.Length + 2, Directory.GetFiles(_folder).Length);
    }


    [Fact]
    public void AFailureHalfwayThroughLeavesThePreviousFileIntact()
    {
        using var scope = NewDisposeScope();
        var path = PathOf("weights.safetensors");
        save_safetensors(new Dictionary<string, Tensor> { ["w"] = Sample(ScalarType.Float32, [4]) }, path);
        var before = File.ReadAllBytes(path);

        var bigger = new Dictionary<string, Tensor> { ["w"] = Sample(ScalarType.Float64, [64]), ["v"] = Sample(ScalarType.Int32, [64]) };
        FailingStream? failing = null;
        var options = new Safetensors.Options(WrapStream: s => failing = new FailingStream(s, failAfter: 300));
        var error = Assert.Throws<IOException>(() => Safetensors.Save(bigger, path, null, options));
        Assert.Contains("injected", error.Message);
        Assert.True(failing!.Written > 8, "the failure should come after some data was written");

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));

        // With no previous file there is still none afterwards.
        var fresh = PathOf("fresh.safetensors");
        Assert.Throws<IOException>(() => Safetensors.Save(bigger, fresh, null, options));
        Assert.False(File.Exists(fresh));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));

        // And a successful save does replace the file.
        save_safetensors(bigger, path);
        using var loaded = load_safetensors(path);
        Assert.Equal(Bytes(bigger["w"]), Bytes(loaded.tensors["w"]));
    }

    [Fact]
    public void ADisposedTensorFailsTheSaveWithoutTouchingTheFile()
    {
        using var scope = NewDisposeScope();
        var path = PathOf("weights.safetensors");
        save_safetensors(new Dictionary<string, Tensor> { ["w"] = Sample(ScalarType.Float32, [4]) }, path);
        var before = File.ReadAllBytes(path);

        var disposed = Sample(ScalarType.Float32, [4]);
        disposed.Dispose();
        var tensors = new Dictionary<string, Tensor> { ["a"] = Sample(ScalarType.Float32, [4]), ["b"] = disposed };
        Assert.Throws<ObjectDisposedException>(() => save_safetensors(tensors, path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static Sequential TinyModel() => nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2));

    /// <summary>A tensor of the dtype with distinct, mostly non-zero values.</summary>
    private static Tensor Sample(ScalarType dtype, long[] shape)
    {
        var n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var i = Enumerable.Range(1, n).ToArray();
        return dtype switch
        {
            ScalarType.Float64 => tensor<double>(i.Select(k => k * -1.25e100 + 1.0 / 3).ToArray(), shape),
            ScalarType.Float32 => tensor<float>(i.Select(k => k * 0.37f - 1.5f).ToArray(), shape),
            ScalarType.Float16 => tensor<Half>(i.Select(k => (Half)(k * -0.7f)).ToArray(), shape),
            ScalarType.BFloat16 => tensor<float>(i.Select(k => k * 3.3f).ToArray(), shape).to(ScalarType.BFloat16),
            ScalarType.Int64 => tensor<long>(i.Select(k => k % 2 == 0 ? long.MaxValue - k : long.MinValue + k).ToArray(), shape),
            ScalarType.Int32 => tensor<int>(i.Select(k => k * -100_003).ToArray(), shape),
            ScalarType.Int16 => tensor<short>(i.Select(k => (short)(k * -1001)).ToArray(), shape),
            ScalarType.Int8 => tensor<sbyte>(i.Select(k => (sbyte)(k * -17)).ToArray(), shape),
            ScalarType.Byte => tensor<byte>(i.Select(k => (byte)(k * 41)).ToArray(), shape),
            ScalarType.Bool => tensor<bool>(i.Select(k => k % 3 != 0).ToArray(), shape),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
        };
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static byte[] Bytes(Tensor tensor)
    {
        var bytes = new byte[tensor.numel() * ElementSize(tensor.dtype)];
        tensor.CopyBytesTo(bytes);
        return bytes;
    }

    /// <summary>The file's JSON header, parsed independently of the reader under test.</summary>
    private static JsonElement ReadHeaderJson(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, length % 8);
        using var document = JsonDocument.Parse(bytes.AsMemory(8, length));
        return document.RootElement.Clone();
    }

    private static byte[] Build(string json, byte[] data) => Build(Encoding.UTF8.GetBytes(json), data);

    private static byte[] Build(byte[] json, byte[] data, ulong? headerLength = null)
    {
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, headerLength ?? (ulong)json.Length);
        return [.. length, .. json, .. data];
    }

    private void AssertInvalid(byte[] file, string problem)
    {
        var path = PathOf("corrupt.safetensors");
        File.WriteAllBytes(path, file);
        var error = Assert.Throws<InvalidDataException>(() => load_safetensors(path));
        Assert.Contains($"'{path}' is not a valid safetensors file", error.Message);
        Assert.Contains(problem, error.Message);
    }

    /// <summary>Passes writes through until <c>failAfter</c> bytes, then fails as a full disk would.</summary>
    private sealed class FailingStream(Stream inner, long failAfter) : Stream
    {
        public long Written { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var room = (int)Math.Max(0, Math.Min(buffer.Length, failAfter - Written));
            inner.Write(buffer[..room]);
            Written += room;
            if (room < buffer.Length) throw new IOException("injected failure: no space left on device");
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush() => inner.Flush();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
