using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>Batch normalisation shared by BatchNorm1d ([N, C] or [N, C, L]) and BatchNorm2d ([N, C, H, W]).</summary>
public abstract class BatchNorm : nn.Module<Tensor, Tensor>
{
    private readonly int[] _ranks;

    private protected BatchNorm(string name, int[] ranks, long num_features, double eps, double momentum, bool affine, bool track_running_stats, Device? device, ScalarType? dtype) : base(name)
    {
        Shapes.RequirePositive(name, (nameof(num_features), num_features));
        _ranks = ranks;
        (this.num_features, this.eps, this.momentum) = (num_features, eps, momentum);
        if (affine)
        {
            weight = Shapes.NewParameter([num_features], device, dtype);
            bias = Shapes.NewParameter([num_features], device, dtype);
            weight.fill_(1.0);
            bias.zero_();
        }
        if (track_running_stats)
        {
            running_mean = Shapes.NewBuffer([num_features], 0, device, dtype);
            running_var = Shapes.NewBuffer([num_features], 1, device, dtype);
            num_batches_tracked = Shapes.NewBuffer([], 0, device, ScalarType.Int64);
        }
        RegisterComponents();
    }

    public long num_features { get; }
    public double eps { get; }
    public double momentum { get; }
    public Parameter? weight { get; }
    public Parameter? bias { get; }
    public Tensor? running_mean { get; }
    public Tensor? running_var { get; }
    public Tensor? num_batches_tracked { get; }

    public override Tensor forward(Tensor input)
    {
        Shapes.RequireRank(GetName, input, _ranks);
        var useBatchStats = training || running_mean is null;
        if (training && num_batches_tracked is not null)
        {
            num_batches_tracked.add_(1L);
        }
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, useBatchStats, momentum, eps);
    }
}

public sealed class BatchNorm1d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool track_running_stats = true, Device? device = null, ScalarType? dtype = null)
    : BatchNorm(nameof(BatchNorm1d), [2, 3], num_features, eps, momentum, affine, track_running_stats, device, dtype);

public sealed class BatchNorm2d(long num_features, double eps = 1e-5, double momentum = 0.1, bool affine = true, bool track_running_stats = true, Device? device = null, ScalarType? dtype = null)
    : BatchNorm(nameof(BatchNorm2d), [4], num_features, eps, momentum, affine, track_running_stats, device, dtype);

/// <summary>Layer normalisation over the trailing <c>normalized_shape</c> dimensions.</summary>
public sealed class LayerNorm : nn.Module<Tensor, Tensor>
{
    public LayerNorm(long[] normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null, ScalarType? dtype = null) : base(nameof(LayerNorm))
    {
        this.normalized_shape = normalized_shape.ToArray();
        this.eps = eps;
        if (elementwise_affine)
        {
            weight = Shapes.NewParameter(this.normalized_shape, device, dtype);
            bias = Shapes.NewParameter(this.normalized_shape, device, dtype);
            weight.fill_(1.0);
            bias.zero_();
        }
        RegisterComponents();
    }

    public LayerNorm(long normalized_shape, double eps = 1e-5, bool elementwise_affine = true, Device? device = null, ScalarType? dtype = null)
        : this([normalized_shape], eps, elementwise_affine, device, dtype)
    {
    }

    public long[] normalized_shape { get; }
    public double eps { get; }
    public Parameter? weight { get; }
    public Parameter? bias { get; }

    public override Tensor forward(Tensor input) => nn.functional.layer_norm(input, normalized_shape, weight, bias, eps);
}
