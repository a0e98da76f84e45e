using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

public sealed class ReLU() : nn.Module<Tensor, Tensor>(nameof(ReLU))
{
    public override Tensor forward(Tensor input) => nn.functional.relu(input);
}

public sealed class LeakyReLU(double negative_slope = 0.01) : nn.Module<Tensor, Tensor>(nameof(LeakyReLU))
{
    public double negative_slope { get; } = negative_slope;

    public override Tensor forward(Tensor input) => nn.functional.leaky_relu(input, negative_slope);
}

public sealed class GELU(string approximate = "none") : nn.Module<Tensor, Tensor>(nameof(GELU))
{
    public override Tensor forward(Tensor input) => nn.functional.gelu(input, approximate);
}

public sealed class SiLU() : nn.Module<Tensor, Tensor>(nameof(SiLU))
{
    public override Tensor forward(Tensor input) => nn.functional.silu(input);
}

public sealed class Tanh() : nn.Module<Tensor, Tensor>(nameof(Tanh))
{
    public override Tensor forward(Tensor input) => input.tanh();
}

public sealed class Sigmoid() : nn.Module<Tensor, Tensor>(nameof(Sigmoid))
{
    public override Tensor forward(Tensor input) => input.sigmoid();
}

public sealed class Softmax(long dim) : nn.Module<Tensor, Tensor>(nameof(Softmax))
{
    public override Tensor forward(Tensor input) => input.softmax(dim);
}

public sealed class LogSoftmax(long dim) : nn.Module<Tensor, Tensor>(nameof(LogSoftmax))
{
    public override Tensor forward(Tensor input) => input.log_softmax(dim);
}
