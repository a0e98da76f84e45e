// Autograd: backward, torch.autograd.grad, gradients of leaves.
#include "common.h"

#include <torch/csrc/autograd/autograd.h>

using namespace mtl;

MTL_API int32_t mtl_backward(const at::Tensor* t, const at::Tensor* gradient, uint8_t retain_graph,
                             uint8_t create_graph) {
  MTL_GUARD({
    std::vector<at::Tensor> grads;
    if (gradient) grads.push_back(*gradient);
    torch::autograd::backward({ref(t)}, grads, c10::optional<bool>(retain_graph != 0),
                              create_graph != 0);
  });
}

// torch.autograd.grad. `grad_outputs` may be NULL (ones for scalar outputs) or hold NULL entries.
// `results` receives one handle per input; an unused input yields NULL when allow_unused is set
// (libtorch raises c10::Error otherwise, which the guard turns into a status).
MTL_API int32_t mtl_autograd_grad(at::Tensor* const* outputs, int32_t output_count,
                                  at::Tensor* const* inputs, int32_t input_count,
                                  at::Tensor* const* grad_outputs, uint8_t retain_graph,
                                  uint8_t create_graph, uint8_t allow_unused, at::Tensor** results) {
  MTL_GUARD({
    std::vector<at::Tensor> grad_outs;
    if (grad_outputs) grad_outs = list(grad_outputs, output_count);
    auto grads = torch::autograd::grad(list(outputs, output_count), list(inputs, input_count),
                                       grad_outs, c10::optional<bool>(retain_graph != 0),
                                       create_graph != 0, allow_unused != 0);
    for (size_t i = 0; i < grads.size(); ++i) results[i] = wrap(grads[i]);
  });
}

MTL_API int32_t mtl_tensor_grad(const at::Tensor* t, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(ref(t).grad()); });
}

MTL_API int32_t mtl_tensor_has_grad(const at::Tensor* t, uint8_t* has_grad) {
  MTL_GUARD({ *has_grad = ref(t).grad().defined() ? 1 : 0; });
}

// Sets (or with NULL, clears) the gradient of a leaf. mutable_grad() itself checks nothing, so the
// checks of PyTorch's .grad setter are made here: same shape, dtype and device as the tensor.
MTL_API int32_t mtl_tensor_set_grad(at::Tensor* t, const at::Tensor* grad) {
  MTL_GUARD({
    if (grad) {
      const auto& g = *grad;
      TORCH_CHECK(g.sizes() == t->sizes(), "assigned grad has shape ", g.sizes(),
                  " but the tensor has shape ", t->sizes());
      TORCH_CHECK(g.scalar_type() == t->scalar_type(), "assigned grad has dtype ", g.scalar_type(),
                  " but the tensor has dtype ", t->scalar_type());
      TORCH_CHECK(g.device() == t->device(), "assigned grad is on ", g.device(),
                  " but the tensor is on ", t->device());
      t->mutable_grad() = g;
    } else {
      t->mutable_grad().reset();
    }
  });
}

// optimizer.zero_grad for one parameter, with PyTorch's semantics for both modes.
MTL_API int32_t mtl_tensor_zero_grad(at::Tensor* t, uint8_t set_to_none) {
  MTL_GUARD({
    auto& grad = t->mutable_grad();
    if (!grad.defined()) return kOk;
    if (set_to_none) {
      grad.reset();
    } else {
      if (grad.grad_fn()) {
        grad = grad.detach();
      } else {
        grad.requires_grad_(false);
      }
      grad.zero_();
    }
  });
}

// torch.nn.utils.clip_grad_norm_: scales the gradients in place so their joint norm is at most
// max_norm; `total_norm` receives the norm before clipping.
MTL_API int32_t mtl_clip_grad_norm(at::Tensor* const* params, int32_t count, double max_norm,
                                   double norm_type, double* total_norm) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> grads;
    for (int32_t i = 0; i < count; ++i) {
      if (params[i] && params[i]->grad().defined()) grads.push_back(params[i]->grad());
    }
    if (grads.empty()) {
      *total_norm = 0.0;
      return kOk;
    }
    at::Tensor norm;
    if (std::isinf(norm_type)) {
      std::vector<at::Tensor> maxes;
      for (auto& g : grads) maxes.push_back(g.abs().max());
      norm = at::stack(maxes).max();
    } else {
      std::vector<at::Tensor> norms;
      for (auto& g : grads) norms.push_back(at::norm(g, norm_type));
      norm = at::norm(at::stack(norms), norm_type);
    }
    *total_norm = norm.item<double>();
    auto coef = max_norm / (*total_norm + 1e-6);
    if (coef < 1.0) {
      for (auto& g : grads) g.mul_(coef);
    }
  });
}
