using Xunit;
using Mtl.Torch;
using static Mtl.Torch.torch;

namespace Mtl.Runtime.Tests;

public sealed class TensorTests
{
    [Fact]
    public void Factories_have_the_requested_shape_dtype_and_values()
    {
        using var scope = NewDisposeScope();
        var z = zeros(2, 3);
        Assert.Equal(new long[] { 2, 3 }, z.shape);
        Assert.Equal(ScalarType.Float32, z.dtype);
        Assert.All(z.data<float>(), v => Assert.Equal(0f, v));
        Assert.All(ones([4], float64).data<double>(), v => Assert.Equal(1.0, v));
        Assert.Equal(new long[] { 7, 7 }, full([2], 7L).data<long>());
        Assert.Equal(ScalarType.Int64, full([2], 7L).dtype);
        Assert.Equal(new[] { 2.5f, 2.5f }, full([2], 2.5).data<float>());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4 }, arange(5).data<long>());
        Assert.Equal(new[] { 1.0, 1.5, 2.0 }, arange(1.0, 2.1, 0.5, float64).data<double>());
        Assert.Equal(new[] { 0f, 0.5f, 1f }, linspace(0, 1, 3).data<float>());
        Assert.Equal(new[] { 1f, 0f, 0f, 1f }, eye(2).data<float>());
        var r = rand(1000);
        Assert.True(r.min().item<float>() >= 0 && r.max().item<float>() < 1);
        var n = randn([20000], float64);
        Assert.InRange(n.mean().item<double>(), -0.05, 0.05);
        Assert.InRange(n.std().item<double>(), 0.95, 1.05);
        var ri = randint(3, 6, [1000]);
        Assert.Equal(ScalarType.Int64, ri.dtype);
        Assert.True(ri.min().item<long>() >= 3 && ri.max().item<long>() <= 5);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), randperm(10).sort().values.data<long>());
        Assert.True(zeros([2], requires_grad: true).requires_grad);
    }

    [Fact]
    public void Data_round_trips_every_dtype()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(new[] { 1.5f, -2f }, tensor(new[] { 1.5f, -2f }).data<float>());
        Assert.Equal(new[] { 1.5, -2.0 }, tensor(new[] { 1.5, -2.0 }).data<double>());
        Assert.Equal(new[] { long.MaxValue, -1L }, tensor(new[] { long.MaxValue, -1L }).data<long>());
        Assert.Equal(new[] { int.MinValue, 3 }, tensor(new[] { int.MinValue, 3 }).data<int>());
        Assert.Equal(new byte[] { 0, 255 }, tensor(new byte[] { 0, 255 }).data<byte>());
        Assert.Equal(new[] { true, false, true }, tensor(new[] { true, false, true }).data<bool>());
        Assert.Equal(ScalarType.Bool, tensor(new[] { true }).dtype);
        var m = tensor(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new long[] { 2, 3 }, m.shape);
        Assert.Equal(6f, m[1][2].item<float>());
        var shaped = tensor(new long[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
        Assert.Equal(new long[] { 3, 2 }, shaped.shape);
        Assert.Equal(0, tensor(2.5).Dimensions);
        Assert.Equal(2.5, tensor(2.5).item<double>());
    }

    [Fact]
    public void Bad_data_names_the_problem()
    {
        var shape = Assert.Throws<ArgumentException>(() => tensor(new float[5], [2, 3]));
        Assert.Contains("[2, 3] needs 6 elements but 5 were given", shape.Message);
        using var t = tensor(new[] { 1f, 2f });
        var type = Assert.Throws<InvalidOperationException>(() => t.data<double>());
        Assert.Contains("torch.float32", type.Message);
        Assert.Contains("Double", type.Message);
        Assert.Throws<ArgumentException>(() => t.CopyTo<float>(new float[3]));
    }

    [Fact]
    public void Integer_tensors_add_and_subtract_with_a_whole_alpha()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new long[] { 5, 7 }, [2]);
        var b = tensor(new long[] { 2, 3 }, [2]);

        Assert.Equal([7L, 10L], a.add(b).data<long>().ToArray());
        Assert.Equal([3L, 4L], a.sub(b).data<long>().ToArray());
        Assert.Equal([9L, 13L], a.add(b, alpha: 2).data<long>().ToArray());
        a.add_(b);
        Assert.Equal([7L, 10L], a.data<long>().ToArray());
        // A fractional alpha keeps working on floats: 1 + 0.5 · 4.
        Assert.Equal([3.0], tensor(new[] { 1.0 }, [1]).add(tensor(new[] { 4.0 }, [1]), alpha: 0.5).data<double>().ToArray());
    }

    [Fact]
    public void Arithmetic_follows_PyTorch_promotion()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new[] { 1f, 2f, 3f });
        var b = tensor(new[] { 4f, 5f, 6f });
        Assert.Equal(new[] { 5f, 7f, 9f }, (a + b).data<float>());
        Assert.Equal(new[] { -3f, -3f, -3f }, (a - b).data<float>());
        Assert.Equal(new[] { 4f, 10f, 18f }, (a * b).data<float>());
        Assert.Equal(new[] { 0.25f, 0.4f, 0.5f }, (a / b).data<float>());
        Assert.Equal(new[] { -7f, -8f, -9f }, a.add(b, alpha: -2).data<float>());
        Assert.Equal(new[] { 2f, 3f, 4f }, (a + 1).data<float>());
        Assert.Equal(new[] { 9f, 8f, 7f }, (10 - a).data<float>());
        Assert.Equal(new[] { 2f, 1f, 2f / 3 }, (2.0 / a).data<float>());
        Assert.Equal(new[] { -1f, -2f, -3f }, (-a).data<float>());
        Assert.Equal(new[] { 1f, 4f, 9f }, a.pow(2).data<float>());
        var ints = tensor(new long[] { 1, 2, 3 });
        Assert.Equal(ScalarType.Int64, (ints + 1).dtype);
        Assert.Equal(ScalarType.Float32, (ints + 0.5).dtype);
        Assert.Equal(ScalarType.Float32, (ints / 2).dtype);
        Assert.Equal(new[] { 0.5f, 1f, 1.5f }, (ints / 2).data<float>());
        Assert.Equal(new long[] { 1, 0, 1 }, (ints % 2).data<long>());
        var c = a.clone();
        c.add_(1).mul_(2);
        Assert.Equal(new[] { 4f, 6f, 8f }, c.data<float>());
        Assert.Equal(new[] { 1f, 2f, 3f }, a.data<float>());
    }

    [Fact]
    public void Elu_and_softplus_follow_their_parameters()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -1.0, 0.2, 1.0 });
        var elu = nn.functional.elu(x, alpha: 0.5).data<double>();
        Assert.Equal(0.5 * (Math.Exp(-1) - 1), elu[0], 12);
        Assert.Equal(new[] { 0.2, 1.0 }, elu[1..]);
        var softplus = nn.functional.softplus(x, beta: 2, threshold: 1).data<double>();
        Assert.Equal(Math.Log(1 + Math.Exp(-2)) / 2, softplus[0], 12);
        Assert.Equal(Math.Log(1 + Math.Exp(0.4)) / 2, softplus[1], 12);
        Assert.Equal(1.0, softplus[2]); // beta·x = 2 > threshold: linear
    }

    [Fact]
    public void Unary_comparison_and_masking_ops()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -1.0, 0.0, 4.0, double.NaN });
        Assert.Equal(new[] { 0.0, 0.0, 4.0 }, x.narrow(0, 0, 3).relu().data<double>());
        Assert.Equal(new[] { false, false, false, true }, x.isnan().data<bool>());
        Assert.Equal(new[] { true, true, true, false }, x.isfinite().data<bool>());
        Assert.Equal(2.0, x[2].sqrt().item<double>());
        Assert.Equal(new[] { -0.5, 0.0, 1.0 }, x.narrow(0, 0, 3).clamp(-0.5, 1).data<double>());
        Assert.Equal(new[] { -1.0, 0.0, 2.0 }, x.narrow(0, 0, 3).clamp(max: 2).data<double>());
        var y = tensor(new[] { 1.0, 2.0, 3.0 });
        var z = tensor(new[] { 3.0, 2.0, 1.0 });
        Assert.Equal(new[] { true, false, false }, (y < z).data<bool>());
        Assert.Equal(new[] { false, true, false }, y.eq(z).data<bool>());
        Assert.Equal(new[] { 3.0, 2.0, 3.0 }, where(y > z, y, z).data<double>());
        Assert.Equal(new[] { 1.0, 0.0, 3.0 }, y.masked_fill(y.eq(2.0), 0.0).data<double>());
        Assert.Equal(new[] { 1.0, 3.0 }, y.masked_select(y.ne(2.0)).data<double>());
        Assert.Equal(new[] { 2.0, 3.0 }, y[y > 1.5].data<double>());
        Assert.True(y.allclose(y + 1e-9));
        Assert.False(y.equal(z));
    }

    [Fact]
    public void Reductions_with_dims_and_keepdim()
    {
        using var scope = NewDisposeScope();
        var m = tensor(new double[,] { { 1, 5, 3 }, { 4, 2, 6 } });
        Assert.Equal(21.0, m.sum().item<double>());
        Assert.Equal(new[] { 5.0, 7.0, 9.0 }, m.sum(0).data<double>());
        Assert.Equal(new long[] { 2, 1 }, m.sum(1, keepdim: true).shape);
        Assert.Equal(new[] { 3.0, 4.0 }, m.mean(1).data<double>());
        Assert.Equal(3.5, m.mean([0, 1]).item<double>());
        Assert.Equal(6.0, m.max().item<double>());
        Assert.Equal(1.0, m.min().item<double>());
        var (values, indexes) = m.max(1);
        Assert.Equal(new[] { 5.0, 6.0 }, values.data<double>());
        Assert.Equal(new long[] { 1, 2 }, indexes.data<long>());
        Assert.Equal(new long[] { 1, 2 }, m.argmax(1).data<long>());
        Assert.Equal(5L, m.argmax().item<long>());
        Assert.Equal(720.0, m.prod().item<double>());
        Assert.Equal(new[] { 15.0, 48.0 }, m.prod(1).data<double>());
        Assert.Equal(Math.Sqrt(91), m.norm().item<double>(), 12);
        Assert.Equal(new[] { 4.0, 5.0, 6.0 }, m.amax([0]).data<double>());
        Assert.Equal(new[] { 1.0, 2.0 }, m.amin([1]).data<double>());
        Assert.Equal(Math.Sqrt(17.5 / 5), m.std().item<double>(), 12);
        Assert.True(tensor(new[] { true, true }).all().item<bool>());
        Assert.False(tensor(new[] { false, false }).any().item<bool>());
        var (top, topIndex) = tensor(new[] { 3.0, 9.0, 1.0, 7.0 }).topk(2);
        Assert.Equal(new[] { 9.0, 7.0 }, top.data<double>());
        Assert.Equal(new long[] { 1, 3 }, topIndex.data<long>());
        Assert.Equal(new[] { 1.0, 3.0, 6.0 }, tensor(new[] { 1.0, 2.0, 3.0 }).cumsum(0).data<double>());
    }

    [Fact]
    public void Views_joining_and_indexing()
    {
        using var scope = NewDisposeScope();
        var x = arange(24).reshape(2, 3, 4);
        Assert.Equal(new long[] { 2, 12 }, x.flatten(1).shape);
        Assert.Equal(new long[] { 4, 3, 2 }, x.permute(2, 1, 0).shape);
        Assert.Equal(new long[] { 2, 4, 3 }, x.transpose(1, 2).shape);
        Assert.False(x.transpose(1, 2).is_contiguous());
        Assert.True(x.transpose(1, 2).contiguous().is_contiguous());
        Assert.Equal(new long[] { 2, 1, 3, 4 }, x.unsqueeze(1).shape);
        Assert.Equal(new long[] { 2, 3, 4 }, x.unsqueeze(1).squeeze(1).shape);
        Assert.Equal(new long[] { 6, 4 }, x.view(-1, 4).shape);
        Assert.Equal(new long[] { 1, 2, 3 }, x[0][0].narrow(0, 1, 3).data<long>());
        Assert.Equal(new long[] { 12, 14 }, x[1][0].slice(0, 0, 4, 2).data<long>());
        var a = ones(2, 3);
        var b = zeros(1, 3);
        Assert.Equal(new long[] { 3, 3 }, cat([a, b], 0).shape);
        Assert.Equal(new long[] { 2, 2, 3 }, stack([a, a], 0).shape);
        var v = tensor(new[] { 10.0, 20.0, 30.0 });
        Assert.Equal(new[] { 30.0, 10.0 }, v.index_select(0, tensor(new long[] { 2, 0 })).data<double>());
        var g = tensor(new double[,] { { 1, 2 }, { 3, 4 } });
        Assert.Equal(new[] { 2.0, 3.0 }, g.gather(1, tensor(new long[,] { { 1 }, { 0 } })).data<double>());
        Assert.Equal(new long[] { 0, 1, 0, 1, 0, 0 }, one_hot(tensor(new long[] { 1, 0 }), 3).data<long>());
        var pieces = arange(10).split(4);
        Assert.Equal(new long[] { 4, 4, 2 }, pieces.Select(p => p.numel()).ToArray());
        Assert.Equal(3, arange(9).chunk(3).Length);
        Assert.Equal(new long[] { 2, 3, 4 }, x.size());
        Assert.Equal(4, x.size(-1));
    }

    [Fact]
    public void ToString_prints_values_like_PyTorch()
    {
        using var scope = NewDisposeScope();
        Assert.Equal("tensor([1., 2., 3.])", tensor(new[] { 1f, 2f, 3f }).ToString());
        Assert.Equal("tensor([[0.5000, 1.2500],\n        [2.0000, 3.0000]])", tensor(new float[,] { { 0.5f, 1.25f }, { 2f, 3f } }).ToString());
        Assert.Equal("tensor([1, 2])", tensor(new long[] { 1, 2 }).ToString());
        Assert.Equal("tensor([ True, False])", tensor(new[] { true, false }).ToString());
        Assert.Equal("tensor([1., 2.], dtype=torch.float64, requires_grad=True)", tensor(new[] { 1.0, 2.0 }, requires_grad: true).ToString());
        Assert.Equal("tensor(2.5000)", tensor(2.5f).ToString());
        Assert.Contains("...", arange(5000).ToString());
    }

    [Fact]
    public void Conversion_and_devices()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 1.7f, -2.2f });
        Assert.Equal(ScalarType.Float64, x.@double().dtype);
        Assert.Equal(new long[] { 1, -2 }, x.@long().data<long>());
        Assert.Equal(Device.CPU, x.device);
        Assert.Equal("cpu", x.to(Device.CPU).device.ToString());
        Assert.Equal(new Device(DeviceType.CUDA, 1), Device.Parse("cuda:1"));
        Assert.Throws<ArgumentException>(() => Device.Parse("tpu"));
        Assert.Equal(cuda.is_available(), cuda.device_count() > 0);
        Assert.StartsWith("1.", torch.__version__);
    }
}
