using DigitLocator;
using Xunit;

namespace Mtl.Examples.Tests;

/// <summary>
/// The data code of examples/DigitLocator: the IDX reader (big-endian header, clear errors naming
/// the file) and the placement of a digit on a canvas (its box is the box of its non-zero pixels).
/// </summary>
public sealed class DigitLocatorDataTests
{
    /// <summary>An IDX file of unsigned bytes: magic 0x0000 08 rank, each size big-endian, then the values.</summary>
    private static byte[] IdxBytes(int[] sizes, byte[] values)
    {
        var header = new List<byte> { 0, 0, 0x08, (byte)sizes.Length };
        foreach (var size in sizes) header.AddRange([(byte)(size >> 24), (byte)(size >> 16), (byte)(size >> 8), (byte)size]);
        return [.. header, .. values];
    }

    [Fact]
    public void The_header_is_read_big_endian_and_the_values_row_major()
    {
        // 2 images of 2 × 3; a size of 258 = 0x0102 in the label file tells big-endian from little.
        var (sizes, data) = Idx.Parse(IdxBytes([2, 2, 3], [.. Enumerable.Range(1, 12).Select(i => (byte)i)]), "x.idx", 3);
        var images = new Idx.Images(sizes[0], sizes[1], sizes[2], data);
        Assert.Equal((2, 2, 3), (images.Count, images.Rows, images.Columns));
        Assert.Equal([7, 8, 9, 10, 11, 12], images.Image(1).ToArray());

        var labels = Idx.Parse(IdxBytes([258], [.. Enumerable.Range(0, 258).Select(i => (byte)(i % 10))]), "y.idx", 1);
        Assert.Equal([258], labels.Sizes);
        Assert.Equal(7, labels.Data[257]); // 257 % 10
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 8 }, "bad.idx: not an IDX file: 3 byte(s), shorter than the 4-byte magic number")]
    [InlineData(new byte[] { 0x1f, 0x8b, 8, 3, 0, 0, 0, 1 }, "bad.idx: not an IDX file: the magic number starts with 0x1F8B, not 0x0000 (a compressed .gz file must be unpacked first)")]
    [InlineData(new byte[] { 0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0 }, "bad.idx: element type 0x0D is not 0x08 (unsigned byte)")]
    [InlineData(new byte[] { 0, 0, 8, 3, 0, 0, 0, 1 }, "bad.idx: 3 dimension(s), expected 1")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0 }, "bad.idx: the header needs 8 bytes for 1 dimension(s); the file has 6")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 0 }, "bad.idx: dimension 0 has size 0")]
    [InlineData(new byte[] { 0, 0, 8, 1, 0, 0, 0, 3, 1, 2 }, "bad.idx: the header gives sizes 3 = 3 values, but 2 bytes follow it")]
    public void A_malformed_file_is_an_error_naming_it(byte[] bytes, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => Idx.Parse(bytes, "bad.idx", 1));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid().ToString("N") + ".idx");
        var error = Assert.Throws<FileNotFoundException>(() => Idx.ReadLabels(path));
        Assert.Equal($"{path}: no such IDX file", error.Message);
    }

    [Fact]
    public void The_MNIST_files_read_with_their_known_sizes_and_first_labels()
    {
        var folder = Path.Combine(PackagedMtl.FindRoot(), "examples", "DigitLocator", "data", "mnist");
        Assert.True(File.Exists(Path.Combine(folder, "t10k-labels-idx1-ubyte")), $"MNIST is not in {folder}: run ./build.sh data");

        var images = Idx.ReadImages(Path.Combine(folder, "t10k-images-idx3-ubyte"));
        var labels = Idx.ReadLabels(Path.Combine(folder, "t10k-labels-idx1-ubyte"));
        Assert.Equal((10000, 28, 28, 10000), (images.Count, images.Rows, images.Columns, labels.Length));
        // The first MNIST test digits are 7, 2, 1, 0, 4; a digit's border is blank paper.
        Assert.Equal([7, 2, 1, 0, 4], labels[..5]);
        Assert.All(Enumerable.Range(0, 28).Select(i => images.Image(0)[i]), v => Assert.Equal(0, v));
        Assert.Equal(5, Idx.ReadLabels(Path.Combine(folder, "train-labels-idx1-ubyte"))[0]);
    }

    /// <summary>One 28 × 28 "digit": ink 255 in rows 5 to 9, columns 10 to 13, and a faint 40 at row 4, column 9.</summary>
    private static (Idx.Images Images, byte[] Labels) Digit()
    {
        var pixels = new byte[28 * 28];
        for (var y = 5; y <= 9; y++)
        {
            for (var x = 10; x <= 13; x++) pixels[(y * 28) + x] = 255;
        }

        pixels[(4 * 28) + 9] = 40;
        return (new Idx.Images(1, 28, 28, pixels), [3]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_box_is_the_box_of_the_digits_non_zero_pixels_and_the_mask_its_strong_ink(int seed)
    {
        var (images, labels) = Digit();
        var canvas = Canvas.Place(images, labels, 0, 48, new Random(seed));

        Assert.InRange(canvas.Left, 0, 20);
        Assert.InRange(canvas.Top, 0, 20);
        // Non-zero pixels: columns 9 to 13 and rows 4 to 9 of the digit, right and bottom one past the last.
        Assert.Equal([(canvas.Left + 9) / 48f, (canvas.Top + 4) / 48f, (canvas.Left + 14) / 48f, (canvas.Top + 10) / 48f], canvas.Box);
        // The same box, found from the canvas's pixels.
        var ink = Enumerable.Range(0, 48 * 48).Where(i => canvas.Pixels[i] > 0).ToList();
        Assert.Equal([ink.Min(i => i % 48) / 48f, ink.Min(i => i / 48) / 48f, (ink.Max(i => i % 48) + 1) / 48f, (ink.Max(i => i / 48) + 1) / 48f], canvas.Box);
        // The mask is the 5 × 4 block of full ink (the faint pixel is not digit), the class the label.
        var mask = Enumerable.Range(0, 48 * 48).Where(i => canvas.Mask[i] == 1).ToList();
        Assert.Equal(20, mask.Count);
        Assert.All(mask, i => Assert.Equal(1f, canvas.Pixels[i]));
        Assert.Equal(((canvas.Top + 5) * 48) + canvas.Left + 10, mask[0]);
        Assert.Equal(40 / 255f, canvas.Pixels[((canvas.Top + 4) * 48) + canvas.Left + 9]);
        Assert.Equal(3, canvas.Digit);
    }

    [Fact]
    public void Clutter_is_background_and_leaves_the_box_alone()
    {
        var (images, labels) = Digit();
        var random = new Random(5);
        for (var i = 0; i < 20; i++)
        {
            var canvas = Canvas.Place(images, labels, 0, 48, random, clutter: 3);
            Assert.Equal(20, canvas.Mask.Count(m => m == 1));
            Assert.Equal([(canvas.Left + 9) / 48f, (canvas.Top + 4) / 48f, (canvas.Left + 14) / 48f, (canvas.Top + 10) / 48f], canvas.Box);
        }
    }

    [Fact]
    public void A_canvas_smaller_than_a_digit_or_a_blank_digit_is_refused()
    {
        var (images, labels) = Digit();
        Assert.Throws<ArgumentOutOfRangeException>(() => Canvas.Place(images, labels, 0, 20, new Random(1)));
        var blank = new Idx.Images(1, 28, 28, new byte[28 * 28]);
        Assert.Equal("image 0 has no ink: no box to find", Assert.Throws<InvalidDataException>(() => Canvas.Place(blank, labels, 0, 48, new Random(1))).Message);
    }

    [Fact]
    public void Box_iou_is_the_overlap_over_the_union()
    {
        // Two 0.5 × 0.5 boxes overlapping in a 0.25 × 0.25 square: 0.0625 / (0.25 + 0.25 − 0.0625) = 1/7.
        Assert.Equal(1 / 7.0, Canvas.BoxIou([0, 0, 0.5f, 0.5f], [0.25f, 0.25f, 0.75f, 0.75f]), 1e-6);
        Assert.Equal(1.0, Canvas.BoxIou([0.1f, 0.2f, 0.3f, 0.4f], [0.1f, 0.2f, 0.3f, 0.4f]), 1e-6);
        Assert.Equal(0.0, Canvas.BoxIou([0, 0, 0.2f, 0.2f], [0.5f, 0.5f, 0.6f, 0.6f]));
        // A predicted box turned inside out (right before left) is empty.
        Assert.Equal(0.0, Canvas.BoxIou([0.5f, 0.5f, 0.2f, 0.2f], [0, 0, 1, 1]));
    }
}
