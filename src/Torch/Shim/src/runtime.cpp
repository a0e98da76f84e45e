// Process-wide state: last error, version, seeding, threads, devices, grad mode.
#include "common.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace mtl {

static thread_local std::string last_error;

void set_error(const char* message) {
  try {
    last_error = message ? message : "";
  } catch (...) {
    // Out of memory while recording the message: leave the previous text.
  }
}

}  // namespace mtl

using namespace mtl;

// The message of the last failed call on this thread; valid until the next failing call.
MTL_API int32_t mtl_last_error(const char** message) {
  MTL_GUARD({ *message = last_error.c_str(); });
}

MTL_API int32_t mtl_version(const char** version) {
  MTL_GUARD({ *version = TORCH_VERSION; });
}

MTL_API int32_t mtl_manual_seed(uint64_t seed) {
  MTL_GUARD({ at::manual_seed(seed); });
}

MTL_API int32_t mtl_set_num_threads(int32_t count) {
  MTL_GUARD({ at::set_num_threads(count); });
}

MTL_API int32_t mtl_get_num_threads(int32_t* count) {
  MTL_GUARD({ *count = at::get_num_threads(); });
}

MTL_API int32_t mtl_cuda_is_available(uint8_t* available) {
  MTL_GUARD({ *available = torch::cuda::is_available() ? 1 : 0; });
}

MTL_API int32_t mtl_cuda_device_count(int32_t* count) {
  MTL_GUARD({ *count = static_cast<int32_t>(torch::cuda::device_count()); });
}

MTL_API int32_t mtl_cuda_synchronize(int32_t device_index) {
  MTL_GUARD({
    if (torch::cuda::is_available()) torch::cuda::synchronize(device_index);
  });
}

MTL_API int32_t mtl_set_grad_enabled(uint8_t enabled, uint8_t* previous) {
  MTL_GUARD({
    *previous = at::GradMode::is_enabled() ? 1 : 0;
    at::GradMode::set_enabled(enabled != 0);
  });
}

MTL_API int32_t mtl_is_grad_enabled(uint8_t* enabled) {
  MTL_GUARD({ *enabled = at::GradMode::is_enabled() ? 1 : 0; });
}

// Inference mode is an RAII guard in libtorch; the handle keeps it alive until exit is called
// on the same thread (guards must be released in reverse order of creation).
MTL_API int32_t mtl_inference_mode_enter(void** guard) {
  MTL_GUARD({ *guard = new c10::InferenceMode(true); });
}

MTL_API int32_t mtl_inference_mode_exit(void* guard) {
  MTL_GUARD({ delete static_cast<c10::InferenceMode*>(guard); });
}

MTL_API int32_t mtl_is_inference_mode_enabled(uint8_t* enabled) {
  MTL_GUARD({ *enabled = c10::InferenceMode::is_enabled() ? 1 : 0; });
}

// The CPU generator's state as a uint8 tensor (what torch.get_rng_state returns), for checkpoints.
MTL_API int32_t mtl_get_rng_state(at::Tensor** out) {
  MTL_GUARD({
    auto gen = at::globalContext().defaultGenerator(at::kCPU);
    std::lock_guard<std::mutex> lock(gen.mutex());
    *out = wrap(gen.get_state());
  });
}

MTL_API int32_t mtl_set_rng_state(const at::Tensor* state) {
  MTL_GUARD({
    auto gen = at::globalContext().defaultGenerator(at::kCPU);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(ref(state));
  });
}
