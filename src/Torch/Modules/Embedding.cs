using static Mtl.Torch.torch;

namespace Mtl.Torch.Modules;

/// <summary>A lookup table of <c>num_embeddings</c> vectors of size <c>embedding_dim</c>, initialised N(0, 1).</summary>
public sealed class Embedding : nn.Module<Tensor, Tensor>
{
    public Embedding(long num_embeddings, long embedding_dim, long? padding_idx = null, Device? device = null, ScalarType? dtype = null) : base(nameof(Embedding))
    {
        Shapes.RequirePositive(nameof(Embedding), (nameof(num_embeddings), num_embeddings), (nameof(embedding_dim), embedding_dim));
        if (padding_idx is { } pad)
        {
            if (pad < -num_embeddings || pad >= num_embeddings)
            {
                throw new ArgumentOutOfRangeException(nameof(padding_idx), pad, $"Embedding: padding_idx must be within [-{num_embeddings}, {num_embeddings})");
            }
            padding_idx = pad < 0 ? pad + num_embeddings : pad;
        }
        (this.num_embeddings, this.embedding_dim, this.padding_idx) = (num_embeddings, embedding_dim, padding_idx);
        weight = Shapes.NewParameter([num_embeddings, embedding_dim], device, dtype);
        weight.normal_();
        if (padding_idx is { } row)
        {
            using var scope = NewDisposeScope();
            weight.select(0, row).zero_();
        }
        RegisterComponents();
    }

    public long num_embeddings { get; }
    public long embedding_dim { get; }
    public long? padding_idx { get; }
    public Parameter weight { get; }

    public override Tensor forward(Tensor input) => nn.functional.embedding(input, weight, padding_idx);
}
