// Shared definitions for the C ABI of libmtl_torch.
//
// Rules every export follows (see docs/runtime.md):
//  - `MTL_API int32_t mtl_name(...)`: a status code, results through out-parameters;
//  - the whole body sits inside MTL_GUARD, so no C++ exception ever crosses the ABI;
//  - tensors cross as heap `at::Tensor*` (one reference each); NULL means undefined/None;
//  - scalars cross by value as double (plus int64_t where exactness matters), booleans as uint8_t,
//    dtype as int8_t in c10::ScalarType numbering, device as (int32 type, int32 index).
#pragma once

#include <ATen/ATen.h>
#include <cstdint>
#include <string>
#include <vector>

#define MTL_API extern "C" __attribute__((visibility("default")))

namespace mtl {

enum Status : int32_t { kOk = 0, kTorchError = 1, kStdError = 2, kUnknownError = 3 };

void set_error(const char* message);

}  // namespace mtl

// Wraps an export's body: catches c10::Error, then std::exception, then anything, stores the
// message in a thread-local string (read back with mtl_last_error) and returns a status code.
#define MTL_GUARD(...)                                            \
  try {                                                           \
    __VA_ARGS__                                                   \
    return ::mtl::kOk;                                            \
  } catch (const c10::Error& e) {                                 \
    ::mtl::set_error(e.what_without_backtrace());                 \
    return ::mtl::kTorchError;                                    \
  } catch (const std::exception& e) {                             \
    ::mtl::set_error(e.what());                                   \
    return ::mtl::kStdError;                                      \
  } catch (...) {                                                 \
    ::mtl::set_error("unknown native exception");                 \
    return ::mtl::kUnknownError;                                  \
  }

namespace mtl {

using TensorPtr = at::Tensor*;

// Moves a tensor to the heap for the caller; an undefined tensor becomes NULL.
inline TensorPtr wrap(at::Tensor t) {
  if (!t.defined()) return nullptr;
  return new at::Tensor(std::move(t));
}

inline const at::Tensor& ref(const at::Tensor* t) {
  static const at::Tensor undefined;
  return t ? *t : undefined;
}

inline c10::optional<at::Tensor> opt(const at::Tensor* t) {
  if (!t || !t->defined()) return c10::nullopt;
  return *t;
}

inline at::IntArrayRef dims(const int64_t* values, int32_t count) {
  return at::IntArrayRef(values, static_cast<size_t>(count < 0 ? 0 : count));
}

inline std::vector<at::Tensor> list(at::Tensor* const* tensors, int32_t count) {
  std::vector<at::Tensor> result;
  result.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) result.push_back(ref(tensors[i]));
  return result;
}

inline at::Scalar scalar(double value, int64_t int_value, uint8_t is_int) {
  return is_int ? at::Scalar(int_value) : at::Scalar(value);
}

inline at::ScalarType scalar_type(int8_t dtype) { return static_cast<at::ScalarType>(dtype); }

inline at::Device device(int32_t type, int32_t index) {
  return at::Device(static_cast<at::DeviceType>(type), static_cast<c10::DeviceIndex>(index));
}

inline at::TensorOptions options(int8_t dtype, int32_t device_type, int32_t device_index) {
  return at::TensorOptions().dtype(scalar_type(dtype)).device(device(device_type, device_index));
}

}  // namespace mtl
