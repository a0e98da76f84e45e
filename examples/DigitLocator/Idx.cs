namespace DigitLocator;

/// <summary>
/// Reads the IDX files MNIST comes in: a big-endian header (two zero bytes, the element type
/// 0x08 for unsigned bytes, the number of dimensions, then each size as a 32-bit integer) and the
/// values, row-major. Anything else is an <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class Idx
{
    /// <summary>The images of an idx3-ubyte file: count × rows × columns bytes, 0 (paper) to 255 (ink).</summary>
    public sealed record Images(int Count, int Rows, int Columns, byte[] Pixels)
    {
        /// <summary>The pixels of image <paramref name="index"/>, row-major.</summary>
        public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(index * Rows * Columns, Rows * Columns);
    }

    public static Images ReadImages(string path)
    {
        var (sizes, data) = Read(path, 3);
        return new Images(sizes[0], sizes[1], sizes[2], data);
    }

    /// <summary>The labels of an idx1-ubyte file, one byte each (0 to 9 for MNIST).</summary>
    public static byte[] ReadLabels(string path) => Read(path, 1).Data;

    /// <summary>The sizes and the values of an IDX file of unsigned bytes with <paramref name="rank"/> dimensions.</summary>
    public static (int[] Sizes, byte[] Data) Read(string path, int rank)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such IDX file", path);
        }

        return Parse(File.ReadAllBytes(path), path, rank);
    }

    /// <summary>Parses the bytes of an IDX file; <paramref name="name"/> is the file named in errors.</summary>
    public static (int[] Sizes, byte[] Data) Parse(byte[] bytes, string name, int rank)
    {
        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"{name}: not an IDX file: {bytes.Length} byte(s), shorter than the 4-byte magic number");
        }

        if (bytes[0] != 0 || bytes[1] != 0)
        {
            throw new InvalidDataException($"{name}: not an IDX file: the magic number starts with 0x{bytes[0]:X2}{bytes[1]:X2}, not 0x0000 (a compressed .gz file must be unpacked first)");
        }

        if (bytes[2] != 0x08)
        {
            throw new InvalidDataException($"{name}: element type 0x{bytes[2]:X2} is not 0x08 (unsigned byte)");
        }

        if (bytes[3] != rank)
        {
            throw new InvalidDataException($"{name}: {bytes[3]} dimension(s), expected {rank}");
        }

        var header = 4 + (4 * rank);
        if (bytes.Length < header)
        {
            throw new InvalidDataException($"{name}: the header needs {header} bytes for {rank} dimension(s); the file has {bytes.Length}");
        }

        var sizes = new int[rank];
        long count = 1;
        for (var i = 0; i < rank; i++)
        {
            var at = 4 + (4 * i);
            var size = (uint)((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]);
            if (size == 0 || size > int.MaxValue)
            {
                throw new InvalidDataException($"{name}: dimension {i} has size {size}");
            }

            sizes[i] = (int)size;
            count *= size;
        }

        if (bytes.Length - header != count)
        {
            throw new InvalidDataException($"{name}: the header gives sizes {string.Join(" × ", sizes)} = {count} values, but {bytes.Length - header} bytes follow it");
        }

        return (sizes, bytes[header..]);
    }
}
