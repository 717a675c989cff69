#pragma once
// Tensor: a dense float array with a shape, batch first ([N, C, H, W] or
// [N, D]). Param: a named trainable tensor with its gradient; the model owns
// its Params and optimizers hold pointers to them. Not thread-safe.

#include <cstddef>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

namespace kf::trainer {

using Shape = std::vector<std::size_t>;

inline std::size_t numel(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

struct Tensor {
  Shape shape;
  std::vector<float> data;

  Tensor() = default;
  explicit Tensor(Shape s) : shape(std::move(s)), data(numel(shape), 0.0f) {}

  void resize(Shape s) {
    shape = std::move(s);
    data.assign(numel(shape), 0.0f);
  }
  std::size_t batch() const { return shape.empty() ? 0 : shape[0]; }
  std::size_t per_sample() const { return shape.empty() ? 0 : data.size() / shape[0]; }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
};

struct Param {
  std::string name;   // e.g. "layers.0.weight"
  Shape shape;        // PyTorch convention: dense [out, in], conv [F, C, k, k]
  std::vector<float> value;
  std::vector<float> grad;
  bool decay = true;  // weight decay applies (weights yes, biases no)

  Param(std::string n, Shape s, bool d)
      : name(std::move(n)), shape(std::move(s)), value(numel(shape), 0.0f),
        grad(numel(shape), 0.0f), decay(d) {}
};

} // namespace kf::trainer
