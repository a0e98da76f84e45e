using System.Runtime.InteropServices;
using System.Text;
using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

public sealed class TensorDigestTests
{
    [Fact]
    public void The_checksum_is_CRC_32C()
    {
        // The check value of CRC-32C (Castagnoli), as in RFC 3720 and every CRC catalogue.
        Assert.Equal(0xE3069283u, TensorDigest.Crc32COf(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, TensorDigest.Crc32COf([]));
        // RFC 3720, B.4: 32 bytes of zeros.
        Assert.Equal(0x8A9136AAu, TensorDigest.Crc32COf(new byte[32]));
    }

    [Fact]
    public void A_tensor_digest_is_the_checksum_of_its_bytes_as_stored()
    {
        using var scope = NewDisposeScope();
        var values = Enumerable.Range(0, 1001).Select(i => (float)Math.Sin(i)).ToArray();
        var x = tensor(values, [7, 11, 13]);
        var digest = TensorDigest.Of(x);
        Assert.Equal(TensorDigest.Crc32COf(MemoryMarshal.AsBytes(values.AsSpan())), digest.Crc32C);
        Assert.True(digest.IsFinite);
        // A transposed view is read row-major, as a safetensors file stores it.
        var transposed = x.transpose(0, 2);
        Assert.Equal(TensorDigest.Crc32COf(MemoryMarshal.AsBytes(transposed.contiguous().data<float>().AsSpan())), TensorDigest.Of(transposed).Crc32C);
        Assert.NotEqual(digest.Crc32C, TensorDigest.Of(transposed).Crc32C);
    }

    public static TheoryData<ScalarType> FloatingTypes => [ScalarType.Float64, ScalarType.Float32, ScalarType.Float16, ScalarType.BFloat16];

    [Theory]
    [MemberData(nameof(FloatingTypes))]
    public void NaN_and_infinite_values_are_counted_in_every_floating_dtype(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var values = new double[100];
        for (var i = 0; i < values.Length; i++) values[i] = i * 0.25 - 3;
        values[3] = double.NaN;
        values[50] = double.PositiveInfinity;
        values[97] = double.NegativeInfinity;
        values[99] = double.NaN;
        var digest = TensorDigest.Of(tensor(values).to(dtype));
        Assert.Equal(2, digest.NaNCount);
        Assert.Equal(2, digest.InfinityCount);
        Assert.False(digest.IsFinite);
        Assert.Equal("2 NaN and 2 infinite values", digest.DescribeNonFinite());
        // The largest finite values are finite.
        Assert.True(TensorDigest.Of(tensor(new[] { double.MaxValue, double.MinValue, 0.0 }).to(ScalarType.Float64)).IsFinite);
    }

    [Fact]
    public void Integer_values_are_never_non_finite()
    {
        using var scope = NewDisposeScope();
        // All exponent bits set, read as integers.
        Assert.True(TensorDigest.Of(tensor(new[] { -1, 0x7F800000, 0x7FC00000 })).IsFinite);
    }

    [Fact]
    public void A_tensor_larger_than_a_chunk_is_read_in_chunks_with_the_same_result()
    {
        using var scope = NewDisposeScope();
        var count = Safetensors.ChunkBytes / sizeof(float) * 2 + 3;
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = i % 1000;
        values[count / 2] = float.NaN;
        values[^1] = float.PositiveInfinity;
        var digest = TensorDigest.Of(tensor(values));
        Assert.Equal(TensorDigest.Crc32COf(MemoryMarshal.AsBytes(values.AsSpan())), digest.Crc32C);
        Assert.Equal(1, digest.NaNCount);
        Assert.Equal(1, digest.InfinityCount);
        Assert.Equal("1 NaN and 1 infinite values", digest.DescribeNonFinite());
    }
}
