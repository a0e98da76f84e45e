using Mtl.Torch.Native;
using static Mtl.Torch.Native.NativeStatus;

namespace Mtl.Torch;

// Element-wise math, comparisons, reductions and linear algebra.
public partial class Tensor
{
    internal Tensor Unary(UnaryOp op) => Op(NativeMethods.mtl_unary((int)op, Handle, out var r), r);

    internal Tensor UnaryInPlace(UnaryOp op)
    {
        Check(NativeMethods.mtl_unary_((int)op, Handle));
        return this;
    }

    internal Tensor Binary(BinaryOp op, Tensor other, double alpha = 1) =>
        Op(NativeMethods.mtl_binary((int)op, Handle, other.Handle, alpha, out var r), r);

    internal Tensor Binary(BinaryOp op, double value) =>
        Op(NativeMethods.mtl_binary_scalar((int)op, Handle, value, 0, 0, 0, out var r), r);

    internal Tensor Binary(BinaryOp op, long value) =>
        Op(NativeMethods.mtl_binary_scalar((int)op, Handle, value, value, 1, 0, out var r), r);

    internal Tensor BinaryReversed(BinaryOp op, double value) =>
        Op(NativeMethods.mtl_binary_scalar((int)op, Handle, value, 0, 0, 1, out var r), r);

    internal Tensor BinaryReversed(BinaryOp op, long value) =>
        Op(NativeMethods.mtl_binary_scalar((int)op, Handle, value, value, 1, 1, out var r), r);

    internal Tensor BinaryInPlace(BinaryOp op, Tensor other, double alpha = 1)
    {
        Check(NativeMethods.mtl_binary_((int)op, Handle, other.Handle, alpha));
        return this;
    }

    internal Tensor BinaryInPlace(BinaryOp op, double value)
    {
        Check(NativeMethods.mtl_binary_scalar_((int)op, Handle, value, 0, 0));
        return this;
    }

    internal Tensor BinaryInPlace(BinaryOp op, long value)
    {
        Check(NativeMethods.mtl_binary_scalar_((int)op, Handle, value, value, 1));
        return this;
    }

    // ---- arithmetic ----------------------------------------------------------------------------

    public Tensor add(Tensor other, double alpha = 1) => Binary(BinaryOp.Add, other, alpha);
    public Tensor add(double value) => Binary(BinaryOp.Add, value);
    public Tensor add(long value) => Binary(BinaryOp.Add, value);
    public Tensor sub(Tensor other, double alpha = 1) => Binary(BinaryOp.Sub, other, alpha);
    public Tensor sub(double value) => Binary(BinaryOp.Sub, value);
    public Tensor sub(long value) => Binary(BinaryOp.Sub, value);
    public Tensor mul(Tensor other) => Binary(BinaryOp.Mul, other);
    public Tensor mul(double value) => Binary(BinaryOp.Mul, value);
    public Tensor mul(long value) => Binary(BinaryOp.Mul, value);
    public Tensor div(Tensor other) => Binary(BinaryOp.Div, other);
    public Tensor div(double value) => Binary(BinaryOp.Div, value);
    public Tensor div(long value) => Binary(BinaryOp.Div, value);
    public Tensor pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor pow(double exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor pow(long exponent) => Binary(BinaryOp.Pow, exponent);
    public Tensor remainder(Tensor other) => Binary(BinaryOp.Remainder, other);
    public Tensor remainder(long value) => Binary(BinaryOp.Remainder, value);
    public Tensor fmod(Tensor other) => Binary(BinaryOp.Fmod, other);
    public Tensor fmod(double value) => Binary(BinaryOp.Fmod, value);
    public Tensor floor_divide(Tensor other) => Binary(BinaryOp.FloorDivide, other);
    public Tensor floor_divide(long value) => Binary(BinaryOp.FloorDivide, value);
    public Tensor maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    public Tensor minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    public Tensor atan2(Tensor other) => Binary(BinaryOp.Atan2, other);

    public Tensor add_(Tensor other, double alpha = 1) => BinaryInPlace(BinaryOp.Add, other, alpha);
    public Tensor add_(double value) => BinaryInPlace(BinaryOp.Add, value);
    public Tensor add_(long value) => BinaryInPlace(BinaryOp.Add, value);
    public Tensor sub_(Tensor other, double alpha = 1) => BinaryInPlace(BinaryOp.Sub, other, alpha);
    public Tensor sub_(double value) => BinaryInPlace(BinaryOp.Sub, value);
    public Tensor mul_(Tensor other) => BinaryInPlace(BinaryOp.Mul, other);
    public Tensor mul_(double value) => BinaryInPlace(BinaryOp.Mul, value);
    public Tensor mul_(long value) => BinaryInPlace(BinaryOp.Mul, value);
    public Tensor div_(Tensor other) => BinaryInPlace(BinaryOp.Div, other);
    public Tensor div_(double value) => BinaryInPlace(BinaryOp.Div, value);
    public Tensor pow_(double exponent) => BinaryInPlace(BinaryOp.Pow, exponent);

    public static Tensor operator +(Tensor a, Tensor b) => a.add(b);
    public static Tensor operator +(Tensor a, double b) => a.add(b);
    public static Tensor operator +(Tensor a, long b) => a.add(b);
    public static Tensor operator +(double a, Tensor b) => b.add(a);
    public static Tensor operator +(long a, Tensor b) => b.add(a);
    public static Tensor operator -(Tensor a, Tensor b) => a.sub(b);
    public static Tensor operator -(Tensor a, double b) => a.sub(b);
    public static Tensor operator -(Tensor a, long b) => a.sub(b);
    public static Tensor operator -(double a, Tensor b) => b.BinaryReversed(BinaryOp.Sub, a);
    public static Tensor operator -(long a, Tensor b) => b.BinaryReversed(BinaryOp.Sub, a);
    public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
    public static Tensor operator *(Tensor a, double b) => a.mul(b);
    public static Tensor operator *(Tensor a, long b) => a.mul(b);
    public static Tensor operator *(double a, Tensor b) => b.mul(a);
    public static Tensor operator *(long a, Tensor b) => b.mul(a);
    public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
    public static Tensor operator /(Tensor a, double b) => a.div(b);
    public static Tensor operator /(Tensor a, long b) => a.div(b);
    public static Tensor operator /(double a, Tensor b) => b.BinaryReversed(BinaryOp.Div, a);
    public static Tensor operator /(long a, Tensor b) => b.BinaryReversed(BinaryOp.Div, a);
    public static Tensor operator %(Tensor a, Tensor b) => a.remainder(b);
    public static Tensor operator %(Tensor a, long b) => a.remainder(b);
    public static Tensor operator -(Tensor a) => a.neg();

    // ---- comparisons and logic -----------------------------------------------------------------

    public Tensor eq(Tensor other) => Binary(BinaryOp.Eq, other);
    public Tensor eq(double value) => Binary(BinaryOp.Eq, value);
    public Tensor eq(long value) => Binary(BinaryOp.Eq, value);
    public Tensor ne(Tensor other) => Binary(BinaryOp.Ne, other);
    public Tensor ne(double value) => Binary(BinaryOp.Ne, value);
    public Tensor ne(long value) => Binary(BinaryOp.Ne, value);
    public Tensor lt(Tensor other) => Binary(BinaryOp.Lt, other);
    public Tensor lt(double value) => Binary(BinaryOp.Lt, value);
    public Tensor le(Tensor other) => Binary(BinaryOp.Le, other);
    public Tensor le(double value) => Binary(BinaryOp.Le, value);
    public Tensor gt(Tensor other) => Binary(BinaryOp.Gt, other);
    public Tensor gt(double value) => Binary(BinaryOp.Gt, value);
    public Tensor ge(Tensor other) => Binary(BinaryOp.Ge, other);
    public Tensor ge(double value) => Binary(BinaryOp.Ge, value);
    public Tensor logical_and(Tensor other) => Binary(BinaryOp.LogicalAnd, other);
    public Tensor logical_or(Tensor other) => Binary(BinaryOp.LogicalOr, other);
    public Tensor logical_xor(Tensor other) => Binary(BinaryOp.LogicalXor, other);
    public Tensor logical_not() => Unary(UnaryOp.LogicalNot);
    public Tensor bitwise_and(Tensor other) => Binary(BinaryOp.BitwiseAnd, other);
    public Tensor bitwise_or(Tensor other) => Binary(BinaryOp.BitwiseOr, other);
    public Tensor bitwise_xor(Tensor other) => Binary(BinaryOp.BitwiseXor, other);
    public Tensor bitwise_not() => Unary(UnaryOp.BitwiseNot);

    public static Tensor operator <(Tensor a, Tensor b) => a.lt(b);
    public static Tensor operator >(Tensor a, Tensor b) => a.gt(b);
    public static Tensor operator <=(Tensor a, Tensor b) => a.le(b);
    public static Tensor operator >=(Tensor a, Tensor b) => a.ge(b);
    public static Tensor operator <(Tensor a, double b) => a.lt(b);
    public static Tensor operator >(Tensor a, double b) => a.gt(b);
    public static Tensor operator <=(Tensor a, double b) => a.le(b);
    public static Tensor operator >=(Tensor a, double b) => a.ge(b);
    public static Tensor operator &(Tensor a, Tensor b) => a.bitwise_and(b);
    public static Tensor operator |(Tensor a, Tensor b) => a.bitwise_or(b);
    public static Tensor operator ^(Tensor a, Tensor b) => a.bitwise_xor(b);
    public static Tensor operator ~(Tensor a) => a.bitwise_not();

    public Tensor isnan() => Unary(UnaryOp.IsNan);
    public Tensor isinf() => Unary(UnaryOp.IsInf);
    public Tensor isfinite() => Unary(UnaryOp.IsFinite);

    public bool allclose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equal_nan = false)
    {
        Check(NativeMethods.mtl_allclose(Handle, other.Handle, rtol, atol, B(equal_nan), out var result));
        return result != 0;
    }

    /// <summary>True when both tensors have the same shape and exactly the same values.</summary>
    public bool equal(Tensor other)
    {
        Check(NativeMethods.mtl_equal(Handle, other.Handle, out var result));
        return result != 0;
    }

    // ---- unary math ----------------------------------------------------------------------------

    public Tensor neg() => Unary(UnaryOp.Neg);
    public Tensor abs() => Unary(UnaryOp.Abs);
    public Tensor exp() => Unary(UnaryOp.Exp);
    public Tensor log() => Unary(UnaryOp.Log);
    public Tensor log1p() => Unary(UnaryOp.Log1p);
    public Tensor log2() => Unary(UnaryOp.Log2);
    public Tensor log10() => Unary(UnaryOp.Log10);
    public Tensor expm1() => Unary(UnaryOp.Expm1);
    public Tensor sqrt() => Unary(UnaryOp.Sqrt);
    public Tensor rsqrt() => Unary(UnaryOp.Rsqrt);
    public Tensor sin() => Unary(UnaryOp.Sin);
    public Tensor cos() => Unary(UnaryOp.Cos);
    public Tensor tan() => Unary(UnaryOp.Tan);
    public Tensor asin() => Unary(UnaryOp.Asin);
    public Tensor acos() => Unary(UnaryOp.Acos);
    public Tensor atan() => Unary(UnaryOp.Atan);
    public Tensor sinh() => Unary(UnaryOp.Sinh);
    public Tensor cosh() => Unary(UnaryOp.Cosh);
    public Tensor tanh() => Unary(UnaryOp.Tanh);
    public Tensor sigmoid() => Unary(UnaryOp.Sigmoid);
    public Tensor relu() => Unary(UnaryOp.Relu);
    public Tensor floor() => Unary(UnaryOp.Floor);
    public Tensor ceil() => Unary(UnaryOp.Ceil);
    public Tensor round() => Unary(UnaryOp.Round);
    public Tensor trunc() => Unary(UnaryOp.Trunc);
    public Tensor frac() => Unary(UnaryOp.Frac);
    public Tensor sign() => Unary(UnaryOp.Sign);
    public Tensor reciprocal() => Unary(UnaryOp.Reciprocal);
    public Tensor square() => Unary(UnaryOp.Square);
    public Tensor erf() => Unary(UnaryOp.Erf);

    public Tensor neg_() => UnaryInPlace(UnaryOp.Neg);
    public Tensor abs_() => UnaryInPlace(UnaryOp.Abs);
    public Tensor exp_() => UnaryInPlace(UnaryOp.Exp);
    public Tensor log_() => UnaryInPlace(UnaryOp.Log);
    public Tensor sqrt_() => UnaryInPlace(UnaryOp.Sqrt);
    public Tensor tanh_() => UnaryInPlace(UnaryOp.Tanh);
    public Tensor sigmoid_() => UnaryInPlace(UnaryOp.Sigmoid);
    public Tensor relu_() => UnaryInPlace(UnaryOp.Relu);
    public Tensor square_() => UnaryInPlace(UnaryOp.Square);

    public Tensor clamp(double? min = null, double? max = null) =>
        Op(NativeMethods.mtl_clamp(Handle, min ?? 0, B(min.HasValue), max ?? 0, B(max.HasValue), out var r), r);

    public Tensor clamp_(double? min = null, double? max = null)
    {
        Check(NativeMethods.mtl_clamp_(Handle, min ?? 0, B(min.HasValue), max ?? 0, B(max.HasValue)));
        return this;
    }

    public Tensor clip(double? min = null, double? max = null) => clamp(min, max);

    public Tensor addcmul(Tensor tensor1, Tensor tensor2, double value = 1) =>
        Op(NativeMethods.mtl_addcmul(Handle, tensor1.Handle, tensor2.Handle, value, out var r), r);

    public Tensor lerp(Tensor end, double weight) => Op(NativeMethods.mtl_lerp(Handle, end.Handle, weight, out var r), r);

    public Tensor softmax(long dim) => Op(NativeMethods.mtl_softmax(0, Handle, dim, out var r), r);

    public Tensor log_softmax(long dim) => Op(NativeMethods.mtl_softmax(1, Handle, dim, out var r), r);

    // ---- reductions ----------------------------------------------------------------------------

    internal unsafe Tensor Reduce(ReduceOp op, ReadOnlySpan<long> dims, bool all, bool keepdim, long correction = 1)
    {
        fixed (long* p = dims)
        {
            return Op(NativeMethods.mtl_reduce((int)op, Handle, p, all ? -1 : dims.Length, B(keepdim), correction, out var r), r);
        }
    }

    public Tensor sum() => Reduce(ReduceOp.Sum, default, true, false);
    public Tensor sum(long dim, bool keepdim = false) => Reduce(ReduceOp.Sum, [dim], false, keepdim);
    public Tensor sum(long[] dim, bool keepdim = false) => Reduce(ReduceOp.Sum, dim, false, keepdim);
    public Tensor nansum() => Reduce(ReduceOp.NanSum, default, true, false);
    public Tensor mean() => Reduce(ReduceOp.Mean, default, true, false);
    public Tensor mean(long dim, bool keepdim = false) => Reduce(ReduceOp.Mean, [dim], false, keepdim);
    public Tensor mean(long[] dim, bool keepdim = false) => Reduce(ReduceOp.Mean, dim, false, keepdim);
    public Tensor nanmean() => Reduce(ReduceOp.NanMean, default, true, false);
    public Tensor prod() => Reduce(ReduceOp.Prod, default, true, false);
    public Tensor prod(long dim, bool keepdim = false) => Reduce(ReduceOp.Prod, [dim], false, keepdim);
    public Tensor amax(long[] dim, bool keepdim = false) => Reduce(ReduceOp.Amax, dim, false, keepdim);
    public Tensor amin(long[] dim, bool keepdim = false) => Reduce(ReduceOp.Amin, dim, false, keepdim);
    public Tensor all() => Reduce(ReduceOp.All, default, true, false);
    public Tensor all(long dim, bool keepdim = false) => Reduce(ReduceOp.All, [dim], false, keepdim);
    public Tensor any() => Reduce(ReduceOp.Any, default, true, false);
    public Tensor any(long dim, bool keepdim = false) => Reduce(ReduceOp.Any, [dim], false, keepdim);
    public Tensor logsumexp(long dim, bool keepdim = false) => Reduce(ReduceOp.LogSumExp, [dim], false, keepdim);
    public Tensor std(bool unbiased = true) => Reduce(ReduceOp.Std, default, true, false, unbiased ? 1 : 0);
    public Tensor std(long dim, bool unbiased = true, bool keepdim = false) => Reduce(ReduceOp.Std, [dim], false, keepdim, unbiased ? 1 : 0);
    public Tensor var(bool unbiased = true) => Reduce(ReduceOp.Var, default, true, false, unbiased ? 1 : 0);
    public Tensor var(long dim, bool unbiased = true, bool keepdim = false) => Reduce(ReduceOp.Var, [dim], false, keepdim, unbiased ? 1 : 0);

    /// <summary>The largest value of all elements.</summary>
    public Tensor max() => Reduce(ReduceOp.Amax, default, true, false);

    /// <summary>The smallest value of all elements.</summary>
    public Tensor min() => Reduce(ReduceOp.Amin, default, true, false);

    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false)
    {
        Check(NativeMethods.mtl_max_min_dim(0, Handle, dim, B(keepdim), out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false)
    {
        Check(NativeMethods.mtl_max_min_dim(1, Handle, dim, B(keepdim), out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor argmax() => Op(NativeMethods.mtl_argmax_min(0, Handle, 0, 0, 0, out var r), r);
    public Tensor argmax(long dim, bool keepdim = false) => Op(NativeMethods.mtl_argmax_min(0, Handle, dim, 1, B(keepdim), out var r), r);
    public Tensor argmin() => Op(NativeMethods.mtl_argmax_min(1, Handle, 0, 0, 0, out var r), r);
    public Tensor argmin(long dim, bool keepdim = false) => Op(NativeMethods.mtl_argmax_min(1, Handle, dim, 1, B(keepdim), out var r), r);

    public unsafe Tensor norm(double p = 2) => Op(NativeMethods.mtl_norm(Handle, p, null, -1, 0, out var r), r);

    public unsafe Tensor norm(long[] dim, double p = 2, bool keepdim = false)
    {
        fixed (long* d = dim)
        {
            return Op(NativeMethods.mtl_norm(Handle, p, d, dim.Length, B(keepdim), out var r), r);
        }
    }

    public Tensor cumsum(long dim) => Op(NativeMethods.mtl_cumsum(Handle, dim, out var r), r);

    public (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Check(NativeMethods.mtl_topk(Handle, k, dim, B(largest), B(sorted), out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indexes) sort(long dim = -1, bool descending = false, bool stable = false)
    {
        Check(NativeMethods.mtl_sort(Handle, dim, B(descending), B(stable), out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    // ---- linear algebra ------------------------------------------------------------------------

    public Tensor matmul(Tensor other) => Op(NativeMethods.mtl_matmul(Handle, other.Handle, out var r), r);
    public Tensor mm(Tensor other) => Op(NativeMethods.mtl_mm(Handle, other.Handle, out var r), r);
    public Tensor bmm(Tensor other) => Op(NativeMethods.mtl_bmm(Handle, other.Handle, out var r), r);
    public Tensor outer(Tensor other) => Op(NativeMethods.mtl_outer(Handle, other.Handle, out var r), r);
    public Tensor dot(Tensor other) => Op(NativeMethods.mtl_dot(Handle, other.Handle, out var r), r);
}
