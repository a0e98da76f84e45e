using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace Mtl.Torch;

/// <summary>
/// What <see cref="Safetensors.Load(string, Device?)"/> read: the tensors in the order of the file's header, and
/// the file's metadata. Disposing it disposes the tensors it still holds.
/// </summary>
public sealed class SafetensorsContent : IDisposable
{
    internal SafetensorsContent(OrderedDictionary<string, Tensor> tensors, OrderedDictionary<string, string> metadata)
    {
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /// <summary>The tensors by name, in header order.</summary>
    public OrderedDictionary<string, Tensor> tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none), in header order.</summary>
    public OrderedDictionary<string, string> metadata { get; }

    public void Dispose()
    {
        foreach (var tensor in tensors.Values) tensor.Dispose();
    }
}

/// <summary>One tensor as a safetensors header describes it (its data not read).</summary>
public sealed record SafetensorsEntry(string name, ScalarType dtype, long[] shape);

/// <summary>
/// A safetensors file's header, checked (every entry's fields and the layout of the data buffer)
/// but with no tensor read: the tensors in header order and the <c>__metadata__</c> entries.
/// </summary>
public sealed record SafetensorsHeader(IReadOnlyList<SafetensorsEntry> tensors, IReadOnlyDictionary<string, string> metadata);

/// <summary>
/// Reads and writes the safetensors format, the weights format shared with Python
/// (<c>safetensors.torch.save_file</c> / <c>load_file</c>).
/// </summary>
/// <remarks>
/// <para>Layout: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// (<c>{"__metadata__": {...}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}</c>),
/// then the data buffer: each tensor's values little-endian, row-major, contiguous, at offsets
/// relative to the start of the buffer.</para>
/// <para>The writer orders tensors as the reference implementation does — by descending dtype
/// alignment (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), then by name in UTF-8 byte
/// order — so every tensor's data is aligned to its element size and the file does not depend on
/// the order of the dictionary given. Metadata entries are written sorted by key, before the
/// tensors, and left out when there are none. The header is padded with spaces to a multiple of
/// 8 bytes. For names and metadata made of printable ASCII the bytes are identical to those the
/// reference implementation writes.</para>
/// <para>The writer writes to a temporary file in the target folder and renames it over the target
/// only when everything is written and flushed, so a failed save never replaces a good file.
/// Before it writes, it deletes the temporaries of the same target that a killed writer left
/// (<c>.{name}.{32 hex digits}.tmp</c>, and only those no writer holds open). It streams each
/// tensor through one pooled buffer of at most <see cref="ChunkBytes"/> bytes.</para>
/// <para>The reader checks the whole header before it allocates any tensor: the header length,
/// UTF-8, JSON, every entry's fields, dtype, shape and offsets, and that the tensors cover the data
/// buffer exactly (no overlap, no hole, nothing missing, nothing trailing). Every problem is an
/// <see cref="InvalidDataException"/> that names the file. A caller can look at the checked header
/// before any tensor is read (<see cref="Load(string, Device?, Action{SafetensorsHeader})"/>), or
/// read only the metadata (<see cref="ReadMetadata"/>), which parses no tensor entry at all.</para>
/// </remarks>
public static class Safetensors
{
    /// <summary>The largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>The most bytes of tensor data held in memory at once while reading or writing.</summary>
    public const int ChunkBytes = 16 << 20;

    private const string MetadataKey = "__metadata__";

    private static ReadOnlySpan<byte> MetadataKeyUtf8 => "__metadata__"u8;

    /// <summary>Supported dtypes in the reference write order (descending alignment).</summary>
    private static readonly (ScalarType type, string code)[] Dtypes =
    [
        (ScalarType.Int64, "I64"),
        (ScalarType.Float64, "F64"),
        (ScalarType.Float32, "F32"),
        (ScalarType.Int32, "I32"),
        (ScalarType.BFloat16, "BF16"),
        (ScalarType.Float16, "F16"),
        (ScalarType.Int16, "I16"),
        (ScalarType.Int8, "I8"),
        (ScalarType.Byte, "U8"),
        (ScalarType.Bool, "BOOL"),
    ];

    private static readonly string SupportedCodes = string.Join(", ", Dtypes.Select(d => d.code));

    /// <summary>One tensor as the header describes it; <c>Index</c> is its position in the header.</summary>
    private sealed record TensorInfo(int Index, string Name, ScalarType Dtype, long[] Shape, long Begin, long End)
    {
        public long ByteLength => End - Begin;
    }

    /// <summary>Internal knobs, so tests can exercise the chunked path and inject write failures.</summary>
    internal sealed record Options(int BufferBytes = ChunkBytes, Func<Stream, Stream>? WrapStream = null)
    {
        public static readonly Options Default = new();
    }

    /// <summary>The safetensors name of a dtype (<c>F32</c>, <c>BF16</c>, ...).</summary>
    public static string DtypeCode(ScalarType type)
    {
        foreach (var (t, code) in Dtypes)
        {
            if (t == type) return code;
        }
        throw new ArgumentException($"{ScalarTypeInfo.Name(type)} has no safetensors dtype (supported: {SupportedCodes})", nameof(type));
    }

    private static int WriteRank(ScalarType type) => Array.FindIndex(Dtypes, d => d.type == type);

    private static bool TryParseDtype(string code, out ScalarType type)
    {
        foreach (var (t, c) in Dtypes)
        {
            if (c == code)
            {
                type = t;
                return true;
            }
        }
        type = default;
        return false;
    }

    // ---- writing -------------------------------------------------------------------------------

    /// <summary>
    /// Writes <paramref name="tensors"/> (from any device; values are copied to the host) and the
    /// optional string <paramref name="metadata"/> to <paramref name="path"/>, replacing it
    /// atomically. See the class remarks for the order of the tensors in the file.
    /// </summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(tensors, path, metadata, Options.Default);

    internal static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata, Options options)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureLittleEndian();
        var plan = Plan(tensors);
        var header = EncodeHeader(plan, metadata);
        WriteAtomically(path, options.WrapStream, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            var largest = plan.Count == 0 ? 0 : plan.Max(p => p.info.ByteLength);
            var buffer = RentBuffer(largest, options);
            try
            {
                foreach (var (info, tensor) in plan) CopyChunks(tensor, info.Dtype, info.ByteLength, buffer, stream.Write);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        });
    }

    /// <summary>The tensors in file order with their offsets; checks names and dtypes.</summary>
    private static List<(TensorInfo info, Tensor tensor)> Plan(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var entries = new List<(string name, Tensor tensor, ScalarType dtype, long[] shape)>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (tensor is null) throw new ArgumentException($"tensor '{name}' is null", nameof(tensors));
            if (name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' holds the metadata and cannot name a tensor", nameof(tensors));
            var dtype = tensor.dtype;
            if (WriteRank(dtype) < 0)
            {
                throw new ArgumentException($"tensor '{name}' has dtype {ScalarTypeInfo.Name(dtype)}, which safetensors does not store (supported: {SupportedCodes})", nameof(tensors));
            }
            entries.Add((name, tensor, dtype, tensor.shape));
        }
        entries.Sort((a, b) =>
        {
            var byDtype = WriteRank(a.dtype).CompareTo(WriteRank(b.dtype));
            return byDtype != 0 ? byDtype : CompareUtf8(a.name, b.name);
        });

        var plan = new List<(TensorInfo info, Tensor tensor)>(entries.Count);
        long offset = 0;
        foreach (var (name, tensor, dtype, shape) in entries)
        {
            var end = checked(offset + ByteLength(shape, dtype));
            plan.Add((new TensorInfo(plan.Count, name, dtype, shape, offset, end), tensor));
            offset = end;
        }
        return plan;
    }

    private static long ByteLength(long[] shape, ScalarType dtype)
    {
        long count = ScalarTypeInfo.ElementSize(dtype);
        foreach (var size in shape) count = checked(count * size);
        return count;
    }

    /// <summary>Orders strings by their UTF-8 bytes (that is, by code point), as Rust's <c>str</c> does.</summary>
    private static int CompareUtf8(string a, string b)
    {
        var x = a.EnumerateRunes();
        var y = b.EnumerateRunes();
        while (true)
        {
            var hasX = x.MoveNext();
            var hasY = y.MoveNext();
            if (!hasX || !hasY) return hasX.CompareTo(hasY);
            var c = x.Current.Value.CompareTo(y.Current.Value);
            if (c != 0) return c;
        }
    }

    /// <summary>The compact JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    private static byte[] EncodeHeader(List<(TensorInfo info, Tensor tensor)> plan, IReadOnlyDictionary<string, string>? metadata)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(p => p.Key, Comparer<string>.Create(CompareUtf8)))
                {
                    if (value is null) throw new ArgumentException($"metadata '{key}' is null", nameof(metadata));
                    json.WritePropertyName(key);
                    json.WriteRawValue(StringLiteral(key, value), skipInputValidation: true);
                }
                json.WriteEndObject();
            }
            foreach (var (info, _) in plan)
            {
                json.WriteStartObject(info.Name);
                json.WriteString("dtype", DtypeCode(info.Dtype));
                json.WriteStartArray("shape");
                foreach (var size in info.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(info.Begin);
                json.WriteNumberValue(info.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var padded = (output.WrittenCount + 7) & ~7;
        if (padded > MaxHeaderLength)
        {
            throw new ArgumentException($"the safetensors header would take {padded} bytes, more than the {MaxHeaderLength} a reader accepts");
        }
        var header = new byte[padded];
        output.WrittenSpan.CopyTo(header);
        header.AsSpan(output.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// <paramref name="value"/> as a JSON string literal in UTF-8, quotes included: <c>"</c> and
    /// <c>\</c> escaped, control characters as <c>\n</c>, <c>\t</c>, ... or <c>\u00XX</c>, everything
    /// else as is (what the relaxed encoder writes). Built in arrays of its own rather than by
    /// <see cref="Utf8JsonWriter.WriteString(string, string)"/>, which transcodes and escapes a long
    /// value in buffers rented from the shared array pool: the pool keeps them, and a metadata value
    /// that grows from save to save (a checkpoint's history) then left a new, larger buffer behind
    /// in each size class.
    /// </summary>
    private static byte[] StringLiteral(string key, string value)
    {
        byte[] utf8;
        try
        {
            utf8 = StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"metadata '{key}' is not valid UTF-16 (it holds a lone surrogate)", "metadata");
        }
        var length = 2;
        foreach (var b in utf8) length += b is (byte)'"' or (byte)'\\' or (byte)'\b' or (byte)'\f' or (byte)'\n' or (byte)'\r' or (byte)'\t' ? 2 : b < 0x20 ? 6 : 1;
        var literal = new byte[length];
        var at = 0;
        literal[at++] = (byte)'"';
        foreach (var b in utf8)
        {
            var escape = b switch
            {
                (byte)'"' => (byte)'"',
                (byte)'\\' => (byte)'\\',
                (byte)'\b' => (byte)'b',
                (byte)'\f' => (byte)'f',
                (byte)'\n' => (byte)'n',
                (byte)'\r' => (byte)'r',
                (byte)'\t' => (byte)'t',
                _ => (byte)0,
            };
            if (escape != 0)
            {
                literal[at++] = (byte)'\\';
                literal[at++] = escape;
            }
            else if (b < 0x20)
            {
                "\\u00"u8.CopyTo(literal.AsSpan(at));
                literal[at + 4] = (byte)"0123456789ABCDEF"[b >> 4];
                literal[at + 5] = (byte)"0123456789ABCDEF"[b & 0xF];
                at += 6;
            }
            else
            {
                literal[at++] = b;
            }
        }
        literal[at] = (byte)'"';
        return literal;
    }

    /// <summary>Receives a run of a tensor's bytes; the span is only valid during the call.</summary>
    internal delegate void BytesAction(ReadOnlySpan<byte> bytes);

    /// <summary>
    /// Copies a tensor's <paramref name="byteLength"/> bytes (row-major, host order) to the host
    /// through <paramref name="buffer"/> and hands them to <paramref name="consume"/>, a run of
    /// whole elements at a time.
    /// </summary>
    internal static void CopyChunks(Tensor tensor, ScalarType dtype, long byteLength, byte[] buffer, BytesAction consume)
    {
        if (byteLength <= buffer.Length)
        {
            var bytes = buffer.AsSpan(0, (int)byteLength);
            tensor.CopyBytesTo(bytes);
            consume(bytes);
            return;
        }
        using var flat = tensor.reshape(-1);
        foreach (var (start, count, bytes) in Chunks(dtype, byteLength, buffer))
        {
            using var part = flat.narrow(0, start, count);
            part.CopyBytesTo(bytes);
            consume(bytes);
        }
    }

    /// <summary>Writes through a temporary file in the same folder, renamed over the target at the end.</summary>
    private static void WriteAtomically(string path, Func<Stream, Stream>? wrapStream, Action<Stream> write)
    {
        var fullPath = Path.GetFullPath(path);
        var fileName = Path.GetFileName(fullPath);
        var directory = Path.GetDirectoryName(fullPath);
        if (fileName.Length == 0 || directory is null) throw new ArgumentException($"'{path}' does not name a file", nameof(path));
        DeleteStaleTemporaries(directory, fileName);
        var temporary = Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                var stream = wrapStream?.Invoke(file) ?? file;
                write(stream);
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The original failure is the one worth reporting.
            }
            throw;
        }
    }

    /// <summary>
    /// Deletes what killed writers of <paramref name="fileName"/> left: files named as
    /// <see cref="WriteAtomically"/> names its temporaries, <c>.{fileName}.{32 hex digits}.tmp</c>,
    /// that no writer holds. A writer keeps its temporary open without sharing until it renames it
    /// (on Unix .NET takes an exclusive lock on it), so one that cannot be opened so is in use and is left.
    /// </summary>
    private static void DeleteStaleTemporaries(string directory, string fileName)
    {
        var prefix = "." + fileName + ".";
        const string suffix = ".tmp";
        var options = new EnumerationOptions { AttributesToSkip = 0, MatchCasing = MatchCasing.CaseSensitive, IgnoreInaccessible = true };
        foreach (var candidate in Directory.EnumerateFiles(directory, "*" + suffix, options))
        {
            var name = Path.GetFileName(candidate);
            if (name.Length != prefix.Length + 32 + suffix.Length || !name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (name.AsSpan(prefix.Length, 32).ContainsAnyExcept("0123456789abcdef")) continue;
            try
            {
                using (new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                }
                File.Delete(candidate);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use, or not ours to delete: the save goes on.
            }
        }
    }

    // ---- reading -------------------------------------------------------------------------------

    /// <summary>
    /// Reads a safetensors file. The tensors are created on <paramref name="device"/> (the CPU by
    /// default) in the current dispose scope, if any; disposing the result disposes them too.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file (the message says why).</exception>
    public static SafetensorsContent Load(string path, Device? device = null) => Load(path, device, null, Options.Default);

    /// <summary>
    /// Reads a safetensors file as <see cref="Load(string, Device?)"/> does, first handing the
    /// checked header to <paramref name="inspect"/>: whatever it throws ends the load before any
    /// tensor is created or any tensor data is read.
    /// </summary>
    public static SafetensorsContent Load(string path, Device? device, Action<SafetensorsHeader> inspect)
    {
        ArgumentNullException.ThrowIfNull(inspect);
        return Load(path, device, inspect, Options.Default);
    }

    /// <summary>
    /// Reads only the <c>__metadata__</c> entries of a safetensors file (empty when it has none):
    /// the header is read and must be JSON with valid metadata, but the tensors' entries are
    /// skipped unparsed and their data is not read, so this costs little whatever the file holds.
    /// </summary>
    /// <exception cref="InvalidDataException">The header or its metadata is not valid (the message says why).</exception>
    public static OrderedDictionary<string, string> ReadMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var (header, _) = ReadHeader(file, path);
        return ParseHeader(header, path, tensorEntries: false).metadata;
    }

    internal static SafetensorsContent Load(string path, Device? device, Action<SafetensorsHeader>? inspect, Options options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureLittleEndian();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var (header, bufferLength) = ReadHeader(file, path);
        var (infos, metadata) = ParseHeader(header, path, tensorEntries: true);
        var byOffset = CheckLayout(infos, bufferLength, path);
        inspect?.Invoke(new SafetensorsHeader(infos.Select(i => new SafetensorsEntry(i.Name, i.Dtype, (long[])i.Shape.Clone())).ToList(), metadata));

        var loaded = new Tensor?[infos.Count];
        var largest = infos.Count == 0 ? 0 : infos.Max(i => i.ByteLength);
        var buffer = RentBuffer(largest, options);
        try
        {
            // The tensors cover the buffer exactly, so reading them by offset reads the file straight through.
            foreach (var info in byOffset) loaded[info.Index] = ReadTensor(file, info, buffer, device, path);
        }
        catch
        {
            foreach (var tensor in loaded) tensor?.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var tensors = new OrderedDictionary<string, Tensor>(infos.Count, StringComparer.Ordinal);
        foreach (var info in infos) tensors.Add(info.Name, loaded[info.Index]!);
        return new SafetensorsContent(tensors, metadata);
    }

    /// <summary>Reads the length prefix and the header (checked to be UTF-8); returns it and the length of the data buffer after it.</summary>
    private static (byte[] header, long bufferLength) ReadHeader(FileStream file, string path)
    {
        var fileLength = file.Length;
        if (fileLength < 8) throw Invalid(path, $"the file has {fileLength} bytes, fewer than the 8 that hold the header length");

        Span<byte> prefix = stackalloc byte[8];
        ReadExactly(file, prefix, path);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
        {
            throw Invalid(path, $"the header length {headerLength} is over the {MaxHeaderLength}-byte limit");
        }
        if ((long)headerLength > fileLength - 8)
        {
            throw Invalid(path, $"the header length {headerLength} is larger than the {fileLength - 8} bytes that follow it");
        }
        var header = new byte[headerLength];
        ReadExactly(file, header, path);
        if (!Utf8.IsValid(header)) throw Invalid(path, "the header is not valid UTF-8");
        return (header, fileLength - 8 - (long)headerLength);
    }

    private static Tensor ReadTensor(Stream stream, TensorInfo info, byte[] buffer, Device? device, string path)
    {
        if (info.ByteLength <= buffer.Length)
        {
            var bytes = buffer.AsSpan(0, (int)info.ByteLength);
            ReadExactly(stream, bytes, path);
            return torch.FromBytes(bytes, info.Shape, info.Dtype, device);
        }
        var result = torch.empty(info.Shape, info.Dtype, device);
        try
        {
            using var flat = result.view(-1);
            foreach (var (start, count, bytes) in Chunks(info.Dtype, info.ByteLength, buffer))
            {
                ReadExactly(stream, bytes, path);
                using var part = torch.FromBytes(bytes, [count], info.Dtype);
                using var target = flat.narrow(0, start, count);
                target.copy_(part);
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>A pooled buffer for the largest tensor, or for one chunk of it.</summary>
    private static byte[] RentBuffer(long largest, Options options) => ArrayPool<byte>.Shared.Rent((int)Math.Clamp(largest, 1, options.BufferBytes));

    /// <summary>Splits a tensor's elements into runs that fit <paramref name="buffer"/>, with the buffer slice for each.</summary>
    private static IEnumerable<(long start, int count, ArraySegment<byte> bytes)> Chunks(ScalarType dtype, long byteLength, byte[] buffer)
    {
        var elementSize = ScalarTypeInfo.ElementSize(dtype);
        var perChunk = buffer.Length / elementSize;
        var total = byteLength / elementSize;
        for (long start = 0; start < total; start += perChunk)
        {
            var count = (int)Math.Min(perChunk, total - start);
            yield return (start, count, new ArraySegment<byte>(buffer, 0, count * elementSize));
        }
    }

    private static void ReadExactly(Stream stream, Span<byte> destination, string path)
    {
        try
        {
            stream.ReadExactly(destination);
        }
        catch (EndOfStreamException)
        {
            throw Invalid(path, "the file ended before the length it had when opened (was it changed while being read?)");
        }
    }

    // ---- header parsing and validation ---------------------------------------------------------

    /// <summary>The header's tensor entries (none parsed, only skipped, without <paramref name="tensorEntries"/>) and metadata.</summary>
    private static (List<TensorInfo> tensors, OrderedDictionary<string, string> metadata) ParseHeader(byte[] header, string path, bool tensorEntries)
    {
        var tensors = new List<TensorInfo>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        OrderedDictionary<string, string>? metadata = null;
        try
        {
            var reader = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Invalid(path, "the header is not a JSON object");
            while (NextProperty(ref reader, path))
            {
                var isMetadata = reader.ValueTextEquals(MetadataKeyUtf8);
                // Without the entries no name is made: a header of a million tensors costs no allocation beyond its bytes.
                var name = isMetadata || !tensorEntries ? null : reader.GetString()!;
                Advance(ref reader, path);
                if (isMetadata)
                {
                    if (metadata is not null) throw Invalid(path, $"the header has '{MetadataKey}' twice");
                    metadata = ParseMetadata(ref reader, path);
                }
                else if (name is null)
                {
                    reader.Skip();
                }
                else
                {
                    if (!names.Add(name)) throw Invalid(path, $"the header describes tensor '{name}' twice");
                    tensors.Add(ParseTensorInfo(ref reader, tensors.Count, name, path));
                }
            }
            // Only whitespace (the padding) may follow the object; the reader throws on anything else.
            if (reader.Read()) throw Invalid(path, "the header has more JSON after its object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Invalid(path, $"the header is not valid JSON: {e.Message}");
        }
        return (tensors, metadata ?? new OrderedDictionary<string, string>());
    }

    /// <summary>Moves to the next property name of the current object: false at its end.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader, string path)
    {
        Advance(ref reader, path);
        return reader.TokenType == JsonTokenType.PropertyName;
    }

    private static void Advance(ref Utf8JsonReader reader, string path)
    {
        if (!reader.Read()) throw Invalid(path, "the header JSON ends early");
    }

    private static OrderedDictionary<string, string> ParseMetadata(ref Utf8JsonReader reader, string path)
    {
        var metadata = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        if (reader.TokenType == JsonTokenType.Null) return metadata;
        if (reader.TokenType != JsonTokenType.StartObject) throw Invalid(path, $"'{MetadataKey}' is not a JSON object");
        while (NextProperty(ref reader, path))
        {
            var key = reader.GetString()!;
            Advance(ref reader, path);
            if (reader.TokenType != JsonTokenType.String) throw Invalid(path, $"metadata '{key}' is not a string");
            if (!metadata.TryAdd(key, reader.GetString()!)) throw Invalid(path, $"the metadata has key '{key}' twice");
        }
        return metadata;
    }

    private static TensorInfo ParseTensorInfo(ref Utf8JsonReader reader, int index, string name, string path)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw Invalid(path, $"the entry of tensor '{name}' is not a JSON object");
        string? code = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (NextProperty(ref reader, path))
        {
            var field = reader.GetString()!;
            Advance(ref reader, path);
            if ((field == "dtype" && code is not null) || (field == "shape" && shape is not null) || (field == "data_offsets" && offsets is not null))
            {
                throw Invalid(path, $"tensor '{name}' has '{field}' twice");
            }
            switch (field)
            {
                case "dtype":
                    if (reader.TokenType != JsonTokenType.String) throw Invalid(path, $"tensor '{name}': 'dtype' is not a string");
                    code = reader.GetString()!;
                    break;
                case "shape":
                    shape = ParseIntegers(ref reader, name, field, path);
                    break;
                case "data_offsets":
                    offsets = ParseIntegers(ref reader, name, field, path);
                    break;
                default:
                    reader.Skip(); // unknown fields are ignored, as the reference implementation does
                    break;
            }
        }

        if (code is null) throw Invalid(path, $"tensor '{name}' has no 'dtype'");
        if (shape is null) throw Invalid(path, $"tensor '{name}' has no 'shape'");
        if (offsets is null) throw Invalid(path, $"tensor '{name}' has no 'data_offsets'");
        if (!TryParseDtype(code, out var dtype)) throw Invalid(path, $"tensor '{name}' has unknown dtype '{code}' (supported: {SupportedCodes})");
        if (shape.Any(s => s < 0)) throw Invalid(path, $"tensor '{name}' has a negative size in shape {Tensor.FormatShape(shape)}");
        if (offsets.Length != 2) throw Invalid(path, $"tensor '{name}': 'data_offsets' must be [begin, end] but has {offsets.Length} numbers");
        var (begin, end) = (offsets[0], offsets[1]);
        if (begin < 0 || end < begin) throw Invalid(path, $"tensor '{name}': data_offsets [{begin}, {end}] are not a range");
        long expected;
        try
        {
            expected = ByteLength(shape, dtype);
        }
        catch (OverflowException)
        {
            throw Invalid(path, $"tensor '{name}': shape {Tensor.FormatShape(shape)} is too large");
        }
        if (end - begin != expected)
        {
            throw Invalid(path, $"tensor '{name}': data_offsets [{begin}, {end}] hold {end - begin} bytes but a {code} tensor of shape {Tensor.FormatShape(shape)} takes {expected}");
        }
        return new TensorInfo(index, name, dtype, shape, begin, end);
    }

    private static long[] ParseIntegers(ref Utf8JsonReader reader, string name, string field, string path)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw Invalid(path, $"tensor '{name}': '{field}' is not an array");
        var values = new List<long>();
        while (true)
        {
            Advance(ref reader, path);
            if (reader.TokenType == JsonTokenType.EndArray) return values.ToArray();
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
            {
                throw Invalid(path, $"tensor '{name}': '{field}' holds something other than integers");
            }
            values.Add(value);
        }
    }

    /// <summary>
    /// Checks that the tensors cover the data buffer exactly, as the reference implementation
    /// requires; returns them in offset order.
    /// </summary>
    private static List<TensorInfo> CheckLayout(List<TensorInfo> tensors, long bufferLength, string path)
    {
        var byOffset = tensors.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long covered = 0;
        TensorInfo? previous = null;
        foreach (var info in byOffset)
        {
            if (info.Begin < covered)
            {
                throw Invalid(path, $"the data of tensor '{info.Name}' [{info.Begin}, {info.End}] overlaps that of '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            }
            if (info.Begin > covered)
            {
                throw Invalid(path, $"the data buffer has a hole: bytes [{covered}, {info.Begin}) before tensor '{info.Name}' belong to no tensor");
            }
            covered = info.End;
            previous = info;
        }
        if (covered > bufferLength)
        {
            throw Invalid(path, $"the file is truncated: tensor '{previous!.Name}' ends at byte {covered} of the data buffer, which has only {bufferLength} bytes");
        }
        if (covered < bufferLength)
        {
            throw Invalid(path, $"the data buffer has {bufferLength} bytes but the tensors cover only {covered}: the rest is trailing data");
        }
        return byOffset;
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"'{path}' is not a valid safetensors file: {problem}");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian and this host is not");
    }
}

public static partial class torch
{
    /// <summary>Writes tensors and optional metadata to a safetensors file (see <see cref="Safetensors"/>).</summary>
    public static void save_safetensors(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Safetensors.Save(tensors, path, metadata);

    /// <summary>Reads a safetensors file (see <see cref="Safetensors.Load(string, Device?)"/>).</summary>
    public static SafetensorsContent load_safetensors(string path, Device? device = null) => Safetensors.Load(path, device);
}

/// <summary>Saving and loading a module's <c>state_dict()</c> as safetensors.</summary>
public static class SafetensorsModuleExtensions
{
    /// <summary>Writes the module's parameters and persistent buffers to a safetensors file.</summary>
    public static void save_safetensors(this torch.nn.Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Safetensors.Save(module.state_dict(), path, metadata);
    }

    /// <summary>
    /// Reads a safetensors file into the module's parameters and buffers in place, as
    /// <see cref="torch.nn.Module.load_state_dict"/> does (same <paramref name="strict"/> rules;
    /// values are copied onto each parameter's device and dtype). The tensors read are disposed.
    /// </summary>
    public static (IList<string> missing_keys, IList<string> unexpected_keys) load_safetensors(this torch.nn.Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var content = Safetensors.Load(path);
        return module.load_state_dict(content.tensors, strict);
    }
}
