// Element-wise math, comparisons, reductions, matmul, views, joining and indexing.
// Families of ops share one export with an op code (the managed side names them); the codes
// are mirrored in Torch/Native/OpCodes.cs.
#include "common.h"

#include <cmath>

using namespace mtl;

namespace {

enum Unary : int32_t {
  kNeg, kAbs, kExp, kLog, kLog1p, kExpm1, kSqrt, kRsqrt, kSin, kCos, kTan, kTanh, kSigmoid,
  kRelu, kSilu, kGelu, kGeluTanh, kFloor, kCeil, kRound, kTrunc, kSign, kReciprocal, kSquare,
  kErf, kIsNan, kIsInf, kIsFinite, kLogicalNot, kBitwiseNot, kLog2, kLog10, kAsin, kAcos, kAtan,
  kSinh, kCosh, kFrac, kSoftplus, kElu, kSelu, kMish, kHardswish, kHardsigmoid, kRelu6,
  kLogSigmoid
};

at::Tensor unary(int32_t op, const at::Tensor& x) {
  switch (op) {
    case kNeg: return at::neg(x);
    case kAbs: return at::abs(x);
    case kExp: return at::exp(x);
    case kLog: return at::log(x);
    case kLog1p: return at::log1p(x);
    case kExpm1: return at::expm1(x);
    case kSqrt: return at::sqrt(x);
    case kRsqrt: return at::rsqrt(x);
    case kSin: return at::sin(x);
    case kCos: return at::cos(x);
    case kTan: return at::tan(x);
    case kTanh: return at::tanh(x);
    case kSigmoid: return at::sigmoid(x);
    case kRelu: return at::relu(x);
    case kSilu: return at::silu(x);
    case kGelu: return at::gelu(x, "none");
    case kGeluTanh: return at::gelu(x, "tanh");
    case kFloor: return at::floor(x);
    case kCeil: return at::ceil(x);
    case kRound: return at::round(x);
    case kTrunc: return at::trunc(x);
    case kSign: return at::sign(x);
    case kReciprocal: return at::reciprocal(x);
    case kSquare: return at::square(x);
    case kErf: return at::erf(x);
    case kIsNan: return at::isnan(x);
    case kIsInf: return at::isinf(x);
    case kIsFinite: return at::isfinite(x);
    case kLogicalNot: return at::logical_not(x);
    case kBitwiseNot: return at::bitwise_not(x);
    case kLog2: return at::log2(x);
    case kLog10: return at::log10(x);
    case kAsin: return at::asin(x);
    case kAcos: return at::acos(x);
    case kAtan: return at::atan(x);
    case kSinh: return at::sinh(x);
    case kCosh: return at::cosh(x);
    case kFrac: return at::frac(x);
    case kSoftplus: return at::softplus(x);
    case kElu: return at::elu(x);
    case kSelu: return at::selu(x);
    case kMish: return at::mish(x);
    case kHardswish: return at::hardswish(x);
    case kHardsigmoid: return at::hardsigmoid(x);
    case kRelu6: return at::hardtanh(x, 0.0, 6.0);
    case kLogSigmoid: return at::log_sigmoid(x);
    default: throw std::invalid_argument("unknown unary op code " + std::to_string(op));
  }
}

void unary_(int32_t op, at::Tensor& x) {
  switch (op) {
    case kNeg: x.neg_(); break;
    case kAbs: x.abs_(); break;
    case kExp: x.exp_(); break;
    case kLog: x.log_(); break;
    case kSqrt: x.sqrt_(); break;
    case kTanh: x.tanh_(); break;
    case kSigmoid: x.sigmoid_(); break;
    case kRelu: x.relu_(); break;
    case kSilu: at::silu_(x); break;
    case kFloor: x.floor_(); break;
    case kCeil: x.ceil_(); break;
    case kRound: x.round_(); break;
    case kReciprocal: x.reciprocal_(); break;
    case kSquare: x.square_(); break;
    default: throw std::invalid_argument("unary op code " + std::to_string(op) + " has no in-place form");
  }
}

enum Binary : int32_t {
  kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum, kRemainder, kFmod, kAtan2, kEq, kNe, kLt,
  kLe, kGt, kGe, kLogicalAnd, kLogicalOr, kLogicalXor, kBitwiseAnd, kBitwiseOr, kBitwiseXor,
  kFloorDivide
};

at::Tensor binary(int32_t op, const at::Tensor& a, const at::Tensor& b, const at::Scalar& alpha) {
  switch (op) {
    case kAdd: return at::add(a, b, alpha);
    case kSub: return at::sub(a, b, alpha);
    case kMul: return at::mul(a, b);
    case kDiv: return at::div(a, b);
    case kPow: return at::pow(a, b);
    case kMaximum: return at::maximum(a, b);
    case kMinimum: return at::minimum(a, b);
    case kRemainder: return at::remainder(a, b);
    case kFmod: return at::fmod(a, b);
    case kAtan2: return at::atan2(a, b);
    case kEq: return at::eq(a, b);
    case kNe: return at::ne(a, b);
    case kLt: return at::lt(a, b);
    case kLe: return at::le(a, b);
    case kGt: return at::gt(a, b);
    case kGe: return at::ge(a, b);
    case kLogicalAnd: return at::logical_and(a, b);
    case kLogicalOr: return at::logical_or(a, b);
    case kLogicalXor: return at::logical_xor(a, b);
    case kBitwiseAnd: return at::bitwise_and(a, b);
    case kBitwiseOr: return at::bitwise_or(a, b);
    case kBitwiseXor: return at::bitwise_xor(a, b);
    case kFloorDivide: return at::floor_divide(a, b);
    default: throw std::invalid_argument("unknown binary op code " + std::to_string(op));
  }
}

at::Tensor binary_scalar(int32_t op, const at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case kAdd: return at::add(a, s);
    case kSub: return at::sub(a, s);
    case kMul: return at::mul(a, s);
    case kDiv: return at::div(a, s);
    case kPow: return at::pow(a, s);
    case kRemainder: return at::remainder(a, s);
    case kFmod: return at::fmod(a, s);
    case kEq: return at::eq(a, s);
    case kNe: return at::ne(a, s);
    case kLt: return at::lt(a, s);
    case kLe: return at::le(a, s);
    case kGt: return at::gt(a, s);
    case kGe: return at::ge(a, s);
    case kBitwiseAnd: return at::bitwise_and(a, s);
    case kBitwiseOr: return at::bitwise_or(a, s);
    case kBitwiseXor: return at::bitwise_xor(a, s);
    case kFloorDivide: return at::floor_divide(a, s);
    default: {
      auto wrapped = at::scalar_to_tensor(s, a.device());
      wrapped.unsafeGetTensorImpl()->set_wrapped_number(true);
      return binary(op, a, wrapped, 1);
    }
  }
}

// `scalar op tensor`, with the scalar promoted like a Python number.
at::Tensor scalar_binary(int32_t op, const at::Scalar& s, const at::Tensor& b) {
  switch (op) {
    case kSub: return at::rsub(b, s);
    case kPow: return at::pow(s, b);
    default: {
      auto wrapped = at::scalar_to_tensor(s, b.device());
      wrapped.unsafeGetTensorImpl()->set_wrapped_number(true);
      return binary(op, wrapped, b, 1);
    }
  }
}

void binary_(int32_t op, at::Tensor& a, const at::Tensor& b, const at::Scalar& alpha) {
  switch (op) {
    case kAdd: a.add_(b, alpha); break;
    case kSub: a.sub_(b, alpha); break;
    case kMul: a.mul_(b); break;
    case kDiv: a.div_(b); break;
    case kPow: a.pow_(b); break;
    case kRemainder: a.remainder_(b); break;
    case kFmod: a.fmod_(b); break;
    default: throw std::invalid_argument("binary op code " + std::to_string(op) + " has no in-place form");
  }
}

void binary_scalar_(int32_t op, at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case kAdd: a.add_(s); break;
    case kSub: a.sub_(s); break;
    case kMul: a.mul_(s); break;
    case kDiv: a.div_(s); break;
    case kPow: a.pow_(s); break;
    case kRemainder: a.remainder_(s); break;
    case kFmod: a.fmod_(s); break;
    default: throw std::invalid_argument("binary op code " + std::to_string(op) + " has no in-place form");
  }
}

enum Reduce : int32_t { kSum, kMean, kProd, kAmax, kAmin, kAll, kAny, kLogSumExp, kStd, kVar, kNanSum, kNanMean };

}  // namespace

MTL_API int32_t mtl_unary(int32_t op, const at::Tensor* a, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(unary(op, ref(a))); });
}

MTL_API int32_t mtl_unary_(int32_t op, at::Tensor* a) {
  MTL_GUARD({ unary_(op, *a); });
}

// A whole alpha (the usual 1) is an integer Scalar, so add and sub also take integer tensors,
// which libtorch refuses with a floating-point alpha.
static at::Scalar alpha_scalar(double alpha) {
  return std::floor(alpha) == alpha && std::fabs(alpha) < 9007199254740992.0 ? at::Scalar(static_cast<int64_t>(alpha))
                                                                               : at::Scalar(alpha);
}

MTL_API int32_t mtl_binary(int32_t op, const at::Tensor* a, const at::Tensor* b, double alpha,
                           at::Tensor** out) {
  MTL_GUARD({ *out = wrap(binary(op, ref(a), ref(b), alpha_scalar(alpha))); });
}

MTL_API int32_t mtl_binary_scalar(int32_t op, const at::Tensor* a, double value, int64_t int_value,
                                  uint8_t is_int, uint8_t scalar_first, at::Tensor** out) {
  MTL_GUARD({
    auto s = scalar(value, int_value, is_int);
    *out = wrap(scalar_first ? scalar_binary(op, s, ref(a)) : binary_scalar(op, ref(a), s));
  });
}

MTL_API int32_t mtl_binary_(int32_t op, at::Tensor* a, const at::Tensor* b, double alpha) {
  MTL_GUARD({ binary_(op, *a, ref(b), alpha_scalar(alpha)); });
}

MTL_API int32_t mtl_binary_scalar_(int32_t op, at::Tensor* a, double value, int64_t int_value,
                                   uint8_t is_int) {
  MTL_GUARD({ binary_scalar_(op, *a, scalar(value, int_value, is_int)); });
}

MTL_API int32_t mtl_leaky_relu(const at::Tensor* a, double slope, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::leaky_relu(ref(a), slope)); });
}

MTL_API int32_t mtl_elu(const at::Tensor* a, double alpha, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::elu(ref(a), alpha)); });
}

MTL_API int32_t mtl_softplus(const at::Tensor* a, double beta, double threshold, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::softplus(ref(a), beta, threshold)); });
}

MTL_API int32_t mtl_clamp(const at::Tensor* a, double min, uint8_t has_min, double max,
                          uint8_t has_max, at::Tensor** out) {
  MTL_GUARD({
    c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(min) : c10::nullopt;
    c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(max) : c10::nullopt;
    *out = wrap(at::clamp(ref(a), lo, hi));
  });
}

MTL_API int32_t mtl_clamp_(at::Tensor* a, double min, uint8_t has_min, double max, uint8_t has_max) {
  MTL_GUARD({
    c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(min) : c10::nullopt;
    c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(max) : c10::nullopt;
    at::clamp_(*a, lo, hi);
  });
}

MTL_API int32_t mtl_where(const at::Tensor* condition, const at::Tensor* a, const at::Tensor* b,
                          at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::where(ref(condition), ref(a), ref(b))); });
}

MTL_API int32_t mtl_addcmul(const at::Tensor* a, const at::Tensor* b, const at::Tensor* c,
                            double value, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::addcmul(ref(a), ref(b), ref(c), value)); });
}

MTL_API int32_t mtl_lerp(const at::Tensor* a, const at::Tensor* b, double weight, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::lerp(ref(a), ref(b), weight)); });
}

MTL_API int32_t mtl_allclose(const at::Tensor* a, const at::Tensor* b, double rtol, double atol,
                             uint8_t equal_nan, uint8_t* result) {
  MTL_GUARD({ *result = at::allclose(ref(a), ref(b), rtol, atol, equal_nan != 0) ? 1 : 0; });
}

MTL_API int32_t mtl_equal(const at::Tensor* a, const at::Tensor* b, uint8_t* result) {
  MTL_GUARD({ *result = at::equal(ref(a), ref(b)) ? 1 : 0; });
}

// ---- reductions ------------------------------------------------------------------------------

// ndims < 0 reduces over every dimension. `correction` applies to std/var only.
MTL_API int32_t mtl_reduce(int32_t op, const at::Tensor* a, const int64_t* dim_values,
                           int32_t ndims, uint8_t keepdim, int64_t correction, at::Tensor** out) {
  MTL_GUARD({
    const auto& x = ref(a);
    const bool all = ndims < 0;
    std::vector<int64_t> every;
    if (all) {
      for (int64_t i = 0; i < x.dim(); ++i) every.push_back(i);
    }
    at::IntArrayRef d = all ? at::IntArrayRef(every) : dims(dim_values, ndims);
    const bool keep = keepdim != 0;
    at::Tensor r;
    switch (op) {
      case kSum: r = all && !keep ? at::sum(x) : at::sum(x, d, keep); break;
      case kMean: r = all && !keep ? at::mean(x) : at::mean(x, d, keep); break;
      case kNanSum: r = at::nansum(x, d, keep); break;
      case kNanMean: r = at::nanmean(x, d, keep); break;
      case kProd: {
        if (all && !keep) {
          r = at::prod(x);
        } else {
          r = x;
          std::vector<int64_t> sorted(d.begin(), d.end());
          for (auto& v : sorted) v = c10::maybe_wrap_dim(v, x.dim());
          std::sort(sorted.rbegin(), sorted.rend());
          for (auto v : sorted) r = at::prod(r, v, keep);
        }
        break;
      }
      case kAmax: r = at::amax(x, d, keep); break;
      case kAmin: r = at::amin(x, d, keep); break;
      case kAll: {
        r = x.to(at::kBool);
        if (all && !keep) { r = at::all(r); break; }
        std::vector<int64_t> sorted(d.begin(), d.end());
        for (auto& v : sorted) v = c10::maybe_wrap_dim(v, x.dim());
        std::sort(sorted.rbegin(), sorted.rend());
        for (auto v : sorted) r = at::all(r, v, keep);
        break;
      }
      case kAny: {
        r = x.to(at::kBool);
        if (all && !keep) { r = at::any(r); break; }
        std::vector<int64_t> sorted(d.begin(), d.end());
        for (auto& v : sorted) v = c10::maybe_wrap_dim(v, x.dim());
        std::sort(sorted.rbegin(), sorted.rend());
        for (auto v : sorted) r = at::any(r, v, keep);
        break;
      }
      case kLogSumExp: r = at::logsumexp(x, d, keep); break;
      case kStd: r = at::std(x, at::OptionalIntArrayRef(d), c10::optional<int64_t>(correction), keep); break;
      case kVar: r = at::var(x, at::OptionalIntArrayRef(d), c10::optional<int64_t>(correction), keep); break;
      default: throw std::invalid_argument("unknown reduction op code " + std::to_string(op));
    }
    *out = wrap(std::move(r));
  });
}

// max/min along a dimension with indices. op: 0 = max, 1 = min.
MTL_API int32_t mtl_max_min_dim(int32_t op, const at::Tensor* a, int64_t dim, uint8_t keepdim,
                                at::Tensor** values, at::Tensor** indices) {
  MTL_GUARD({
    auto r = op == 0 ? at::max(ref(a), dim, keepdim != 0) : at::min(ref(a), dim, keepdim != 0);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  });
}

// argmax/argmin. op: 0 = argmax, 1 = argmin; has_dim = 0 flattens.
MTL_API int32_t mtl_argmax_min(int32_t op, const at::Tensor* a, int64_t dim, uint8_t has_dim,
                               uint8_t keepdim, at::Tensor** out) {
  MTL_GUARD({
    c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
    *out = wrap(op == 0 ? at::argmax(ref(a), d, keepdim != 0) : at::argmin(ref(a), d, keepdim != 0));
  });
}

MTL_API int32_t mtl_norm(const at::Tensor* a, double p, const int64_t* dim_values, int32_t ndims,
                         uint8_t keepdim, at::Tensor** out) {
  MTL_GUARD({
    const auto& x = ref(a);
    if (ndims < 0) {
      *out = wrap(keepdim ? at::norm(x, p, at::IntArrayRef{}, true) : at::norm(x, p));
    } else {
      *out = wrap(at::norm(x, p, dims(dim_values, ndims), keepdim != 0));
    }
  });
}

MTL_API int32_t mtl_cumsum(const at::Tensor* a, int64_t dim, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::cumsum(ref(a), dim)); });
}

MTL_API int32_t mtl_topk(const at::Tensor* a, int64_t k, int64_t dim, uint8_t largest,
                         uint8_t sorted, at::Tensor** values, at::Tensor** indices) {
  MTL_GUARD({
    auto r = at::topk(ref(a), k, dim, largest != 0, sorted != 0);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  });
}

MTL_API int32_t mtl_sort(const at::Tensor* a, int64_t dim, uint8_t descending, uint8_t stable,
                         at::Tensor** values, at::Tensor** indices) {
  MTL_GUARD({
    auto r = at::sort(ref(a), c10::optional<bool>(stable != 0), dim, descending != 0);
    *values = wrap(std::get<0>(r));
    *indices = wrap(std::get<1>(r));
  });
}

// ---- linear algebra --------------------------------------------------------------------------

MTL_API int32_t mtl_matmul(const at::Tensor* a, const at::Tensor* b, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::matmul(ref(a), ref(b))); });
}

MTL_API int32_t mtl_mm(const at::Tensor* a, const at::Tensor* b, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::mm(ref(a), ref(b))); });
}

MTL_API int32_t mtl_bmm(const at::Tensor* a, const at::Tensor* b, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::bmm(ref(a), ref(b))); });
}

MTL_API int32_t mtl_outer(const at::Tensor* a, const at::Tensor* b, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::outer(ref(a), ref(b))); });
}

MTL_API int32_t mtl_dot(const at::Tensor* a, const at::Tensor* b, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::dot(ref(a), ref(b))); });
}

// ---- views and shape -------------------------------------------------------------------------

enum ShapeOp : int32_t { kReshape, kView, kPermute, kExpand, kRepeat, kBroadcastTo, kTile };

MTL_API int32_t mtl_shape_op(int32_t op, const at::Tensor* a, const int64_t* values, int32_t count,
                             at::Tensor** out) {
  MTL_GUARD({
    auto d = dims(values, count);
    const auto& x = ref(a);
    at::Tensor r;
    switch (op) {
      case kReshape: r = x.reshape(d); break;
      case kView: r = x.view(d); break;
      case kPermute: r = x.permute(d); break;
      case kExpand: r = x.expand(d); break;
      case kRepeat: r = x.repeat(d); break;
      case kBroadcastTo: r = x.broadcast_to(d); break;
      case kTile: r = x.tile(d); break;
      default: throw std::invalid_argument("unknown shape op code " + std::to_string(op));
    }
    *out = wrap(std::move(r));
  });
}

MTL_API int32_t mtl_flatten(const at::Tensor* a, int64_t start, int64_t end, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(a).flatten(start, end)); });
}

MTL_API int32_t mtl_unflatten(const at::Tensor* a, int64_t dim, const int64_t* sizes, int32_t count,
                              at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(a).unflatten(dim, dims(sizes, count))); });
}

MTL_API int32_t mtl_squeeze(const at::Tensor* a, int64_t dim, uint8_t has_dim, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(has_dim ? ref(a).squeeze(dim) : ref(a).squeeze()); });
}

MTL_API int32_t mtl_unsqueeze(const at::Tensor* a, int64_t dim, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(a).unsqueeze(dim)); });
}

MTL_API int32_t mtl_transpose(const at::Tensor* a, int64_t dim0, int64_t dim1, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(a).transpose(dim0, dim1)); });
}

MTL_API int32_t mtl_slice(const at::Tensor* a, int64_t dim, int64_t start, int64_t end, int64_t step,
                          at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(a).slice(dim, start, end, step)); });
}

MTL_API int32_t mtl_narrow(const at::Tensor* a, int64_t dim, int64_t start, int64_t length,
                           at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(a).narrow(dim, start, length)); });
}

MTL_API int32_t mtl_select(const at::Tensor* a, int64_t dim, int64_t index, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(a).select(dim, index)); });
}

MTL_API int32_t mtl_cat(at::Tensor* const* tensors, int32_t count, int64_t dim, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::cat(list(tensors, count), dim)); });
}

MTL_API int32_t mtl_stack(at::Tensor* const* tensors, int32_t count, int64_t dim, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::stack(list(tensors, count), dim)); });
}

// Splits into pieces of `size` along `dim` (chunks = 0) or into `size` chunks (chunks = 1).
// `results` must have room for `capacity` handles; `count` receives the number of pieces.
MTL_API int32_t mtl_split(const at::Tensor* a, int64_t size, int64_t dim, uint8_t chunks,
                          at::Tensor** results, int32_t capacity, int32_t* count) {
  MTL_GUARD({
    auto pieces = chunks ? ref(a).chunk(size, dim) : ref(a).split(size, dim);
    TORCH_CHECK(static_cast<int64_t>(pieces.size()) <= capacity, "split: ", pieces.size(),
                " pieces do not fit a buffer of ", capacity);
    *count = static_cast<int32_t>(pieces.size());
    for (size_t i = 0; i < pieces.size(); ++i) results[i] = wrap(std::move(pieces[i]));
  });
}

// ---- indexing --------------------------------------------------------------------------------

MTL_API int32_t mtl_index_select(const at::Tensor* a, int64_t dim, const at::Tensor* index,
                                 at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::index_select(ref(a), dim, ref(index))); });
}

MTL_API int32_t mtl_gather(const at::Tensor* a, int64_t dim, const at::Tensor* index, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::gather(ref(a), dim, ref(index))); });
}

// op: 0 = scatter (replace), 1 = scatter_add.
MTL_API int32_t mtl_scatter(int32_t op, const at::Tensor* a, int64_t dim, const at::Tensor* index,
                            const at::Tensor* src, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(op == 0 ? at::scatter(ref(a), dim, ref(index), ref(src))
                        : at::scatter_add(ref(a), dim, ref(index), ref(src)));
  });
}

// Boolean-mask or integer-tensor indexing along the first dimension: a[index].
MTL_API int32_t mtl_index(const at::Tensor* a, const at::Tensor* index, at::Tensor** out) {
  MTL_GUARD({
    c10::List<c10::optional<at::Tensor>> indices;
    indices.push_back(ref(index));
    *out = wrap(at::index(ref(a), indices));
  });
}

MTL_API int32_t mtl_index_put_(at::Tensor* a, const at::Tensor* index, const at::Tensor* values,
                               uint8_t accumulate) {
  MTL_GUARD({
    c10::List<c10::optional<at::Tensor>> indices;
    indices.push_back(ref(index));
    a->index_put_(indices, ref(values), accumulate != 0);
  });
}

MTL_API int32_t mtl_masked_fill(const at::Tensor* a, const at::Tensor* mask, double value,
                                int64_t int_value, uint8_t is_int, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::masked_fill(ref(a), ref(mask), scalar(value, int_value, is_int))); });
}

MTL_API int32_t mtl_masked_fill_(at::Tensor* a, const at::Tensor* mask, double value,
                                 int64_t int_value, uint8_t is_int) {
  MTL_GUARD({ a->masked_fill_(ref(mask), scalar(value, int_value, is_int)); });
}

MTL_API int32_t mtl_masked_select(const at::Tensor* a, const at::Tensor* mask, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::masked_select(ref(a), ref(mask))); });
}

MTL_API int32_t mtl_nonzero(const at::Tensor* a, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::nonzero(ref(a))); });
}

MTL_API int32_t mtl_one_hot(const at::Tensor* a, int64_t num_classes, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::one_hot(ref(a), num_classes)); });
}

MTL_API int32_t mtl_tril_triu(int32_t upper, const at::Tensor* a, int64_t diagonal, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(upper ? at::triu(ref(a), diagonal) : at::tril(ref(a), diagonal)); });
}
