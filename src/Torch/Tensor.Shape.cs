using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch;

// Views, reshaping and indexing.
public partial class Tensor
{
    private unsafe Tensor ShapeOp(ShapeOp op, ReadOnlySpan<long> values)
    {
        fixed (long* p = values)
        {
            return Op(NativeMethods.mtl_shape_op((int)op, Handle, p, values.Length, out var r), r);
        }
    }

    public Tensor reshape(params long[] shape) => ShapeOp(Native.ShapeOp.Reshape, shape);
    public Tensor view(params long[] shape) => ShapeOp(Native.ShapeOp.View, shape);
    public Tensor permute(params long[] dims) => ShapeOp(Native.ShapeOp.Permute, dims);
    public Tensor expand(params long[] sizes) => ShapeOp(Native.ShapeOp.Expand, sizes);
    public Tensor repeat(params long[] repeats) => ShapeOp(Native.ShapeOp.Repeat, repeats);
    public Tensor broadcast_to(params long[] shape) => ShapeOp(Native.ShapeOp.BroadcastTo, shape);
    public Tensor tile(params long[] reps) => ShapeOp(Native.ShapeOp.Tile, reps);
    public Tensor view_as(Tensor other) => view(other.shape);
    public Tensor expand_as(Tensor other) => expand(other.shape);

    public Tensor flatten(long start_dim = 0, long end_dim = -1) =>
        Op(NativeMethods.mtl_flatten(Handle, start_dim, end_dim, out var r), r);

    public unsafe Tensor unflatten(long dim, params long[] sizes)
    {
        fixed (long* p = sizes)
        {
            return Op(NativeMethods.mtl_unflatten(Handle, dim, p, sizes.Length, out var r), r);
        }
    }

    public Tensor squeeze() => Op(NativeMethods.mtl_squeeze(Handle, 0, 0, out var r), r);
    public Tensor squeeze(long dim) => Op(NativeMethods.mtl_squeeze(Handle, dim, 1, out var r), r);
    public Tensor unsqueeze(long dim) => Op(NativeMethods.mtl_unsqueeze(Handle, dim, out var r), r);
    public Tensor transpose(long dim0, long dim1) => Op(NativeMethods.mtl_transpose(Handle, dim0, dim1, out var r), r);
    public Tensor t() => transpose(0, 1);
    public Tensor T => t();

    public Tensor slice(long dim, long start, long end, long step = 1) =>
        Op(NativeMethods.mtl_slice(Handle, dim, start, end, step, out var r), r);

    public Tensor narrow(long dim, long start, long length) =>
        Op(NativeMethods.mtl_narrow(Handle, dim, start, length, out var r), r);

    public Tensor select(long dim, long index) => Op(NativeMethods.mtl_select(Handle, dim, index, out var r), r);

    /// <summary>The sub-tensor at <paramref name="index"/> along the first dimension.</summary>
    public Tensor this[long index] => select(0, index);

    /// <summary>Rows picked by a boolean mask or an integer index tensor (PyTorch's <c>x[idx]</c>).</summary>
    public Tensor this[Tensor index] => Op(NativeMethods.mtl_index(Handle, index.Handle, out var r), r);

    public Tensor index_put_(Tensor index, Tensor values, bool accumulate = false)
    {
        Check(NativeMethods.mtl_index_put_(Handle, index.Handle, values.Handle, B(accumulate)));
        return this;
    }

    public Tensor index_select(long dim, Tensor index) =>
        Op(NativeMethods.mtl_index_select(Handle, dim, index.Handle, out var r), r);

    public Tensor gather(long dim, Tensor index) => Op(NativeMethods.mtl_gather(Handle, dim, index.Handle, out var r), r);

    public Tensor scatter(long dim, Tensor index, Tensor src) =>
        Op(NativeMethods.mtl_scatter(0, Handle, dim, index.Handle, src.Handle, out var r), r);

    public Tensor scatter_add(long dim, Tensor index, Tensor src) =>
        Op(NativeMethods.mtl_scatter(1, Handle, dim, index.Handle, src.Handle, out var r), r);

    public Tensor masked_fill(Tensor mask, double value) =>
        Op(NativeMethods.mtl_masked_fill(Handle, mask.Handle, value, 0, 0, out var r), r);

    public Tensor masked_fill(Tensor mask, long value) =>
        Op(NativeMethods.mtl_masked_fill(Handle, mask.Handle, value, value, 1, out var r), r);

    public Tensor masked_fill_(Tensor mask, double value)
    {
        Check(NativeMethods.mtl_masked_fill_(Handle, mask.Handle, value, 0, 0));
        return this;
    }

    public Tensor masked_select(Tensor mask) => Op(NativeMethods.mtl_masked_select(Handle, mask.Handle, out var r), r);

    public Tensor nonzero() => Op(NativeMethods.mtl_nonzero(Handle, out var r), r);

    public Tensor tril(long diagonal = 0) => Op(NativeMethods.mtl_tril_triu(0, Handle, diagonal, out var r), r);

    public Tensor triu(long diagonal = 0) => Op(NativeMethods.mtl_tril_triu(1, Handle, diagonal, out var r), r);

    public Tensor[] split(long split_size, long dim = 0) => Split(split_size, dim, chunks: false);

    public Tensor[] chunk(long chunks, long dim = 0) => Split(chunks, dim, chunks: true);

    private unsafe Tensor[] Split(long value, long dim, bool chunks)
    {
        var length = size(dim);
        var capacity = (int)Math.Max(1, chunks ? value : (length + value - 1) / Math.Max(value, 1));
        var handles = new nint[capacity];
        int count;
        fixed (nint* p = handles)
        {
            Check(NativeMethods.mtl_split(Handle, value, dim, B(chunks), p, capacity, out count));
        }
        var result = new Tensor[count];
        for (var i = 0; i < count; i++) result[i] = new Tensor(handles[i]);
        return result;
    }
}
