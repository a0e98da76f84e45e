using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Mtl.Torch;

/// <summary>
/// What a tensor's bytes hold, read in one pass: the CRC-32C of the bytes exactly as safetensors
/// stores them (row-major, little-endian), and for a floating-point dtype how many values are NaN
/// and how many are infinite. Checkpoints keep the checksum of every tensor and refuse non-finite
/// weights and optimizer state with it.
/// </summary>
/// <remarks>
/// CRC-32C (Castagnoli; the checksum of iSCSI, ext4 and SSE4.2's <c>crc32</c> instruction) detects
/// every error burst of up to 32 bits, so any single damaged byte, and misses random damage with
/// probability 2⁻³². <see cref="BitOperations.Crc32C(uint, ulong)"/> runs it in hardware where the
/// processor has it. The bytes are copied to the host through one pooled buffer of at most
/// <see cref="Safetensors.ChunkBytes"/> bytes.
/// </remarks>
public readonly record struct TensorDigest(uint Crc32C, long NaNCount, long InfinityCount)
{
    /// <summary>No value is NaN or infinite (always true for integer and bool dtypes).</summary>
    public bool IsFinite => NaNCount == 0 && InfinityCount == 0;

    /// <summary>Reads the tensor's bytes once (from any device).</summary>
    public static TensorDigest Of(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var dtype = tensor.dtype;
        var byteLength = checked(tensor.numel() * ScalarTypeInfo.ElementSize(dtype));
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(byteLength, 1, Safetensors.ChunkBytes));
        try
        {
            var crc = uint.MaxValue;
            long nan = 0, infinity = 0;
            Safetensors.CopyChunks(tensor, dtype, byteLength, buffer, bytes =>
            {
                crc = Crc32CAppend(crc, bytes);
                var (n, i) = CountNonFinite(dtype, bytes);
                nan += n;
                infinity += i;
            });
            return new TensorDigest(~crc, nan, infinity);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The CRC-32C of <paramref name="bytes"/>.</summary>
    public static uint Crc32COf(ReadOnlySpan<byte> bytes) => ~Crc32CAppend(uint.MaxValue, bytes);

    /// <summary>"12 NaN and 3 infinite values", "1 NaN value", ...</summary>
    public string DescribeNonFinite()
    {
        var parts = new List<string>(2);
        if (NaNCount > 0) parts.Add($"{NaNCount} NaN");
        if (InfinityCount > 0) parts.Add($"{InfinityCount} infinite");
        return parts.Count == 0 ? "no NaN or infinite values" : string.Join(" and ", parts) + (NaNCount + InfinityCount == 1 ? " value" : " values");
    }

    /// <summary>Continues a CRC-32C (the running value, before the final inversion) over more bytes.</summary>
    private static uint Crc32CAppend(uint crc, ReadOnlySpan<byte> bytes)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (var word in words) crc = BitOperations.Crc32C(crc, word);
        foreach (var b in bytes[(words.Length * sizeof(ulong))..]) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    /// <summary>NaN and infinite values among whole elements of a floating dtype: those whose exponent bits are all ones.</summary>
    private static (long nan, long infinity) CountNonFinite(ScalarType dtype, ReadOnlySpan<byte> bytes) => dtype switch
    {
        ScalarType.Float64 => Count(MemoryMarshal.Cast<byte, ulong>(bytes), 0x7FF0_0000_0000_0000UL, 0x000F_FFFF_FFFF_FFFFUL),
        ScalarType.Float32 => Count(MemoryMarshal.Cast<byte, uint>(bytes), 0x7F80_0000U, 0x007F_FFFFU),
        ScalarType.Float16 => Count(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7C00, (ushort)0x03FF),
        ScalarType.BFloat16 => Count(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7F80, (ushort)0x007F),
        _ => (0, 0),
    };

    private static (long nan, long infinity) Count<T>(ReadOnlySpan<T> values, T exponent, T mantissa)
        where T : unmanaged, IBinaryInteger<T>
    {
        long nan = 0, infinity = 0;
        var start = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count)
        {
            // Most tensors are all finite: test a vector at a time, count only in a vector that has a hit.
            var mask = new Vector<T>(exponent);
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(values);
            for (var v = 0; v < vectors.Length; v++)
            {
                if (Vector.EqualsAny(vectors[v] & mask, mask)) Tally(values.Slice(v * Vector<T>.Count, Vector<T>.Count), exponent, mantissa, ref nan, ref infinity);
            }
            start = vectors.Length * Vector<T>.Count;
        }
        Tally(values[start..], exponent, mantissa, ref nan, ref infinity);
        return (nan, infinity);
    }

    private static void Tally<T>(ReadOnlySpan<T> values, T exponent, T mantissa, ref long nan, ref long infinity)
        where T : unmanaged, IBinaryInteger<T>
    {
        foreach (var value in values)
        {
            if ((value & exponent) != exponent) continue;
            if ((value & mantissa) != T.Zero) nan++;
            else infinity++;
        }
    }
}
