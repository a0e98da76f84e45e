// Functional layers and losses used by the managed modules (torch.nn.functional).
#include "common.h"

using namespace mtl;

MTL_API int32_t mtl_linear(const at::Tensor* x, const at::Tensor* weight, const at::Tensor* bias,
                           at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::linear(ref(x), ref(weight), opt(bias))); });
}

MTL_API int32_t mtl_conv(int32_t spatial_dims, const at::Tensor* x, const at::Tensor* weight,
                         const at::Tensor* bias, const int64_t* stride, const int64_t* padding,
                         const int64_t* dilation, int64_t groups, at::Tensor** out) {
  MTL_GUARD({
    auto n = spatial_dims;
    TORCH_CHECK(n == 1 || n == 2, "conv: only 1d and 2d convolutions are supported, got ", n, "d");
    auto r = n == 1 ? at::conv1d(ref(x), ref(weight), opt(bias), dims(stride, n), dims(padding, n),
                                 dims(dilation, n), groups)
                    : at::conv2d(ref(x), ref(weight), opt(bias), dims(stride, n), dims(padding, n),
                                 dims(dilation, n), groups);
    *out = wrap(std::move(r));
  });
}

MTL_API int32_t mtl_conv_transpose(int32_t spatial_dims, const at::Tensor* x, const at::Tensor* weight,
                                   const at::Tensor* bias, const int64_t* stride, const int64_t* padding,
                                   const int64_t* output_padding, int64_t groups, const int64_t* dilation,
                                   at::Tensor** out) {
  MTL_GUARD({
    auto n = spatial_dims;
    TORCH_CHECK(n == 1 || n == 2, "conv_transpose: only 1d and 2d transposed convolutions are supported, got ", n, "d");
    auto r = n == 1 ? at::conv_transpose1d(ref(x), ref(weight), opt(bias), dims(stride, n), dims(padding, n),
                                           dims(output_padding, n), groups, dims(dilation, n))
                    : at::conv_transpose2d(ref(x), ref(weight), opt(bias), dims(stride, n), dims(padding, n),
                                           dims(output_padding, n), groups, dims(dilation, n));
    *out = wrap(std::move(r));
  });
}

// nn.Upsample with scale_factor, align_corners false: each spatial size floor(size · scale), the
// source of output index i being (i + 0.5) / scale − 0.5 (bilinear) or floor(i / scale) (nearest).
MTL_API int32_t mtl_upsample(int32_t spatial_dims, const at::Tensor* x, uint8_t bilinear,
                             const int64_t* output_size, const double* scales, at::Tensor** out) {
  MTL_GUARD({
    auto n = spatial_dims;
    TORCH_CHECK(n == 1 || n == 2, "upsample: only 1d and 2d inputs are supported, got ", n, "d");
    TORCH_CHECK(bilinear == 0 || n == 2, "upsample: bilinear needs a 2d input [N, C, H, W]");
    // No scales (a target size, nn.Upsample(size=...)): the source position of an output comes
    // from the ratio input size / output size, as PyTorch does when scale_factor is not given.
    auto scale = [&](int i) { return scales == nullptr ? c10::optional<double>() : c10::optional<double>(scales[i]); };
    at::Tensor r;
    if (bilinear != 0) {
      r = at::upsample_bilinear2d(ref(x), dims(output_size, 2), false, scale(0), scale(1));
    } else if (n == 2) {
      r = at::upsample_nearest2d(ref(x), dims(output_size, 2), scale(0), scale(1));
    } else {
      r = at::upsample_nearest1d(ref(x), dims(output_size, 1), scale(0));
    }
    *out = wrap(std::move(r));
  });
}

MTL_API int32_t mtl_max_pool2d(const at::Tensor* x, const int64_t* kernel, const int64_t* stride,
                               const int64_t* padding, const int64_t* dilation, uint8_t ceil_mode,
                               at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::max_pool2d(ref(x), dims(kernel, 2), dims(stride, 2), dims(padding, 2),
                               dims(dilation, 2), ceil_mode != 0));
  });
}

MTL_API int32_t mtl_max_pool1d(const at::Tensor* x, int64_t kernel, int64_t stride, int64_t padding,
                               int64_t dilation, uint8_t ceil_mode, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::max_pool1d(ref(x), {kernel}, {stride}, {padding}, {dilation}, ceil_mode != 0));
  });
}

MTL_API int32_t mtl_avg_pool2d(const at::Tensor* x, const int64_t* kernel, const int64_t* stride,
                               const int64_t* padding, uint8_t ceil_mode, uint8_t count_include_pad,
                               at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::avg_pool2d(ref(x), dims(kernel, 2), dims(stride, 2), dims(padding, 2),
                               ceil_mode != 0, count_include_pad != 0));
  });
}

MTL_API int32_t mtl_avg_pool1d(const at::Tensor* x, int64_t kernel, int64_t stride, int64_t padding,
                               uint8_t ceil_mode, uint8_t count_include_pad, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::avg_pool1d(ref(x), {kernel}, {stride}, {padding}, ceil_mode != 0,
                               count_include_pad != 0));
  });
}

MTL_API int32_t mtl_adaptive_avg_pool2d(const at::Tensor* x, const int64_t* output_size,
                                        at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::adaptive_avg_pool2d(ref(x), dims(output_size, 2))); });
}

MTL_API int32_t mtl_adaptive_avg_pool1d(const at::Tensor* x, int64_t output_size, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::adaptive_avg_pool1d(ref(x), {output_size})); });
}

MTL_API int32_t mtl_batch_norm(const at::Tensor* x, const at::Tensor* weight, const at::Tensor* bias,
                               const at::Tensor* running_mean, const at::Tensor* running_var,
                               uint8_t training, double momentum, double eps, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::batch_norm(ref(x), opt(weight), opt(bias), opt(running_mean), opt(running_var),
                               training != 0, momentum, eps, false));
  });
}

MTL_API int32_t mtl_layer_norm(const at::Tensor* x, const int64_t* normalized_shape, int32_t ndim,
                               const at::Tensor* weight, const at::Tensor* bias, double eps,
                               at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::layer_norm(ref(x), dims(normalized_shape, ndim), opt(weight), opt(bias), eps, false));
  });
}

MTL_API int32_t mtl_dropout(const at::Tensor* x, double p, uint8_t training, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::dropout(ref(x), p, training != 0)); });
}

MTL_API int32_t mtl_embedding(const at::Tensor* weight, const at::Tensor* indices,
                              int64_t padding_idx, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::embedding(ref(weight), ref(indices), padding_idx, false, false)); });
}

// op: 0 = softmax, 1 = log_softmax.
MTL_API int32_t mtl_softmax(int32_t op, const at::Tensor* x, int64_t dim, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(op == 0 ? at::softmax(ref(x), dim) : at::log_softmax(ref(x), dim));
  });
}

// Recurrent layers. `params` holds per layer (and direction) w_ih, w_hh[, b_ih, b_hh].
// `hx` holds h0 (GRU) or h0, c0 (LSTM); NULL entries start from zeros.
// mode: 0 = LSTM (h_n and c_n returned), 1 = GRU (c_n is NULL).
MTL_API int32_t mtl_rnn(int32_t mode, const at::Tensor* x, at::Tensor* const* hx, int32_t hx_count,
                        at::Tensor* const* params, int32_t param_count, uint8_t has_biases,
                        int64_t num_layers, double dropout, uint8_t training, uint8_t bidirectional,
                        uint8_t batch_first, int64_t hidden_size, at::Tensor** output,
                        at::Tensor** h_n, at::Tensor** c_n) {
  MTL_GUARD({
    const auto& input = ref(x);
    auto weights = list(params, param_count);
    std::vector<at::Tensor> state = list(hx, hx_count);
    TORCH_CHECK(input.dim() == 3, mode == 0 ? "lstm" : "gru",
                ": expected a 3-d input, got shape ", input.sizes());
    const int64_t directions = bidirectional ? 2 : 1;
    const int64_t batch = input.size(batch_first ? 0 : 1);
    for (auto& s : state) {
      if (!s.defined()) s = at::zeros({num_layers * directions, batch, hidden_size}, input.options());
    }
    if (mode == 0) {
      TORCH_CHECK(state.size() == 2, "lstm: expected h0 and c0");
      auto r = at::lstm(input, state, weights, has_biases != 0, num_layers, dropout, training != 0,
                        bidirectional != 0, batch_first != 0);
      *output = wrap(std::get<0>(r));
      *h_n = wrap(std::get<1>(r));
      *c_n = wrap(std::get<2>(r));
    } else {
      TORCH_CHECK(state.size() == 1, "gru: expected h0");
      auto r = at::gru(input, state[0], weights, has_biases != 0, num_layers, dropout, training != 0,
                       bidirectional != 0, batch_first != 0);
      *output = wrap(std::get<0>(r));
      *h_n = wrap(std::get<1>(r));
      *c_n = nullptr;
    }
  });
}

// ---- losses (reduction: 0 = none, 1 = mean, 2 = sum, as at::Reduction) -------------------------

enum Loss : int32_t { kMse, kL1, kSmoothL1, kHuber };

// Regression losses; `param` is beta (smooth_l1) or delta (huber).
MTL_API int32_t mtl_regression_loss(int32_t kind, const at::Tensor* input, const at::Tensor* target,
                                    int64_t reduction, double param, at::Tensor** out) {
  MTL_GUARD({
    const auto& x = ref(input);
    const auto& y = ref(target);
    TORCH_CHECK(x.sizes() == y.sizes(), "loss: input shape ", x.sizes(),
                " does not match target shape ", y.sizes());
    at::Tensor r;
    switch (kind) {
      case kMse: r = at::mse_loss(x, y, reduction); break;
      case kL1: r = at::l1_loss(x, y, reduction); break;
      case kSmoothL1: r = at::smooth_l1_loss(x, y, reduction, param); break;
      case kHuber: r = at::huber_loss(x, y, reduction, param); break;
      default: throw std::invalid_argument("unknown regression loss " + std::to_string(kind));
    }
    *out = wrap(std::move(r));
  });
}

MTL_API int32_t mtl_cross_entropy(const at::Tensor* input, const at::Tensor* target,
                                  const at::Tensor* weight, int64_t reduction, int64_t ignore_index,
                                  double label_smoothing, at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::cross_entropy_loss(ref(input), ref(target), opt(weight), reduction, ignore_index,
                                       label_smoothing));
  });
}

MTL_API int32_t mtl_nll_loss(const at::Tensor* input, const at::Tensor* target,
                             const at::Tensor* weight, int64_t reduction, int64_t ignore_index,
                             at::Tensor** out) {
  MTL_GUARD({
    *out = wrap(at::nll_loss_nd(ref(input), ref(target), opt(weight), reduction, ignore_index));
  });
}

MTL_API int32_t mtl_bce_with_logits(const at::Tensor* input, const at::Tensor* target,
                                    const at::Tensor* weight, const at::Tensor* pos_weight,
                                    int64_t reduction, at::Tensor** out) {
  MTL_GUARD({
    const auto& x = ref(input);
    const auto& y = ref(target);
    TORCH_CHECK(x.sizes() == y.sizes(), "binary_cross_entropy_with_logits: input shape ", x.sizes(),
                " does not match target shape ", y.sizes());
    *out = wrap(at::binary_cross_entropy_with_logits(x, y, opt(weight), opt(pos_weight), reduction));
  });
}

MTL_API int32_t mtl_bce(const at::Tensor* input, const at::Tensor* target, const at::Tensor* weight,
                        int64_t reduction, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::binary_cross_entropy(ref(input), ref(target), opt(weight), reduction)); });
}

MTL_API int32_t mtl_kl_div(const at::Tensor* input, const at::Tensor* target, int64_t reduction,
                           uint8_t log_target, at::Tensor** out) {
  MTL_GUARD({ *out = wrap(at::kl_div(ref(input), ref(target), reduction, log_target != 0)); });
}
