// LayerNorm, GELU and masked multi-head attention (runtime/transformer_ops.h).
#include "runtime/transformer_ops.h"
#include "runtime/vec_math.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace kf::trainer::ops {

void layer_norm_forward(const float* x, std::size_t rows, std::size_t d, const float* gamma, const float* beta,
                        float* y, float* mean, float* rstd, float eps) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    float* yr = y + r * d;
    double sum = 0.0;
    for (std::size_t i = 0; i < d; ++i) sum += static_cast<double>(xr[i]);
    const auto mu = static_cast<float>(sum / static_cast<double>(d));
    double var = 0.0;
    for (std::size_t i = 0; i < d; ++i) var += static_cast<double>((xr[i] - mu) * (xr[i] - mu));
    const auto rs = static_cast<float>(1.0 / std::sqrt(var / static_cast<double>(d) + static_cast<double>(eps)));
    for (std::size_t i = 0; i < d; ++i) yr[i] = (xr[i] - mu) * rs * gamma[i] + beta[i];
    mean[r] = mu;
    rstd[r] = rs;
  }
}

void layer_norm_backward(const float* x, const float* dy, std::size_t rows, std::size_t d, const float* gamma,
                         const float* mean, const float* rstd, float* dx, float* dgamma, float* dbeta) {
  const float inv_d = 1.0f / static_cast<float>(d);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* xr = x + r * d;
    const float* dyr = dy + r * d;
    float* dxr = dx + r * d;
    const float mu = mean[r], rs = rstd[r];
    float sum_g = 0.0f, sum_gx = 0.0f;
    for (std::size_t i = 0; i < d; ++i) {
      const float xhat = (xr[i] - mu) * rs;
      const float g = dyr[i] * gamma[i];
      sum_g += g;
      sum_gx += g * xhat;
      dgamma[i] += dyr[i] * xhat;
      dbeta[i] += dyr[i];
    }
    const float mean_g = sum_g * inv_d, mean_gx = sum_gx * inv_d;
    for (std::size_t i = 0; i < d; ++i) {
      const float xhat = (xr[i] - mu) * rs;
      dxr[i] = rs * (dyr[i] * gamma[i] - mean_g - xhat * mean_gx);
    }
  }
}

namespace {

// erf(x) by Abramowitz & Stegun 7.1.26 (|error| <= 1.5e-7, below float's
// resolution around 1) with vec::exp: no call, so the GELU loops vectorise
// (std::erf: 30 us for 18x256 values; std::exp: 27 us, 12% of a served
// text's inference; vec::exp: 6% of it, bench/RESULTS.md).
inline float fast_erf(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
  const float e = 1.0f - poly * vec::exp(-a * a);
  return std::copysign(e, x);
}

} // namespace

void gelu_forward(const float* x, float* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * (1.0f + fast_erf(x[i] * std::numbers::sqrt2_v<float> * 0.5f));
}

void gelu_backward(const float* x, const float* dy, float* dx, std::size_t n) {
  const float inv_sqrt_2pi = 0.5f * std::numbers::inv_sqrtpi_v<float> * std::numbers::sqrt2_v<float>;
  for (std::size_t i = 0; i < n; ++i) {
    const float cdf = 0.5f * (1.0f + fast_erf(x[i] * std::numbers::sqrt2_v<float> * 0.5f));
    const float pdf = inv_sqrt_2pi * vec::exp(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (cdf + x[i] * pdf);
  }
}

namespace {

// Softmax of each row of s [t, t] over the kept columns, in place; the
// other columns (and every column of a row with none kept) become 0.
void masked_softmax(float* s, std::size_t t, const std::uint8_t* keep) {
  for (std::size_t i = 0; i < t; ++i) {
    float* row = s + i * t;
    float top = -INFINITY;
    for (std::size_t j = 0; j < t; ++j)
      if (keep[j] != 0) top = std::max(top, row[j]);
    if (top == -INFINITY) {
      std::fill(row, row + t, 0.0f);
      continue;
    }
    for (std::size_t j = 0; j < t; ++j) row[j] = keep[j] != 0 ? vec::exp(row[j] - top) : 0.0f; // vectorises
    float sum = 0.0f;
    for (std::size_t j = 0; j < t; ++j) sum += row[j];
    const float inv = 1.0f / sum;
    for (std::size_t j = 0; j < t; ++j) row[j] *= inv;
  }
}

// An attention shape as the GEMMs take it: positions, width, head width,
// the row stride of qkv, and the 1/sqrt(head width) of the scores.
struct Gemm {
  explicit Gemm(const AttentionShape& s)
      : t(static_cast<int>(s.t)), d(static_cast<int>(s.d)), dh(d / static_cast<int>(s.heads)), ld(3 * d),
        scale(1.0f / std::sqrt(static_cast<float>(dh))) {}
  int t, d, dh, ld;
  float scale;
};

} // namespace

void attention_forward(const AttentionShape& s, const float* qkv, const std::uint8_t* keep, float* probs, float* ctx) {
  const Gemm g(s);
  const int t = g.t, d = g.d, dh = g.dh, ld = g.ld;
  const float scale = g.scale;
  for (std::size_t h = 0; h < s.heads; ++h) {
    const float* q = qkv + h * static_cast<std::size_t>(dh);
    const float* k = q + d;
    const float* v = q + 2 * d;
    float* p = probs + h * s.t * s.t;
    // S = scale * Q K^T, then the masked softmax, then ctx_h = P V.
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, dh, scale, q, ld, k, ld, 0.0f, p, t);
    masked_softmax(p, s.t, keep);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, dh, t, 1.0f, p, t, v, ld, 0.0f,
                ctx + h * static_cast<std::size_t>(dh), d);
  }
}

void attention_backward(const AttentionShape& s, const float* qkv, const float* probs, const float* dctx,
                        float* dqkv, float* scratch) {
  const Gemm g(s);
  const int t = g.t, d = g.d, dh = g.dh, ld = g.ld;
  const float scale = g.scale;
  for (std::size_t h = 0; h < s.heads; ++h) {
    const std::size_t off = h * static_cast<std::size_t>(dh);
    const float* q = qkv + off;
    const float* k = q + d;
    const float* v = q + 2 * d;
    const float* p = probs + h * s.t * s.t;
    const float* dc = dctx + off;
    float* dq = dqkv + off;
    float* dk = dq + d;
    float* dv = dq + 2 * d;
    // dV = P^T dC; dP = dC V^T
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t, dh, t, 1.0f, p, t, dc, d, 0.0f, dv, ld);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, t, t, dh, 1.0f, dc, d, v, ld, 0.0f, scratch, t);
    // dS = P * (dP - sum_j dP*P), in place over dP.
    for (std::size_t i = 0; i < s.t; ++i) {
      float* ds = scratch + i * s.t;
      const float* pr = p + i * s.t;
      float dot = 0.0f;
      for (std::size_t j = 0; j < s.t; ++j) dot += ds[j] * pr[j];
      for (std::size_t j = 0; j < s.t; ++j) ds[j] = pr[j] * (ds[j] - dot);
    }
    // dQ = scale dS K; dK = scale dS^T Q
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, t, dh, t, scale, scratch, t, k, ld, 0.0f, dq, ld);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, t, dh, t, scale, scratch, t, q, ld, 0.0f, dk, ld);
  }
}

} // namespace kf::trainer::ops
