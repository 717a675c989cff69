// Dense, Activation and Flatten. Conv2d and MaxPool2d live in conv.cpp.
#include "runtime/layers.h"

#include "runtime/error.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

namespace kf::trainer {

Dense::Dense(std::size_t in, std::size_t out, const std::string& prefix, Rng& rng)
    : m_in(in), m_out(out), m_weight(prefix + ".weight", {out, in}, true),
      m_bias(prefix + ".bias", {out}, false) {
  // He-uniform initialisation (suits ReLU; fine for tanh/sigmoid at these sizes).
  const float bound = std::sqrt(6.0f / static_cast<float>(in));
  for (float& w : m_weight.value) w = rng.uniform(-bound, bound);
}

Shape Dense::output_shape(const Shape& in) const {
  if (numel(in) != m_in) throw Error("dense layer expects " + std::to_string(m_in) + " inputs");
  return {m_out};
}

void keep_transposed(Param& w) {
  const std::size_t out = w.shape.at(0), in = w.shape.at(1);
  w.transposed.resize(w.value.size());
  for (std::size_t o = 0; o < out; ++o)
    for (std::size_t i = 0; i < in; ++i) w.transposed[i * out + o] = w.value[o * in + i];
}

void dense_gemm_add(const float* x, std::size_t rows, const Param& w, float* y) {
  const auto n = static_cast<int>(rows), out = static_cast<int>(w.shape[0]), in = static_cast<int>(w.shape[1]);
  if (w.transposed.empty())
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w.value.data(), in, 1.0f, y, out);
  else
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, out, in, 1.0f, x, in, w.transposed.data(), out, 1.0f, y,
                out);
}

void Dense::forward(const Tensor& in, Tensor& out) {
  out.reshape({in.batch(), m_out});
  for (std::size_t i = 0; i < in.batch(); ++i)
    for (std::size_t j = 0; j < m_out; ++j) out.data[i * m_out + j] = m_bias.value[j];
  dense_gemm_add(in.ptr(), in.batch(), m_weight, out.ptr());
}

void Dense::backward(const Tensor& in, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  const auto n = static_cast<int>(in.batch());
  const auto i_in = static_cast<int>(m_in);
  const auto i_out = static_cast<int>(m_out);
  // dW = dY^T X
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i_out, i_in, n, 1.0f, dout.ptr(), i_out,
              in.ptr(), i_in, 0.0f, m_weight.grad.data(), i_in);
  for (std::size_t j = 0; j < m_out; ++j) m_bias.grad[j] = 0.0f;
  for (std::size_t i = 0; i < in.batch(); ++i)
    for (std::size_t j = 0; j < m_out; ++j) m_bias.grad[j] += dout.data[i * m_out + j];
  if (din == nullptr) return;
  // dX = dY W
  din->reshape(in.shape); // sgemm with beta 0 writes all of it
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, i_in, i_out, 1.0f, dout.ptr(), i_out,
              m_weight.value.data(), i_in, 0.0f, din->ptr(), i_in);
}

nlohmann::json Dense::config() const {
  return {{"type", "dense"}, {"in_features", m_in}, {"out_features", m_out},
          {"weight", m_weight.name}, {"bias", m_bias.name}};
}

ActivationKind parse_activation(const std::string& name) {
  if (name == "relu") return ActivationKind::relu;
  if (name == "tanh") return ActivationKind::tanh;
  if (name == "sigmoid") return ActivationKind::sigmoid;
  throw UsageError("unknown activation '" + name + "' (expected relu, tanh or sigmoid)");
}

std::string to_string(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::relu: return "relu";
  case ActivationKind::tanh: return "tanh";
  case ActivationKind::sigmoid: return "sigmoid";
  }
  return "relu";
}

namespace {

// Element loops over pointers that do not alias, branch-free, so they vectorise.
void activate(ActivationKind kind, const float* __restrict x, float* __restrict y, std::size_t n) {
  switch (kind) {
  case ActivationKind::relu:
    for (std::size_t i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f);
    break;
  case ActivationKind::tanh:
    for (std::size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
    break;
  case ActivationKind::sigmoid:
    for (std::size_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
    break;
  }
}

void activate_backward(ActivationKind kind, const float* __restrict x, const float* __restrict y,
                       const float* __restrict dy, float* __restrict dx, std::size_t n) {
  switch (kind) {
  case ActivationKind::relu:
    for (std::size_t i = 0; i < n; ++i) { // dy[i] read whatever x[i] is: a select, not a branch
      const float g = dy[i];
      dx[i] = x[i] > 0.0f ? g : 0.0f;
    }
    break;
  case ActivationKind::tanh:
    for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
    break;
  case ActivationKind::sigmoid:
    for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
    break;
  }
}

} // namespace

void Activation::forward(const Tensor& in, Tensor& out) {
  out.shape = in.shape;
  out.data.resize(in.data.size());
  activate(m_kind, in.ptr(), out.ptr(), in.data.size());
}

void Activation::backward(const Tensor& in, const Tensor& out, const Tensor& dout, Tensor* din) {
  if (din == nullptr) return;
  din->shape = in.shape;
  din->data.resize(in.data.size());
  activate_backward(m_kind, in.ptr(), out.ptr(), dout.ptr(), din->ptr(), in.data.size());
}

void Flatten::forward(const Tensor& in, Tensor& out) {
  out.shape = {in.batch(), in.per_sample()};
  out.data = in.data;
}

void Flatten::backward(const Tensor& in, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  if (din == nullptr) return;
  din->shape = in.shape;
  din->data = dout.data;
}

} // namespace kf::trainer
