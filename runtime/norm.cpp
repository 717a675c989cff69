// BatchNorm, Dropout and GlobalAvgPool2d: the layers of the image models'
// recipe beyond convolutions and dense layers (declared in layers.h).
#include "runtime/layers.h"

#include "runtime/error.h"

#include <algorithm>
#include <cmath>

namespace kf::trainer {

namespace {

double dbl(float v) { return static_cast<double>(v); }
constexpr double k_m = static_cast<double>(BatchNorm::k_momentum);

// The channel of element i of a batch laid out [N, C, S] (S = H*W, or 1).
struct ChannelLayout {
  std::size_t n, c, s;
  std::size_t count() const { return n * s; } // elements per channel
};

ChannelLayout layout_of(const Tensor& t, std::size_t channels) {
  return {t.batch(), channels, t.batch() == 0 ? 0 : t.per_sample() / channels};
}

// Calls f(channel, pointer to S floats) for every sample's plane of every channel.
template <typename F>
void for_planes(const ChannelLayout& l, F&& f) {
  for (std::size_t i = 0; i < l.n; ++i)
    for (std::size_t ch = 0; ch < l.c; ++ch) f(ch, (i * l.c + ch) * l.s);
}

} // namespace

BatchNorm::BatchNorm(std::size_t channels, bool spatial, const std::string& prefix)
    : m_c(channels), m_spatial(spatial), m_weight(prefix + ".weight", {channels}, false),
      m_bias(prefix + ".bias", {channels}, false), m_running_mean(prefix + ".running_mean", {channels}, false),
      m_running_var(prefix + ".running_var", {channels}, false) {
  std::fill(m_weight.value.begin(), m_weight.value.end(), 1.0f);
  std::fill(m_running_var.value.begin(), m_running_var.value.end(), 1.0f);
}

Shape BatchNorm::output_shape(const Shape& in) const {
  if (in.empty() || in[0] != m_c || (m_spatial ? in.size() != 3 : in.size() != 1))
    throw Error(std::string(m_spatial ? "batchnorm2d expects [" : "batchnorm1d expects [") + std::to_string(m_c) +
                (m_spatial ? ", H, W]" : "]") + " inputs");
  return in;
}

// Alone: two passes (the mean, then squared deviations from it). Synchronised:
// one pass for the sums of x and x^2 and the element count (the last batch of
// an epoch may be smaller on some ranks), summed over the ranks in one
// all-reduce as torch's SyncBatchNorm gathers its statistics once. In double,
// E[x^2] - E[x]^2 loses nothing that matters at activations' scale.
void BatchNorm::batch_statistics(const Tensor& in) {
  const ChannelLayout l = layout_of(in, m_c);
  std::fill(m_mean.begin(), m_mean.end(), 0.0);
  std::fill(m_var.begin(), m_var.end(), 0.0);
  if (m_sum) {
    m_stats.assign(2 * m_c + 1, 0.0);
    for_planes(l, [&](std::size_t ch, std::size_t at) {
      double sum = 0.0, squares = 0.0;
      for (std::size_t k = 0; k < l.s; ++k) {
        const double x = dbl(in.data[at + k]);
        sum += x;
        squares += x * x;
      }
      m_stats[ch] += sum;
      m_stats[m_c + ch] += squares;
    });
    m_stats[2 * m_c] = static_cast<double>(l.count());
    m_sum(m_stats.data(), m_stats.size());
    m_count = m_stats[2 * m_c];
    if (m_count <= 0.0) return;
    for (std::size_t ch = 0; ch < m_c; ++ch) {
      m_mean[ch] = m_stats[ch] / m_count;
      m_var[ch] = std::max(0.0, m_stats[m_c + ch] / m_count - m_mean[ch] * m_mean[ch]);
    }
    return;
  }
  m_count = static_cast<double>(l.count());
  for_planes(l, [&](std::size_t ch, std::size_t at) {
    for (std::size_t k = 0; k < l.s; ++k) m_mean[ch] += dbl(in.data[at + k]);
  });
  for (double& m : m_mean) m /= m_count;
  for_planes(l, [&](std::size_t ch, std::size_t at) {
    for (std::size_t k = 0; k < l.s; ++k) {
      const double d = dbl(in.data[at + k]) - m_mean[ch];
      m_var[ch] += d * d;
    }
  });
  for (double& v : m_var) v /= m_count;
}

void BatchNorm::forward(const Tensor& in, Tensor& out) {
  const ChannelLayout l = layout_of(in, m_c);
  out.reshape(in.shape);
  m_mean.resize(m_c);
  m_var.resize(m_c);
  // Synchronised, every rank takes part in the sums (whatever its own batch
  // holds) and the decision rests on the global count, the same on all.
  m_batch_stats = false;
  if (m_training && (m_sum || l.count() > 1)) {
    batch_statistics(in);
    m_batch_stats = m_count > 1.0;
  }
  if (m_batch_stats) {
    const double unbias = m_count / (m_count - 1.0);
    for (std::size_t ch = 0; ch < m_c; ++ch) {
      m_running_mean.value[ch] = static_cast<float>((1.0 - k_m) * dbl(m_running_mean.value[ch]) + k_m * m_mean[ch]);
      m_running_var.value[ch] =
          static_cast<float>((1.0 - k_m) * dbl(m_running_var.value[ch]) + k_m * m_var[ch] * unbias);
    }
  } else {
    for (std::size_t ch = 0; ch < m_c; ++ch) {
      m_mean[ch] = dbl(m_running_mean.value[ch]);
      m_var[ch] = dbl(m_running_var.value[ch]);
    }
  }
  m_inv_std.resize(m_c);
  for (std::size_t ch = 0; ch < m_c; ++ch) m_inv_std[ch] = static_cast<float>(1.0 / std::sqrt(m_var[ch] + dbl(k_eps)));
  m_xhat.resize(in.data.size());
  for_planes(l, [&](std::size_t ch, std::size_t at) {
    const auto m = static_cast<float>(m_mean[ch]);
    const float inv = m_inv_std[ch], g = m_weight.value[ch], b = m_bias.value[ch];
    for (std::size_t k = 0; k < l.s; ++k) {
      const float xhat = (in.data[at + k] - m) * inv;
      m_xhat[at + k] = xhat;
      out.data[at + k] = g * xhat + b;
    }
  });
}

void BatchNorm::backward(const Tensor& in, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  const ChannelLayout l = layout_of(in, m_c);
  // [sum of dy per channel, sum of dy * xhat per channel]: one all-reduce when synchronised.
  m_stats.assign(2 * m_c, 0.0);
  double* sum_dy = m_stats.data();
  double* sum_dy_xhat = m_stats.data() + m_c;
  for_planes(l, [&](std::size_t ch, std::size_t at) {
    for (std::size_t k = 0; k < l.s; ++k) {
      sum_dy[ch] += dbl(dout.data[at + k]);
      sum_dy_xhat[ch] += dbl(dout.data[at + k]) * dbl(m_xhat[at + k]);
    }
  });
  for (std::size_t ch = 0; ch < m_c; ++ch) {
    m_weight.grad[ch] = static_cast<float>(sum_dy_xhat[ch]);
    m_bias.grad[ch] = static_cast<float>(sum_dy[ch]);
  }
  // Synchronised, dx needs the sums over the global batch (every rank calls
  // this, first layer or not, so that the all-reduces pair up).
  if (m_sum && m_batch_stats) m_sum(m_stats.data(), m_stats.size());
  if (din == nullptr) return;
  din->reshape(in.shape);
  const double count = m_count;
  for_planes(l, [&](std::size_t ch, std::size_t at) {
    const float scale = m_weight.value[ch] * m_inv_std[ch];
    // With the batch's statistics, the mean and variance depend on x too:
    // dx = gamma/std * (dy - mean(dy) - xhat * mean(dy * xhat)).
    const auto mean_dy = m_batch_stats ? static_cast<float>(sum_dy[ch] / count) : 0.0f;
    const auto mean_dy_xhat = m_batch_stats ? static_cast<float>(sum_dy_xhat[ch] / count) : 0.0f;
    for (std::size_t k = 0; k < l.s; ++k)
      din->data[at + k] = scale * (dout.data[at + k] - mean_dy - m_xhat[at + k] * mean_dy_xhat);
  });
}

nlohmann::json BatchNorm::config() const {
  return {{"type", m_spatial ? "batchnorm2d" : "batchnorm1d"},
          {"num_features", m_c},
          {"eps", k_eps},
          {"momentum", k_momentum},
          {"weight", m_weight.name},
          {"bias", m_bias.name},
          {"running_mean", m_running_mean.name},
          {"running_var", m_running_var.name}};
}

Dropout::Dropout(float p, std::uint64_t seed) : m_p(p), m_rng(seed) {
  if (!(p >= 0.0f && p < 1.0f)) throw UsageError("--dropout must be in [0, 1)");
}

const std::vector<float>& Dropout::draw_mask(std::size_t count) {
  m_mask.resize(count);
  const float keep = 1.0f / (1.0f - m_p);
  for (float& m : m_mask) m = m_rng.uniform() < static_cast<double>(m_p) ? 0.0f : keep;
  return m_mask;
}

void Dropout::forward(const Tensor& in, Tensor& out) {
  out = in;
  m_mask.clear();
  if (!m_training || m_p == 0.0f) return;
  draw_mask(in.data.size());
  for (std::size_t i = 0; i < in.data.size(); ++i) out.data[i] *= m_mask[i];
}

void Dropout::backward(const Tensor& /*in*/, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  if (din == nullptr) return;
  *din = dout;
  if (m_mask.empty()) return;
  for (std::size_t i = 0; i < din->data.size(); ++i) din->data[i] *= m_mask[i];
}

Shape GlobalAvgPool2d::output_shape(const Shape& in) const {
  if (in.size() != 3 || in[1] == 0 || in[2] == 0) throw Error("globalavgpool2d needs a [C, H, W] input");
  return {in[0]};
}

void GlobalAvgPool2d::forward(const Tensor& in, Tensor& out) {
  const std::size_t n = in.batch(), c = in.shape[1], s = in.shape[2] * in.shape[3];
  out.reshape({n, c});
  for (std::size_t plane = 0; plane < n * c; ++plane) {
    double sum = 0.0;
    for (std::size_t k = 0; k < s; ++k) sum += dbl(in.data[plane * s + k]);
    out.data[plane] = static_cast<float>(sum / static_cast<double>(s));
  }
}

void GlobalAvgPool2d::backward(const Tensor& in, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  if (din == nullptr) return;
  din->reshape(in.shape);
  const std::size_t n = in.batch(), c = in.shape[1], s = in.shape[2] * in.shape[3];
  for (std::size_t plane = 0; plane < n * c; ++plane) {
    const float g = dout.data[plane] / static_cast<float>(s);
    for (std::size_t k = 0; k < s; ++k) din->data[plane * s + k] = g;
  }
}

} // namespace kf::trainer
