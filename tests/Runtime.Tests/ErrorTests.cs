using Xunit;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

public sealed class ErrorTests
{
    [Fact]
    public void A_shape_mismatch_raises_a_managed_exception_with_libtorchs_message()
    {
        using var scope = NewDisposeScope();
        var a = ones(2, 3);
        var b = ones(4, 5);
        var error = Assert.Throws<TorchException>(() => a.matmul(b));
        Assert.Equal(TorchErrorKind.Torch, error.Kind);
        Assert.Contains("2x3", error.Message);
        Assert.Contains("4x5", error.Message);
        Assert.DoesNotContain("Exception raised from", error.Message);
    }

    [Fact]
    public void A_thousand_errors_in_a_row_leave_the_process_healthy()
    {
        using var scope = NewDisposeScope();
        var a = ones(2, 3);
        var b = ones(4, 5);
        for (var i = 0; i < 1000; i++)
        {
            using var step = NewDisposeScope();
            var error = Assert.Throws<TorchException>(() => a + b);
            Assert.Contains("must match the size", error.Message);
        }
        Assert.Equal(6f, (a * 2).sum().item<float>() / 2);
        Assert.Equal(new long[] { 2, 5 }, a.matmul(ones(3, 5)).shape);
    }

    [Fact]
    public void Errors_libtorch_raises_in_unusual_places_are_caught_too()
    {
        // Both throw c10::Error inside libtorch; an unguarded export would kill the process.
        Assert.Throws<TorchException>(() => set_num_threads(0));
        using var scope = NewDisposeScope();
        var x = ones([1], requires_grad: true);
        var y = (x * 2).sum();
        Assert.Throws<TorchException>(() => autograd.grad([y], [x, ones([1], requires_grad: true)]));
        Assert.True(get_num_threads() >= 1);
    }

    [Fact]
    public void Layer_errors_name_the_layer_and_the_shape()
    {
        using var scope = NewDisposeScope();
        using var bn = nn.BatchNorm2d(3);
        var error = Assert.Throws<ArgumentException>(() => bn.forward(ones(2, 3)));
        Assert.Contains("BatchNorm2d", error.Message);
        Assert.Contains("[2, 3]", error.Message);
        using var linear = nn.Linear(4, 2);
        var mismatch = Assert.Throws<TorchException>(() => linear.forward(ones(5, 3)));
        Assert.Contains("5x3", mismatch.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Dropout(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => nn.Linear(0, 2));
    }

    [Fact]
    public void Errors_on_one_thread_do_not_leak_into_another()
    {
        var messages = new string[4];
        Parallel.For(0, 4, i =>
        {
            using var scope = NewDisposeScope();
            var error = Assert.Throws<TorchException>(() => ones(i + 1, 2).matmul(ones(7, 1)));
            messages[i] = error.Message;
        });
        for (var i = 0; i < 4; i++) Assert.Contains($"{i + 1}x2", messages[i]);
    }
}
