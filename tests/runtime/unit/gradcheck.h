#pragma once
// Finite-difference gradient checks for trainer_unit. The scalar checked is
// L = sum(out * R) for a fixed random R, so dL/dout = R; analytic gradients
// from backward() are compared with central differences of L in double.

#include "runtime/layers.h"
#include "runtime/model.h"
#include "runtime/rng.h"

#include <doctest/doctest.h>

#include <cmath>

namespace kf::trainer::test {

inline Tensor random_tensor(Shape shape, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(std::move(shape));
  Rng rng(seed);
  for (float& v : t.data) v = rng.uniform(lo, hi);
  return t;
}

inline double weighted_sum(const Tensor& out, const Tensor& r) {
  double s = 0.0;
  for (std::size_t i = 0; i < out.data.size(); ++i) s += static_cast<double>(out.data[i]) * static_cast<double>(r.data[i]);
  return s;
}

// 2% relative error plus a 1e-3 absolute floor (float32 forward passes).
inline bool close(double analytic, double numeric) {
  return std::fabs(analytic - numeric) <= 1e-3 + 2e-2 * std::max(std::fabs(analytic), std::fabs(numeric));
}

// A model small enough for finite differences: 1x6x6 images, 4 classes,
// one tanh hidden layer of 6 (the CNN: one conv block of 3 filters first).
inline ModelConfig small_image_model(const std::string& kind) {
  ModelConfig c;
  c.kind = kind;
  c.hidden = {6};
  c.activation = "tanh";
  c.conv_channels = {3};
  c.input = {1, 6, 6};
  c.classes = 4;
  return c;
}

// Checks d/dinput (unless the input is ids: check_input false) and
// d/dparams of `layer` at input x.
inline void check_layer_gradients(Layer& layer, Tensor x, double eps = 1e-2, bool check_input = true) {
  Tensor out;
  layer.forward(x, out);
  const Tensor r = random_tensor(out.shape, 99);
  Tensor din;
  layer.backward(x, out, r, &din);
  auto loss = [&](const Tensor& in) {
    Tensor o;
    layer.forward(in, o);
    return weighted_sum(o, r);
  };
  for (std::size_t i = 0; check_input && i < x.data.size(); ++i) {
    const float saved = x.data[i];
    x.data[i] = saved + static_cast<float>(eps);
    const double up = loss(x);
    x.data[i] = saved - static_cast<float>(eps);
    const double down = loss(x);
    x.data[i] = saved;
    const double numeric = (up - down) / (2 * eps);
    INFO("input element " << i);
    CHECK(close(din.data[i], numeric));
  }
  // Parameter gradients (backward above filled them).
  for (Param* p : layer.params()) {
    const std::vector<float> grad = p->grad;
    for (std::size_t i = 0; i < p->value.size(); ++i) {
      const float saved = p->value[i];
      p->value[i] = saved + static_cast<float>(eps);
      const double up = loss(x);
      p->value[i] = saved - static_cast<float>(eps);
      const double down = loss(x);
      p->value[i] = saved;
      INFO(p->name << "[" << i << "]");
      CHECK(close(grad[i], (up - down) / (2 * eps)));
    }
  }
}

// Checks every `stride`-th parameter gradient of a whole model (softmax
// cross-entropy over x, y) against central differences of its loss. With
// batch statistics (BatchNorm), the loss differentiated is the training
// mode's: `training_loss` takes it from train_batch, not evaluate.
inline void check_model_gradients(Model& model, const Tensor& x, const std::vector<std::uint8_t>& y,
                                  std::size_t stride = 1, bool training_loss = false) {
  model.train_batch(x, y, 1.0f);
  auto loss = [&] { return training_loss ? model.train_batch(x, y, 1.0f).loss_sum : model.evaluate(x, y).loss_sum; };
  const double h = 1e-3;
  const auto step = static_cast<float>(h);
  std::vector<std::vector<float>> grads; // taken first: a training-mode loss() overwrites them
  for (Param* p : model.params()) grads.push_back(p->grad);
  for (std::size_t k = 0; k < grads.size(); ++k) {
    Param* p = model.params()[k];
    const std::vector<float>& grad = grads[k];
    for (std::size_t i = 0; i < p->value.size(); i += stride) {
      const float saved = p->value[i];
      p->value[i] = saved + step;
      const double up = loss();
      p->value[i] = saved - step;
      const double down = loss();
      p->value[i] = saved;
      INFO(p->name << "[" << i << "] analytic " << grad[i] << " numeric " << (up - down) / (2 * h));
      CHECK(close(grad[i], (up - down) / (2 * h)));
    }
  }
}

// The parameter gradients of `model` after train_batch on each half of
// (x, y) in turn (grad_scale 1 / full batch), summed: what two data-parallel
// workers' all-reduce gives. Compare with the full batch's.
inline std::vector<std::vector<float>> half_batch_gradient_sum(Model& model, const Tensor& x,
                                                               const std::vector<std::uint8_t>& y) {
  const std::size_t n = x.batch(), half = n / 2, per = x.per_sample();
  std::vector<std::vector<float>> sum;
  for (std::size_t part = 0; part < 2; ++part) {
    Shape shape = x.shape;
    shape[0] = half;
    Tensor xs(shape);
    std::copy_n(x.data.begin() + static_cast<std::ptrdiff_t>(part * half * per), half * per, xs.data.begin());
    model.train_batch(xs, std::vector<std::uint8_t>(y.begin() + static_cast<std::ptrdiff_t>(part * half),
                                                    y.begin() + static_cast<std::ptrdiff_t>((part + 1) * half)),
                      1.0f / static_cast<float>(n));
    const auto params = model.params();
    if (sum.empty())
      for (Param* p : params) sum.push_back(p->grad);
    else
      for (std::size_t i = 0; i < params.size(); ++i)
        for (std::size_t j = 0; j < sum[i].size(); ++j) sum[i][j] += params[i]->grad[j];
  }
  return sum;
}

} // namespace kf::trainer::test
