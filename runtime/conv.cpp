// Conv2d (im2col + OpenBLAS sgemm over the whole batch) and MaxPool2d.
#include "runtime/layers.h"

#include "runtime/error.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace kf::trainer {

namespace {

struct Geometry {
  std::size_t n, c, h, w, k, pad; // batch, channels, height, width, kernel, padding
};

// Calls f(col, image, len) for every run of the im2col matrix [C*K*K, N*H*W]
// (from its index `col`) whose input pixels lie inside the zero-padded image
// (from index `image` in [N, C, H, W]), `len` pixels of one row: im2col copies
// image to col, col2im adds back. Elements of col outside every run are the
// padding's zeros.
template <typename F>
void for_each_tap(const Geometry& g, F&& f) {
  const std::size_t hw = g.h * g.w, nhw = g.n * hw;
  const auto h = static_cast<std::ptrdiff_t>(g.h), w = static_cast<std::ptrdiff_t>(g.w);
  const auto pad = static_cast<std::ptrdiff_t>(g.pad);
  for (std::size_t c = 0; c < g.c; ++c)
    for (std::size_t ki = 0; ki < g.k; ++ki)
      for (std::size_t kj = 0; kj < g.k; ++kj) {
        const std::size_t row = ((c * g.k + ki) * g.k + kj) * nhw;
        // Output columns x with 0 <= x + kj - pad < w.
        const std::ptrdiff_t shift = static_cast<std::ptrdiff_t>(kj) - pad;
        const std::ptrdiff_t x0 = std::max<std::ptrdiff_t>(0, -shift), x1 = std::min<std::ptrdiff_t>(w, w - shift);
        if (x0 >= x1) continue;
        const auto len = static_cast<std::size_t>(x1 - x0);
        for (std::size_t s = 0; s < g.n; ++s) {
          const std::size_t plane = (s * g.c + c) * hw;
          for (std::ptrdiff_t y = 0; y < h; ++y) {
            const std::ptrdiff_t iy = y + static_cast<std::ptrdiff_t>(ki) - pad;
            if (iy < 0 || iy >= h) continue;
            f(row + s * hw + static_cast<std::size_t>(y * w + x0),
              plane + static_cast<std::size_t>(iy * w + x0 + shift), len);
          }
        }
      }
}

} // namespace

Conv2d::Conv2d(std::size_t channels, std::size_t height, std::size_t width, std::size_t filters,
               std::size_t kernel, const std::string& prefix, Rng& rng, bool bias)
    : m_c(channels), m_h(height), m_w(width), m_f(filters), m_k(kernel), m_pad(kernel / 2), m_has_bias(bias),
      m_weight(prefix + ".weight", {filters, channels, kernel, kernel}, true),
      m_bias(prefix + ".bias", {bias ? filters : 0}, false) {
  const float bound = std::sqrt(6.0f / static_cast<float>(channels * kernel * kernel));
  for (float& w : m_weight.value) w = rng.uniform(-bound, bound);
}

Shape Conv2d::output_shape(const Shape& in) const {
  if (in != Shape{m_c, m_h, m_w}) throw Error("conv2d layer got an input of the wrong shape");
  return {m_f, m_h, m_w};
}

double Conv2d::flops_per_sample() const {
  return 2.0 * static_cast<double>(m_f * m_c * m_k * m_k * m_h * m_w);
}

void Conv2d::forward(const Tensor& in, Tensor& out) {
  const std::size_t n = in.batch();
  const std::size_t hw = m_h * m_w;
  const std::size_t nhw = n * hw;
  const std::size_t ckk = m_c * m_k * m_k;
  // The padding's zeros sit at the same places for every batch of this size:
  // zeroed once, never written by the copies.
  if (m_col.size() != ckk * nhw) m_col.assign(ckk * nhw, 0.0f);
  const float* image = in.ptr();
  float* col = m_col.data();
  for_each_tap({n, m_c, m_h, m_w, m_k, m_pad},
               [&](std::size_t c, std::size_t i, std::size_t len) { std::copy_n(image + i, len, col + c); });
  m_tmp.resize(m_f * nhw); // sgemm with beta 0 writes all of it
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(m_f), static_cast<int>(nhw),
              static_cast<int>(ckk), 1.0f, m_weight.value.data(), static_cast<int>(ckk), m_col.data(),
              static_cast<int>(nhw), 0.0f, m_tmp.data(), static_cast<int>(nhw));
  out.reshape({n, m_f, m_h, m_w});
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t f = 0; f < m_f; ++f) {
      const float* src = m_tmp.data() + f * nhw + s * hw;
      float* dst = out.ptr() + (s * m_f + f) * hw;
      for (std::size_t p = 0; p < hw; ++p) dst[p] = src[p] + (m_has_bias ? m_bias.value[f] : 0.0f);
    }
}

void Conv2d::backward(const Tensor& in, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  const std::size_t n = in.batch();
  const std::size_t hw = m_h * m_w;
  const std::size_t nhw = n * hw;
  const std::size_t ckk = m_c * m_k * m_k;
  // dtmp [F, N*H*W] from dout [N, F, H, W]; db = row sums.
  m_tmp.resize(m_f * nhw); // every element is written below
  std::fill(m_bias.grad.begin(), m_bias.grad.end(), 0.0f);
  for (std::size_t s = 0; s < n; ++s)
    for (std::size_t f = 0; f < m_f; ++f) {
      const float* src = dout.ptr() + (s * m_f + f) * hw;
      float* dst = m_tmp.data() + f * nhw + s * hw;
      float sum = 0.0f;
      for (std::size_t p = 0; p < hw; ++p) {
        dst[p] = src[p];
        sum += src[p];
      }
      if (m_has_bias) m_bias.grad[f] += sum;
    }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m_f), static_cast<int>(ckk),
              static_cast<int>(nhw), 1.0f, m_tmp.data(), static_cast<int>(nhw), m_col.data(),
              static_cast<int>(nhw), 0.0f, m_weight.grad.data(), static_cast<int>(ckk));
  if (din == nullptr) return;
  // dcol = W^T dtmp, then col2im.
  m_dcol.resize(ckk * nhw); // sgemm with beta 0 writes all of it
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(ckk), static_cast<int>(nhw),
              static_cast<int>(m_f), 1.0f, m_weight.value.data(), static_cast<int>(ckk), m_tmp.data(),
              static_cast<int>(nhw), 0.0f, m_dcol.data(), static_cast<int>(nhw));
  din->resize(in.shape);
  float* image = din->ptr();
  const float* col = m_dcol.data();
  for_each_tap({n, m_c, m_h, m_w, m_k, m_pad}, [&](std::size_t c, std::size_t i, std::size_t len) {
    for (std::size_t j = 0; j < len; ++j) image[i + j] += col[c + j];
  });
}

nlohmann::json Conv2d::config() const {
  return {{"type", "conv2d"}, {"in_channels", m_c}, {"out_channels", m_f}, {"kernel_size", m_k},
          {"stride", 1}, {"padding", m_pad}, {"weight", m_weight.name},
          {"bias", m_has_bias ? nlohmann::json(m_bias.name) : nlohmann::json(nullptr)}};
}

Shape MaxPool2d::output_shape(const Shape& in) const {
  if (in.size() != 3 || in[1] < 2 || in[2] < 2) throw Error("maxpool2d needs a [C, H, W] input of at least 2x2");
  return {in[0], in[1] / 2, in[2] / 2};
}

void MaxPool2d::forward(const Tensor& in, Tensor& out) {
  const std::size_t n = in.batch(), c = in.shape[1], h = in.shape[2], w = in.shape[3];
  const std::size_t oh = h / 2, ow = w / 2;
  out.reshape({n, c, oh, ow});
  m_argmax.resize(out.data.size());
  float* __restrict dst = out.ptr();
  std::uint8_t* __restrict arg = m_argmax.data();
  for (std::size_t plane = 0; plane < n * c; ++plane) {
    const float* src = in.ptr() + plane * h * w;
    for (std::size_t y = 0; y < oh; ++y, dst += ow, arg += ow) {
      const float* __restrict r0 = src + 2 * y * w;
      const float* __restrict r1 = r0 + w;
      for (std::size_t x = 0; x < ow; ++x) {
        // The first maximum in row order (std::max keeps the first of equals),
        // in arithmetic only, so that it vectorises: 0 1 on the top row, 2 3 below.
        const float a = r0[2 * x], b = r0[2 * x + 1], d = r1[2 * x], e = r1[2 * x + 1];
        const float top = std::max(a, b), bottom = std::max(d, e);
        dst[x] = std::max(top, bottom);
        const unsigned top_b = a < b, bottom_e = d < e, low = top < bottom;
        arg[x] = static_cast<std::uint8_t>((low << 1) | (low & bottom_e) | ((low ^ 1u) & top_b));
      }
    }
  }
}

// Zeros, then each output's gradient where its window's maximum was (the
// windows do not overlap).
void MaxPool2d::backward(const Tensor& in, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  if (din == nullptr) return;
  const std::size_t n = in.batch(), c = in.shape[1], h = in.shape[2], w = in.shape[3];
  const std::size_t oh = h / 2, ow = w / 2;
  din->resize(in.shape);
  const float* dy = dout.ptr();
  const std::uint8_t* arg = m_argmax.data();
  for (std::size_t plane = 0; plane < n * c; ++plane) {
    float* dst = din->ptr() + plane * h * w;
    for (std::size_t y = 0; y < oh; ++y, dy += ow, arg += ow) {
      float* row = dst + 2 * y * w;
      for (std::size_t x = 0; x < ow; ++x) row[(arg[x] >> 1) * w + 2 * x + (arg[x] & 1)] = dy[x];
    }
  }
}

} // namespace kf::trainer
