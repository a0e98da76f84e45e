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

public sealed class ELU(double alpha = 1.0) : nn.Module<Tensor, Tensor>(nameof(ELU))
{
    public double alpha { get; } = alpha;

    public override Tensor forward(Tensor input) => nn.functional.elu(input, alpha);
}

public sealed class SELU() : nn.Module<Tensor, Tensor>(nameof(SELU))
{
    public override Tensor forward(Tensor input) => nn.functional.selu(input);
}

public sealed class Mish() : nn.Module<Tensor, Tensor>(nameof(Mish))
{
    public override Tensor forward(Tensor input) => nn.functional.mish(input);
}

public sealed class Softplus(double beta = 1.0, double threshold = 20.0) : nn.Module<Tensor, Tensor>(nameof(Softplus))
{
    public double beta { get; } = beta;

    public double threshold { get; } = threshold;

    public override Tensor forward(Tensor input) => nn.functional.softplus(input, beta, threshold);
}

public sealed class ReLU6() : nn.Module<Tensor, Tensor>(nameof(ReLU6))
{
    public override Tensor forward(Tensor input) => nn.functional.relu6(input);
}

public sealed class Hardswish() : nn.Module<Tensor, Tensor>(nameof(Hardswish))
{
    public override Tensor forward(Tensor input) => nn.functional.hardswish(input);
}

public sealed class Hardsigmoid() : nn.Module<Tensor, Tensor>(nameof(Hardsigmoid))
{
    public override Tensor forward(Tensor input) => nn.functional.hardsigmoid(input);
}
