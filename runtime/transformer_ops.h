#pragma once
// The building blocks of the transformer encoder (transformer.cpp) as free
// functions over row-major float matrices, each with its backward, so each
// can be checked against finite differences on its own:
//   layer_norm   y = (x - mean) / sqrt(var + eps) * gamma + beta, per row
//   gelu         y = x * Phi(x) (the exact, erf form: torch's default)
//   attention    multi-head scaled dot-product self-attention of one
//                sequence, with a key mask and a fused masked softmax
// Backward functions *accumulate* into parameter gradients (dgamma, dbeta)
// and *overwrite* input gradients.

#include <cstddef>
#include <cstdint>

namespace kf::trainer::ops {

// x, y: [rows, d]; mean, rstd: [rows] (saved for the backward).
void layer_norm_forward(const float* x, std::size_t rows, std::size_t d, const float* gamma, const float* beta,
                        float* y, float* mean, float* rstd, float eps = 1e-5f);
void layer_norm_backward(const float* x, const float* dy, std::size_t rows, std::size_t d, const float* gamma,
                         const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta);

void gelu_forward(const float* x, float* y, std::size_t n);
// dx = dy * gelu'(x)
void gelu_backward(const float* x, const float* dy, float* dx, std::size_t n);

// One sequence of t positions. qkv: [t, 3*d] (the queries, keys and values
// of every head side by side: head h's query is columns [h*dh, (h+1)*dh)).
// keep: [t], non-zero where a key may be attended to (not padding).
// probs: [heads, t, t] (saved for the backward); ctx: [t, d]. A row with
// no key to attend to gets zero probabilities and a zero context.
struct AttentionShape {
  std::size_t t = 0;     // positions
  std::size_t d = 0;     // model width
  std::size_t heads = 1; // d % heads == 0
};
void attention_forward(const AttentionShape& s, const float* qkv, const std::uint8_t* keep, float* probs, float* ctx);
// dqkv: [t, 3*d] (overwritten); scratch: [t, t].
void attention_backward(const AttentionShape& s, const float* qkv, const float* probs, const float* dctx,
                        float* dqkv, float* scratch);

} // namespace kf::trainer::ops
