#pragma once
// Tensor: a dense float array with a shape, batch first ([N, C, H, W] or
// [N, D]). Param: a named trainable tensor with its gradient (dense, or
// row-sparse for embedding tables); the model owns its Params and
// optimizers hold pointers to them. Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "runtime/error.h"

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
  // resize() without the zeros, for an output every element of which is written next.
  void reshape(Shape s) {
    shape = std::move(s);
    data.resize(numel(shape));
  }
  std::size_t batch() const { return shape.empty() ? 0 : shape[0]; }
  std::size_t per_sample() const { return shape.empty() ? 0 : data.size() / shape[0]; }
  float* ptr() { return data.data(); }
  const float* ptr() const { return data.data(); }
};

// While a ParamBudget lives, the Params made on its thread may hold at most
// `elements` floats in all: a model built from a file (model.json) allocates
// no more than its weights file (model.safetensors) holds, however large the
// sizes it names. Past the budget, or a shape whose size overflows, a Param
// throws Error(`message`). Not nested.
class ParamBudget {
public:
  ParamBudget(std::size_t elements, std::string message);
  ~ParamBudget();
  ParamBudget(const ParamBudget&) = delete;
  ParamBudget& operator=(const ParamBudget&) = delete;
  // numel(shape), charged to this thread's budget when there is one.
  static std::size_t charge(const Shape& shape);

private:
  std::size_t m_left;
  std::string m_message;
  static inline thread_local ParamBudget* t_current = nullptr;
};

inline ParamBudget::ParamBudget(std::size_t elements, std::string message)
    : m_left(elements), m_message(std::move(message)) {
  t_current = this;
}

inline ParamBudget::~ParamBudget() { t_current = nullptr; }

inline std::size_t ParamBudget::charge(const Shape& shape) {
  ParamBudget* budget = t_current;
  if (!budget) return numel(shape);
  std::size_t n = 1;
  bool overflow = false;
  for (const std::size_t d : shape) overflow = __builtin_mul_overflow(n, d, &n) || overflow;
  if (overflow || n > budget->m_left) throw Error(budget->m_message);
  budget->m_left -= n;
  return n;
}

struct Param {
  std::string name;   // e.g. "layers.0.weight"
  Shape shape;        // PyTorch convention: dense [out, in], conv [F, C, k, k]
  std::vector<float> value;
  std::vector<float> grad;
  bool decay = true;  // weight decay applies (weights yes, biases no)
  // A dense weight [out, in] as W^T [in, out], kept by Layer::freeze() for
  // inference (empty otherwise): OpenBLAS multiplies by it without packing a
  // transposed matrix on every call, 1.7x faster at the 17 rows of a served
  // text (runtime/layers.h, keep_transposed).
  std::vector<float> transposed;

  // Row-sparse gradients (embedding tables, [rows, width]): only the rows
  // in `touched` hold a gradient, the rest are zero, and the optimizer
  // updates only them (lazily, as torch's SparseAdam). all_touched: treat
  // every row as touched (after a dense all-reduce mixed other ranks' rows in).
  bool sparse = false;
  bool all_touched = false;
  std::vector<std::uint32_t> touched;

  Param(std::string n, Shape s, bool d)
      : name(std::move(n)), shape(std::move(s)), value(ParamBudget::charge(shape), 0.0f),
        grad(value.size(), 0.0f), decay(d) {}

  std::size_t row_width() const { return shape.size() < 2 ? value.size() : value.size() / shape[0]; }
  // Makes a sparse Param: the gradient starts all zero.
  void make_sparse() {
    sparse = true;
    m_marked.assign(shape.empty() ? 0 : shape[0], 0);
  }
  // Zeroes the gradient: the touched rows of a sparse Param, else all of it.
  void clear_grad() {
    if (!sparse || all_touched) {
      std::fill(grad.begin(), grad.end(), 0.0f);
      if (sparse) std::fill(m_marked.begin(), m_marked.end(), std::uint8_t{0});
    } else {
      const std::size_t w = row_width();
      for (std::uint32_t r : touched) {
        std::fill(grad.begin() + static_cast<std::ptrdiff_t>(r * w), grad.begin() + static_cast<std::ptrdiff_t>((r + 1) * w), 0.0f);
        m_marked[r] = 0;
      }
    }
    touched.clear();
    all_touched = false;
  }
  // Row r of the gradient, recorded as touched (sparse Params).
  float* grad_row(std::size_t r) {
    if (sparse && m_marked[r] == 0) {
      m_marked[r] = 1;
      touched.push_back(static_cast<std::uint32_t>(r));
    }
    return grad.data() + r * row_width();
  }

private:
  std::vector<std::uint8_t> m_marked; // per row: in `touched`
};

} // namespace kf::trainer
