namespace DigitLocator;

/// <summary>
/// One MNIST digit placed on a larger blank canvas at a seeded random position, with its targets:
/// the mask (1 where the digit's ink is at least half intensity, else 0), its class and its box.
/// Optional clutter: small crops of other digits pasted elsewhere, which are background.
/// </summary>
public sealed record Canvas(float[] Pixels, int[] Mask, int Digit, float[] Box, int Left, int Top)
{
    /// <summary>Ink at or above this value (of 255) is digit in the mask.</summary>
    public const int MaskThreshold = 128;

    /// <summary>
    /// Places image <paramref name="index"/> of <paramref name="images"/> on a
    /// <paramref name="size"/> × <paramref name="size"/> canvas. The box is the tight bounding box
    /// of the digit's non-zero pixels, [left, top, right, bottom] with right and bottom one past the
    /// last pixel, divided by the canvas size (so each in [0, 1]).
    /// </summary>
    public static Canvas Place(Idx.Images images, byte[] labels, int index, int size, Random random, int clutter = 0)
    {
        var (rows, columns) = (images.Rows, images.Columns);
        if (size < rows || size < columns)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"the canvas must be at least as large as a digit ({rows} × {columns})");
        }

        var pixels = new float[size * size];
        var mask = new int[size * size];

        // Clutter first: 8 × 8 crops of other digits, so the digit drawn after covers them.
        for (var c = 0; c < clutter; c++)
        {
            var other = images.Image(random.Next(images.Count));
            var (sy, sx) = (random.Next(6, rows - 14), random.Next(6, columns - 14));
            var (ty, tx) = (random.Next(size - 8 + 1), random.Next(size - 8 + 1));
            for (var y = 0; y < 8; y++)
            {
                for (var x = 0; x < 8; x++)
                {
                    pixels[((ty + y) * size) + tx + x] = Math.Max(pixels[((ty + y) * size) + tx + x], other[((sy + y) * columns) + sx + x] / 255f);
                }
            }
        }

        var (top, left) = (random.Next(size - rows + 1), random.Next(size - columns + 1));
        var digit = images.Image(index);
        var (minX, minY, maxX, maxY) = (int.MaxValue, int.MaxValue, -1, -1);
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                var value = digit[(y * columns) + x];
                if (value == 0) continue;
                var at = ((top + y) * size) + left + x;
                pixels[at] = Math.Max(pixels[at], value / 255f);
                if (value >= MaskThreshold) mask[at] = 1;
                (minX, minY, maxX, maxY) = (Math.Min(minX, left + x), Math.Min(minY, top + y), Math.Max(maxX, left + x), Math.Max(maxY, top + y));
            }
        }

        if (maxX < 0)
        {
            throw new InvalidDataException($"image {index} has no ink: no box to find");
        }

        float Scaled(int v) => v / (float)size;
        return new Canvas(pixels, mask, labels[index], [Scaled(minX), Scaled(minY), Scaled(maxX + 1), Scaled(maxY + 1)], left, top);
    }

    /// <summary>The intersection over union of two [left, top, right, bottom] boxes; 0 when either is empty.</summary>
    public static double BoxIou(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        double Area(IReadOnlyList<float> r) => Math.Max(0, r[2] - r[0]) * Math.Max(0, r[3] - r[1]);
        var w = Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]);
        var h = Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]);
        var intersection = Math.Max(0, w) * Math.Max(0, h);
        var union = Area(a) + Area(b) - intersection;
        return union > 0 ? intersection / union : 0;
    }
}
