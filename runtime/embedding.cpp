// EmbeddingBag: the mean of embedding rows (the fastText-style text model).
#include "runtime/layers.h"

#include "runtime/error.h"

#include <algorithm>
#include <cmath>

namespace kf::trainer {
std::size_t embedding_row(float id, std::size_t rows) {
  if (!(id >= 0.0f) || static_cast<double>(id) >= static_cast<double>(rows) || id != std::floor(id))
    throw Error("embedding: id " + std::to_string(id) + " is outside the table's " + std::to_string(rows) + " rows");
  return static_cast<std::size_t>(id);
}

EmbeddingBag::EmbeddingBag(std::size_t rows, std::size_t dim, std::size_t slots, const std::string& prefix, Rng& rng)
    : m_rows(rows), m_dim(dim), m_slots(slots), m_weight(prefix + ".weight", {rows, dim}, true) {
  if (rows < 2 || dim == 0) throw UsageError("an embedding needs at least 2 rows and a positive dimension");
  // Small uniform values, as fastText starts its input vectors.
  const float bound = 1.0f / static_cast<float>(dim);
  for (float& w : m_weight.value) w = rng.uniform(-bound, bound);
  std::fill(m_weight.value.begin(), m_weight.value.begin() + static_cast<std::ptrdiff_t>(dim), 0.0f); // [PAD]
  m_weight.make_sparse(); // a batch touches a few thousand of the rows
}

Shape EmbeddingBag::output_shape(const Shape& in) const {
  if (in.size() != 1 || in[0] != m_slots)
    throw Error("an embedding bag takes rows of " + std::to_string(m_slots) + " token ids");
  return {m_dim};
}

void EmbeddingBag::forward(const Tensor& in, Tensor& out) {
  const std::size_t n = in.batch();
  const std::size_t len = in.per_sample();
  out.resize({n, m_dim});
  for (std::size_t i = 0; i < n; ++i) {
    float* o = out.ptr() + i * m_dim;
    std::size_t count = 0;
    for (std::size_t t = 0; t < len; ++t) {
      const float id = in.data[i * len + t];
      if (id == 0.0f) continue;
      const float* w = m_weight.value.data() + embedding_row(id, m_rows) * m_dim;
      for (std::size_t d = 0; d < m_dim; ++d) o[d] += w[d];
      ++count;
    }
    if (count > 1) {
      const float inv = 1.0f / static_cast<float>(count);
      for (std::size_t d = 0; d < m_dim; ++d) o[d] *= inv;
    }
  }
}

void EmbeddingBag::backward(const Tensor& in, const Tensor& /*out*/, const Tensor& dout, Tensor* din) {
  m_weight.clear_grad();
  const std::size_t n = in.batch();
  const std::size_t len = in.per_sample();
  for (std::size_t i = 0; i < n; ++i) {
    const float* ids = in.ptr() + i * len;
    const auto count = static_cast<std::size_t>(std::count_if(ids, ids + len, [](float id) { return id != 0.0f; }));
    if (count == 0) continue;
    const float inv = 1.0f / static_cast<float>(count);
    const float* g = dout.ptr() + i * m_dim;
    for (std::size_t t = 0; t < len; ++t) {
      if (ids[t] == 0.0f) continue;
      float* w = m_weight.grad_row(embedding_row(ids[t], m_rows));
      for (std::size_t d = 0; d < m_dim; ++d) w[d] += g[d] * inv;
    }
  }
  if (din != nullptr) din->resize(in.shape);
}

nlohmann::json EmbeddingBag::config() const {
  return {{"type", "embedding_bag"}, {"num_embeddings", m_rows}, {"embedding_dim", m_dim},
          {"mode", "mean"}, {"padding_idx", 0}, {"weight", m_weight.name}};
}

} // namespace kf::trainer
