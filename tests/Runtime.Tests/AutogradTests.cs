using Xunit;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

public sealed class AutogradTests
{
    [Fact]
    public void Backward_accumulates_gradients_into_leaves()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0, 3.0 }, requires_grad: true);
        var y = (x * x).sum();
        y.backward(retain_graph: true);
        Assert.Equal(new[] { 2.0, 4.0, 6.0 }, x.grad!.data<double>());
        y.backward();
        Assert.Equal(new[] { 4.0, 8.0, 12.0 }, x.grad!.data<double>());
        x.zero_grad(set_to_none: false);
        Assert.Equal(new[] { 0.0, 0.0, 0.0 }, x.grad!.data<double>());
        x.zero_grad();
        Assert.Null(x.grad);
        Assert.True(x.is_leaf);
        Assert.False(y.is_leaf);
    }

    [Fact]
    public void Backward_twice_without_retain_graph_is_an_error_with_libtorchs_message()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0 }, requires_grad: true);
        var y = (x.exp() * 2).sum();
        y.backward();
        var error = Assert.Throws<TorchException>(() => y.backward());
        Assert.Contains("backward through the graph a second time", error.Message);
    }

    [Fact]
    public void Backward_with_an_explicit_gradient()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.0, 2.0 }, requires_grad: true);
        var y = x * 3;
        y.backward(tensor(new[] { 1.0, 10.0 }));
        Assert.Equal(new[] { 3.0, 30.0 }, x.grad!.data<double>());
    }

    [Fact]
    public void Grad_can_be_set_and_cleared()
    {
        using var scope = NewDisposeScope();
        var x = zeros([2], float64, requires_grad: true);
        x.grad = tensor(new[] { 5.0, 6.0 });
        Assert.Equal(new[] { 5.0, 6.0 }, x.grad!.data<double>());
        x.grad = null;
        Assert.Null(x.grad);
    }

    [Fact]
    public void Autograd_grad_leaves_dot_grad_alone_and_reports_unused_inputs()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 2.0 }, requires_grad: true);
        var b = tensor(new[] { 3.0 }, requires_grad: true);
        var unused = tensor(new[] { 4.0 }, requires_grad: true);
        var y = (a * a * b).sum();
        var grads = autograd.grad([y], [a, b, unused], retain_graph: true, allow_unused: true);
        Assert.Equal(12.0, grads[0]!.item<double>());
        Assert.Equal(4.0, grads[1]!.item<double>());
        Assert.Null(grads[2]);
        Assert.Null(a.grad);
        var error = Assert.Throws<TorchException>(() => autograd.grad([y], [a, unused]));
        Assert.Contains("allow_unused", error.Message);
    }

    [Fact]
    public void Create_graph_gives_second_derivatives()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 3.0 }, requires_grad: true);
        var y = (x * x * x).sum();
        var dy = autograd.grad([y], [x], create_graph: true)[0]!;
        Assert.Equal(27.0, dy.item<double>());
        var d2y = autograd.grad([dy.sum()], [x])[0]!;
        Assert.Equal(18.0, d2y.item<double>());
    }

    [Fact]
    public void Grad_modes_nest_and_restore()
    {
        using var scope = NewDisposeScope();
        var x = ones([1], requires_grad: true);
        Assert.True(is_grad_enabled());
        using (no_grad())
        {
            Assert.False(is_grad_enabled());
            Assert.False((x * 2).requires_grad);
            using (enable_grad())
            {
                Assert.True((x * 2).requires_grad);
            }
            Assert.False(is_grad_enabled());
        }
        Assert.True(is_grad_enabled());
        using (inference_mode())
        {
            Assert.True(is_inference_mode_enabled());
            Assert.False((x * 2).requires_grad);
        }
        Assert.False(is_inference_mode_enabled());
        Assert.True((x * 2).requires_grad);
    }

    [Fact]
    public void Detach_cuts_the_graph()
    {
        using var scope = NewDisposeScope();
        var x = ones([2], requires_grad: true);
        var d = (x * 2).detach();
        Assert.False(d.requires_grad);
        Assert.True(d.is_leaf);
    }
}
