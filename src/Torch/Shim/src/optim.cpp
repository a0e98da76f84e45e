// One optimizer step for one parameter. State tensors are owned by the managed optimizer (so
// they can be saved and restored exactly); the arithmetic follows PyTorch's single-tensor
// implementations (torch/optim/*.py, 1.13) operation for operation.
#include "common.h"

using namespace mtl;

namespace {

// The gradient an update follows: the parameter's, negated to maximize; undefined when it has none.
at::Tensor direction(const at::Tensor& p, uint8_t maximize) {
  auto grad = p.grad();
  return grad.defined() && maximize ? -grad : grad;
}

}  // namespace

// SGD. `momentum_buffer` may be NULL on the first step; a newly created buffer is returned in
// `new_buffer` (NULL when none was created).
MTL_API int32_t mtl_sgd_step(at::Tensor* param, at::Tensor* momentum_buffer, double lr,
                             double momentum, double dampening, double weight_decay,
                             uint8_t nesterov, uint8_t maximize, at::Tensor** new_buffer) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    *new_buffer = nullptr;
    auto& p = *param;
    auto d_p = direction(p, maximize);
    if (!d_p.defined()) return kOk;
    if (weight_decay != 0) d_p = d_p.add(p, weight_decay);
    if (momentum != 0) {
      at::Tensor buf;
      if (!momentum_buffer) {
        buf = d_p.clone().detach();
        *new_buffer = wrap(buf);
      } else {
        buf = *momentum_buffer;
        buf.mul_(momentum).add_(d_p, 1 - dampening);
      }
      d_p = nesterov ? d_p.add(buf, momentum) : buf;
    }
    p.add_(d_p, -lr);
  });
}

// Adam and AdamW (decoupled = 1). `step` is the step count after this update (1 on the first).
MTL_API int32_t mtl_adam_step(at::Tensor* param, at::Tensor* exp_avg, at::Tensor* exp_avg_sq,
                              at::Tensor* max_exp_avg_sq, int64_t step, double lr, double beta1,
                              double beta2, double eps, double weight_decay, uint8_t decoupled,
                              uint8_t amsgrad, uint8_t maximize) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    auto& p = *param;
    auto grad = direction(p, maximize);
    if (!grad.defined()) return kOk;
    if (weight_decay != 0) {
      if (decoupled) {
        p.mul_(1 - lr * weight_decay);
      } else {
        grad = grad.add(p, weight_decay);
      }
    }
    exp_avg->mul_(beta1).add_(grad, 1 - beta1);
    exp_avg_sq->mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(step));
    const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(step));
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    at::Tensor denom;
    if (amsgrad) {
      TORCH_CHECK(max_exp_avg_sq, "adam: amsgrad needs the max_exp_avg_sq state");
      at::maximum_out(*max_exp_avg_sq, *max_exp_avg_sq, *exp_avg_sq);
      denom = (max_exp_avg_sq->sqrt() / bias_correction2_sqrt).add_(eps);
    } else {
      denom = (exp_avg_sq->sqrt() / bias_correction2_sqrt).add_(eps);
    }
    p.addcdiv_(*exp_avg, denom, -step_size);
  });
}

// RMSprop. `momentum_buffer` is required when momentum > 0, `grad_avg` when centered.
MTL_API int32_t mtl_rmsprop_step(at::Tensor* param, at::Tensor* square_avg,
                                 at::Tensor* momentum_buffer, at::Tensor* grad_avg, double lr,
                                 double alpha, double eps, double weight_decay, double momentum,
                                 uint8_t centered, uint8_t maximize) {
  MTL_GUARD({
    at::NoGradGuard no_grad;
    auto& p = *param;
    auto grad = direction(p, maximize);
    if (!grad.defined()) return kOk;
    if (weight_decay != 0) grad = grad.add(p, weight_decay);
    square_avg->mul_(alpha).addcmul_(grad, grad, 1 - alpha);
    at::Tensor avg;
    if (centered) {
      TORCH_CHECK(grad_avg, "rmsprop: centered needs the grad_avg state");
      grad_avg->mul_(alpha).add_(grad, 1 - alpha);
      avg = square_avg->addcmul(*grad_avg, *grad_avg, -1).sqrt_();
    } else {
      avg = square_avg->sqrt();
    }
    avg.add_(eps);
    if (momentum > 0) {
      TORCH_CHECK(momentum_buffer, "rmsprop: momentum needs the momentum_buffer state");
      momentum_buffer->mul_(momentum).addcdiv_(grad, avg);
      p.add_(*momentum_buffer, -lr);
    } else {
      p.addcdiv_(grad, avg, -lr);
    }
  });
}
