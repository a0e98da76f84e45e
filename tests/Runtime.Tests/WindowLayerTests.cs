using Mtl.Torch;
using Xunit;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

/// <summary>
/// The 2-d layers with a window per dimension (<c>kernel: [3, 5]</c> in a .mtl file): values of
/// rectangular pools and convolutions against hand computation on a 2×4 image.
/// </summary>
public sealed class WindowLayerTests
{
    // one example, one channel:
    //   1 2 3 4
    //   5 6 7 8
    private static Tensor Image() => tensor(new double[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [1, 1, 2, 4]);

    [Fact]
    public void A_rectangular_max_pool_takes_the_max_of_each_window()
    {
        using var scope = NewDisposeScope();

        // kernel [2, 1], stride defaults to the kernel: the max of each column.
        Assert.Equal([5.0, 6, 7, 8], nn.MaxPool2d((2, 1)).forward(Image()).data<double>().ToArray());
        Assert.Equal(new long[] { 1, 1, 1, 4 }, nn.MaxPool2d((2, 1)).forward(Image()).shape);

        // kernel [1, 3], stride [1, 1], padding [0, 1]: each row's running max over 3 with −∞ padding.
        var y = nn.MaxPool2d((1, 3), stride: (1, 1), padding: (0, 1)).forward(Image());
        Assert.Equal(new long[] { 1, 1, 2, 4 }, y.shape);
        Assert.Equal([2.0, 3, 4, 4, 6, 7, 8, 8], y.data<double>().ToArray());
    }

    [Fact]
    public void A_rectangular_average_pool_averages_each_window()
    {
        using var scope = NewDisposeScope();

        // kernel [1, 2], stride [1, 2]: (1+2)/2, (3+4)/2, (5+6)/2, (7+8)/2.
        var y = nn.AvgPool2d((1, 2), stride: (1, 2)).forward(Image());
        Assert.Equal(new long[] { 1, 1, 2, 2 }, y.shape);
        Assert.Equal([1.5, 3.5, 5.5, 7.5], y.data<double>().ToArray());

        // kernel [2, 2], stride [2, 1], padding [0, 1], zero padding counted, over the columns
        // (0,1) (1,2) (2,3) (3,4) (4,0): (0+1+0+5)/4, (1+2+5+6)/4, (2+3+6+7)/4, (3+4+7+8)/4, (4+0+8+0)/4.
        var z = nn.AvgPool2d((2, 2), stride: (2, 1), padding: (0, 1)).forward(Image());
        Assert.Equal(new long[] { 1, 1, 1, 5 }, z.shape);
        Assert.Equal([1.5, 3.5, 4.5, 5.5, 3.0], z.data<double>().ToArray());
    }

    [Fact]
    public void A_rectangular_convolution_sums_each_window_with_its_weights()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(1, 1, (2, 3), stride: (1, 1), padding: (0, 0), bias: true, dtype: ScalarType.Float64);
        using (no_grad())
        {
            // weights [[1, 0, −1], [0, 1, 0]], bias 0.5
            conv.weight.copy_(tensor(new double[] { 1, 0, -1, 0, 1, 0 }, [1, 1, 2, 3]));
            conv.bias!.fill_(0.5);
        }

        // window at column 0: 1 − 3 + 6 + 0.5 = 4.5; at column 1: 2 − 4 + 7 + 0.5 = 5.5
        var y = conv.forward(Image());
        Assert.Equal(new long[] { 1, 1, 1, 2 }, y.shape);
        Assert.Equal([4.5, 5.5], y.data<double>().ToArray());
        Assert.Equal(new long[] { 1, 1, 2, 3 }, conv.weight.shape);
    }
}
