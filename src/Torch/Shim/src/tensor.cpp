// Tensor lifetime, properties, factories, data in and out, conversion.
#include "common.h"

#include <cstring>

using namespace mtl;

MTL_API int32_t mtl_tensor_free(at::Tensor* t) {
  MTL_GUARD({ delete t; });
}

// A second handle to the same tensor (shares storage, autograd identity and grad).
MTL_API int32_t mtl_tensor_alias(const at::Tensor* t, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(t)); });
}

MTL_API int32_t mtl_tensor_info(const at::Tensor* t, int8_t* dtype, int32_t* device_type,
                                int32_t* device_index, int32_t* ndim, uint8_t* requires_grad) {
  MTL_GUARD({
    const auto& x = ref(t);
    *dtype = static_cast<int8_t>(x.scalar_type());
    *device_type = static_cast<int32_t>(x.device().type());
    *device_index = x.device().index();
    *ndim = static_cast<int32_t>(x.dim());
    *requires_grad = x.requires_grad() ? 1 : 0;
  });
}

MTL_API int32_t mtl_tensor_dtype(const at::Tensor* t, int8_t* dtype) {
  MTL_GUARD({ *dtype = static_cast<int8_t>(ref(t).scalar_type()); });
}

MTL_API int32_t mtl_tensor_device(const at::Tensor* t, int32_t* type, int32_t* index) {
  MTL_GUARD({
    auto d = ref(t).device();
    *type = static_cast<int32_t>(d.type());
    *index = d.index();
  });
}

MTL_API int32_t mtl_tensor_ndim(const at::Tensor* t, int32_t* ndim) {
  MTL_GUARD({ *ndim = static_cast<int32_t>(ref(t).dim()); });
}

// Writes up to `capacity` sizes into `sizes`; `ndim` receives the true rank.
MTL_API int32_t mtl_tensor_shape(const at::Tensor* t, int64_t* sizes, int32_t capacity,
                                 int32_t* ndim) {
  MTL_GUARD({
    const auto& x = ref(t);
    auto n = static_cast<int32_t>(x.dim());
    *ndim = n;
    for (int32_t i = 0; i < n && i < capacity; ++i) sizes[i] = x.size(i);
  });
}

MTL_API int32_t mtl_tensor_numel(const at::Tensor* t, int64_t* numel) {
  MTL_GUARD({ *numel = ref(t).numel(); });
}

MTL_API int32_t mtl_tensor_requires_grad(const at::Tensor* t, uint8_t* requires_grad) {
  MTL_GUARD({ *requires_grad = ref(t).requires_grad() ? 1 : 0; });
}

MTL_API int32_t mtl_tensor_set_requires_grad(at::Tensor* t, uint8_t requires_grad) {
  MTL_GUARD({ ref(t).set_requires_grad(requires_grad != 0); });
}

MTL_API int32_t mtl_tensor_is_leaf(const at::Tensor* t, uint8_t* is_leaf) {
  MTL_GUARD({ *is_leaf = ref(t).is_leaf() ? 1 : 0; });
}

MTL_API int32_t mtl_tensor_is_contiguous(const at::Tensor* t, uint8_t* contiguous) {
  MTL_GUARD({ *contiguous = ref(t).is_contiguous() ? 1 : 0; });
}

// ---- factories -------------------------------------------------------------------------------

enum Factory : int32_t { kEmpty = 0, kZeros = 1, kOnes = 2, kRand = 3, kRandn = 4 };

MTL_API int32_t mtl_tensor_new(int32_t kind, const int64_t* shape, int32_t ndim, int8_t dtype,
                               int32_t device_type, int32_t device_index, uint8_t requires_grad,
                               at::Tensor** out) {
  MTL_GUARD({
    auto size = dims(shape, ndim);
    auto o = options(dtype, device_type, device_index);
    at::Tensor t;
    switch (kind) {
      case kEmpty: t = at::empty(size, o); break;
      case kZeros: t = at::zeros(size, o); break;
      case kOnes: t = at::ones(size, o); break;
      case kRand: t = at::rand(size, o); break;
      case kRandn: t = at::randn(size, o); break;
      default: throw std::invalid_argument("mtl_tensor_new: unknown factory " + std::to_string(kind));
    }
    if (requires_grad) t.set_requires_grad(true);
    *out = wrap(std::move(t));
  });
}

MTL_API int32_t mtl_tensor_full(const int64_t* shape, int32_t ndim, double value, int64_t int_value,
                                uint8_t is_int, int8_t dtype, int32_t device_type,
                                int32_t device_index, uint8_t requires_grad, at::Tensor** out) {
  MTL_GUARD({
    auto t = at::full(dims(shape, ndim), scalar(value, int_value, is_int),
                      options(dtype, device_type, device_index));
    if (requires_grad) t.set_requires_grad(true);
    *out = wrap(std::move(t));
  });
}

MTL_API int32_t mtl_tensor_arange(double start, double end, double step, int8_t dtype,
                                  int32_t device_type, int32_t device_index, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::arange(start, end, step, options(dtype, device_type, device_index)));
  });
}

MTL_API int32_t mtl_tensor_linspace(double start, double end, int64_t steps, int8_t dtype,
                                    int32_t device_type, int32_t device_index, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::linspace(start, end, steps, options(dtype, device_type, device_index)));
  });
}

MTL_API int32_t mtl_tensor_eye(int64_t n, int64_t m, int8_t dtype, int32_t device_type,
                               int32_t device_index, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::eye(n, m, options(dtype, device_type, device_index))); });
}

MTL_API int32_t mtl_tensor_randint(int64_t low, int64_t high, const int64_t* shape, int32_t ndim,
                                   int8_t dtype, int32_t device_type, int32_t device_index,
                                   at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::randint(low, high, dims(shape, ndim), options(dtype, device_type, device_index)));
  });
}

MTL_API int32_t mtl_tensor_randperm(int64_t n, int8_t dtype, int32_t device_type,
                                    int32_t device_index, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::randperm(n, options(dtype, device_type, device_index))); });
}

// Like-factories keep dtype and device of `t`.
MTL_API int32_t mtl_tensor_new_like(int32_t kind, const at::Tensor* t, at::Tensor** out) {
  MTL_GUARD({
    const auto& x = ref(t);
    at::Tensor r;
    switch (kind) {
      case kEmpty: r = at::empty_like(x); break;
      case kZeros: r = at::zeros_like(x); break;
      case kOnes: r = at::ones_like(x); break;
      case kRand: r = at::rand_like(x); break;
      case kRandn: r = at::randn_like(x); break;
      default: throw std::invalid_argument("mtl_tensor_new_like: unknown factory " + std::to_string(kind));
    }
    *out = wrap(std::move(r));
  });
}

// Copies `nbytes` from caller memory into a new tensor (never aliases managed memory).
MTL_API int32_t mtl_tensor_from_data(const void* data, int64_t nbytes, const int64_t* shape,
                                     int32_t ndim, int8_t dtype, int32_t device_type,
                                     int32_t device_index, uint8_t requires_grad,
                                     at::Tensor** out) {
  MTL_GUARD({
    auto t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(scalar_type(dtype)));
    auto expected = static_cast<int64_t>(t.numel() * t.element_size());
    TORCH_CHECK(expected == nbytes, "from_data: shape ", t.sizes(), " of ", t.scalar_type(),
                " needs ", expected, " bytes but ", nbytes, " were given");
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
    auto dev = device(device_type, device_index);
    if (dev != t.device()) t = t.to(dev);
    if (requires_grad) t.set_requires_grad(true);
    *out = wrap(std::move(t));
  });
}

// Copies the tensor's values (row-major, on the CPU) into caller memory of exactly `nbytes`.
MTL_API int32_t mtl_tensor_copy_to(const at::Tensor* t, void* data, int64_t nbytes) {
  MTL_GUARD({
    auto x = ref(t).detach().to(at::kCPU).contiguous();
    auto expected = static_cast<int64_t>(x.numel() * x.element_size());
    TORCH_CHECK(expected == nbytes, "copy_to: tensor of shape ", x.sizes(), " and dtype ",
                x.scalar_type(), " holds ", expected, " bytes but the buffer has ", nbytes);
    if (nbytes > 0) std::memcpy(data, x.data_ptr(), static_cast<size_t>(nbytes));
  });
}

MTL_API int32_t mtl_tensor_item(const at::Tensor* t, double* value, int64_t* int_value) {
  MTL_GUARD({
    auto s = ref(t).item();
    if (s.isIntegral(true)) {
      *int_value = s.toLong();
      *value = static_cast<double>(*int_value);
    } else {
      *value = s.toDouble();
      *int_value = static_cast<int64_t>(*value);
    }
  });
}

MTL_API int32_t mtl_tensor_to(const at::Tensor* t, int8_t dtype, int32_t device_type,
                              int32_t device_index, uint8_t copy, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(ref(t).to(device(device_type, device_index), scalar_type(dtype), false, copy != 0));
  });
}

MTL_API int32_t mtl_tensor_clone(const at::Tensor* t, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(t).clone()); });
}

MTL_API int32_t mtl_tensor_detach(const at::Tensor* t, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(t).detach()); });
}

MTL_API int32_t mtl_tensor_detach_(at::Tensor* t) {
  MTL_GUARD({ ref(t).detach_(); });
}

MTL_API int32_t mtl_tensor_contiguous(const at::Tensor* t, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(t).contiguous()); });
}

// Replaces the data of `t` keeping its identity (parameters moved between devices/dtypes).
MTL_API int32_t mtl_tensor_set_data(at::Tensor* t, const at::Tensor* data) {
  MTL_GUARD({ ref(t).set_data(ref(data)); });
}

// ---- in-place initialisation (always without recording autograd history) ----------------------

MTL_API int32_t mtl_tensor_copy_(at::Tensor* t, const at::Tensor* src) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    ref(t).copy_(ref(src));
  });
}

MTL_API int32_t mtl_tensor_fill_(at::Tensor* t, double value, int64_t int_value, uint8_t is_int) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    ref(t).fill_(scalar(value, int_value, is_int));
  });
}

MTL_API int32_t mtl_tensor_zero_(at::Tensor* t) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    ref(t).zero_();
  });
}

MTL_API int32_t mtl_tensor_uniform_(at::Tensor* t, double low, double high) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    ref(t).uniform_(low, high);
  });
}

MTL_API int32_t mtl_tensor_normal_(at::Tensor* t, double mean, double std) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    ref(t).normal_(mean, std);
  });
}

MTL_API int32_t mtl_tensor_bernoulli_(at::Tensor* t, double p) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    ref(t).bernoulli_(p);
  });
}
